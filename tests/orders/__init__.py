"""Helpers shared by the sample-order tests.

The people: ``manager`` manages the instrument (at 北碚's lab), ``firm`` is a Mianyang firm's
researcher who orders tests, ``colleague`` works at the same firm, ``outsider`` is somebody
else, verified, with nothing to do with the order.
"""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.accounts.models import Organisation, Role
from sharing.bookings.models import SampleLine, SampleOrder, TestItem
from sharing.bookings.orders import services
from tests.bookings import instrument_with_rules, person, regions
from tests.factories import OrganisationFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="report.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def firm_person(username="firm", organisation=None):
    _bb, my = regions()
    organisation = organisation or OrganisationFactory(
        name="绵阳测试企业", region=my, kind=Organisation.Kind.FIRM
    )
    return person(username, organisation=organisation, roles=[Role.FIRM])


def manager_person(username="manager"):
    regions()
    return person(username, roles=[Role.INSTRUMENT_MANAGER])


def priced_instrument(*, managers=()):
    """An instrument with two items: XRD per sample (80 元/样, minimum 200, urgent +50%) and a
    report per item (300 元/项, no minimum, urgent +20%)."""
    instrument = instrument_with_rules(managers=managers, closed_on_holidays=False)
    TestItem.objects.create(
        instrument=instrument,
        name="物相分析",
        unit=TestItem.Unit.PER_SAMPLE,
        price=Decimal("80.00"),
        minimum_charge=Decimal("200.00"),
        urgent_surcharge_percent=Decimal("50"),
    )
    TestItem.objects.create(
        instrument=instrument,
        name="结构精修",
        unit=TestItem.Unit.PER_ITEM,
        price=Decimal("300.00"),
        urgent_surcharge_percent=Decimal("20"),
    )
    return instrument


def item(instrument, name):
    return instrument.test_items.get(name=name)


SAMPLE = {
    "name": "钛合金粉末",
    "count": 3,
    "form": SampleLine.Form.POWDER,
    "hazards": "",
    "afterwards": SampleLine.Afterwards.RETURN,
}


def order_for(customer, instrument, *, urgent=False, quantity=3):
    return services.order_create(
        customer=customer,
        instrument=instrument,
        samples=[dict(SAMPLE)],
        items=[(item(instrument, "物相分析"), quantity)],
        urgent=urgent,
        project_name="轻量化材料",
    )


STEPS = ("quoted", "accepted", "received", "testing", "reported", "closed")


def advance(order, to: str, *, manager, customer) -> SampleOrder:
    """Walk the order through its stages up to ``to``."""
    for step in STEPS:
        if step == "quoted":
            order = services.order_quote(
                order=order,
                by=manager,
                price=Decimal("240.00"),
                date=timezone.localdate() + datetime.timedelta(days=7),
            )
        elif step == "accepted":
            order = services.order_accept(order=order, by=customer)
        elif step == "received":
            order = services.order_receive(order=order, by=manager)
        elif step == "testing":
            order = services.order_start(order=order, by=manager)
        elif step == "reported":
            order = services.order_report(order=order, by=manager, upload=pdf())
        elif step == "closed":
            order = services.order_close(order=order, by=manager)
        if step == to:
            break
    return order
