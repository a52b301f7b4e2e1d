"""A sample-testing order paid in part with an innovation voucher: reserved on the estimate at
submission, redeemed on the final fee when the report is issued (the rest released), released on
cancellation; a voucher that may not pay is refused with nothing written; the redemption can be
asked for in settlement and the ledger reconciles."""

import datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from portal.accounts.models import Organisation, Role
from sharing.bookings.models import SampleOrder, SettlementLine, Voucher, VoucherEntry
from sharing.bookings.orders import services
from sharing.bookings.vouchers.ledger import ledger_differences
from sharing.bookings.vouchers.selectors import voucher_flows, voucher_ledger_sums
from sharing.bookings.vouchers.services import voucher_issue
from sharing.bookings.vouchers.settlement import (
    settlement_line_decide,
    settlement_mark_paid,
    settlement_request_create,
)
from tests.bookings import person, regions
from tests.factories import OrganisationFactory
from tests.orders import SAMPLE, firm_person, item, manager_person, pdf, priced_instrument

pytestmark = pytest.mark.django_db
CHINA = ZoneInfo("Asia/Shanghai")
D = Decimal


def today() -> datetime.date:
    return timezone.now().astimezone(CHINA).date()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def manager(db):
    return manager_person()


@pytest.fixture
def instrument(manager):
    return priced_instrument(managers=[manager])


@pytest.fixture
def customer(db):
    return firm_person()


@pytest.fixture
def coordinator(db):
    _bb, my = regions()
    return person("coord_my", organisation=OrganisationFactory(region=my), roles=[Role.COORDINATOR])


def issued(organisation, *, amount="1000.00", accepted=None, frm=-30, until=300):
    bb, my = regions()
    return voucher_issue(
        issuing_region=my,
        organisation=organisation,
        amount=D(amount),
        valid_from=today() + datetime.timedelta(days=frm),
        valid_until=today() + datetime.timedelta(days=until),
        accepted_in=accepted if accepted is not None else [my, bb],
    )


@pytest.fixture
def voucher(customer):
    return issued(customer.organisation)


def as_(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(instrument, voucher=None, quantity=3):
    out = {
        "instrument": instrument.pk,
        "samples": [dict(SAMPLE)],
        "items": [{"test_item": item(instrument, "物相分析").pk, "quantity": quantity}],
    }
    if voucher is not None:
        out["voucher"] = voucher.pk
    return out


def buckets(voucher):
    voucher.refresh_from_db()
    return voucher.reserved, voucher.redeemed, voucher.balance


def kinds(order):
    return sorted(
        (e.kind, e.amount) for e in VoucherEntry.objects.filter(order=order).order_by("pk")
    )


def walk_to_report(order, *, manager, customer, price="240.00"):
    order = services.order_quote(
        order=order, by=manager, price=D(price), date=today() + datetime.timedelta(days=7)
    )
    order = services.order_accept(order=order, by=customer)
    order = services.order_receive(order=order, by=manager)
    order = services.order_start(order=order, by=manager)
    return services.order_report(order=order, by=manager, upload=pdf())


def test_an_order_with_a_voucher_reserves_half_the_estimate_at_submission(
    instrument, customer, voucher
):
    answer = as_(customer).post("/api/sample-orders/", body(instrument, voucher), format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["voucher"] == voucher.pk
    order = SampleOrder.objects.get(pk=answer.json()["id"])
    assert order.estimate == D("240.00")
    assert kinds(order) == [("reservation", D("120.00"))]
    assert buckets(voucher) == (D("120.00"), 0, D("880.00"))
    assert order.voucher_part == 0


def test_the_report_redeems_on_the_final_fee_and_releases_the_rest(
    instrument, customer, manager, voucher
):
    order = services.order_create(
        customer=customer,
        instrument=instrument,
        samples=[dict(SAMPLE)],
        items=[(item(instrument, "物相分析"), 3)],
        voucher=voucher,
    )
    order = walk_to_report(order, manager=manager, customer=customer, price="100.00")
    order.refresh_from_db()
    assert order.fee == D("100.00")
    assert order.voucher_part == D("50.00")
    assert kinds(order) == [
        ("redemption", D("50.00")),
        ("release", D("70.00")),
        ("reservation", D("120.00")),
    ]
    assert buckets(voucher) == (0, D("50.00"), D("950.00"))
    assert ledger_differences() == []


def test_a_quote_above_the_estimate_redeems_no_more_than_was_reserved(
    instrument, customer, manager, voucher
):
    order = services.order_create(
        customer=customer,
        instrument=instrument,
        samples=[dict(SAMPLE)],
        items=[(item(instrument, "物相分析"), 3)],
        voucher=voucher,
    )
    order = walk_to_report(order, manager=manager, customer=customer, price="1000.00")
    order.refresh_from_db()
    assert order.voucher_part == D("120.00")
    assert kinds(order) == [("redemption", D("120.00")), ("reservation", D("120.00"))]


def test_a_cancelled_order_releases_its_reservation(instrument, customer, voucher):
    order = services.order_create(
        customer=customer,
        instrument=instrument,
        samples=[dict(SAMPLE)],
        items=[(item(instrument, "物相分析"), 3)],
        voucher=voucher,
    )
    answer = as_(customer).post(
        f"/api/sample-orders/{order.pk}/cancel/", {"reason": "样品寄错了"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert kinds(order) == [("release", D("120.00")), ("reservation", D("120.00"))]
    assert buckets(voucher) == (0, 0, D("1000.00"))
    order.refresh_from_db()
    assert order.voucher_part == 0


def test_an_order_without_a_voucher_writes_no_ledger(instrument, customer, manager):
    answer = as_(customer).post("/api/sample-orders/", body(instrument), format="json")
    assert answer.status_code == 201
    order = SampleOrder.objects.get(pk=answer.json()["id"])
    walk_to_report(order, manager=manager, customer=customer)
    assert not VoucherEntry.objects.exists()


def _other_org_voucher(customer):
    _bb, my = regions()
    other = OrganisationFactory(name="另一家企业", region=my, kind=Organisation.Kind.FIRM)
    return issued(other)


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (lambda c: issued(c.organisation, frm=-300, until=-1), "voucher_expired"),
        (lambda c: issued(c.organisation, accepted=[regions()[1]]), "voucher_not_accepted_here"),
        (_other_org_voucher, "voucher_not_yours"),
    ],
    ids=["expired", "other_region", "other_organisation"],
)
def test_a_voucher_that_may_not_pay_is_refused_and_nothing_is_written(
    instrument, customer, make, rule
):
    voucher = make(customer)
    before = buckets(voucher)
    answer = as_(customer).post("/api/sample-orders/", body(instrument, voucher), format="json")
    assert 400 <= answer.status_code < 500, answer.content
    if rule == "voucher_not_yours":
        # Another organisation's voucher is not even found for the customer (no hint it exists).
        assert answer.status_code == 400 and "voucher" in answer.json()["error"]["fields"]
    else:
        assert answer.status_code == 400 and answer.json()["error"]["rule"] == rule
    assert not SampleOrder.objects.exists()
    assert not VoucherEntry.objects.exists()
    assert buckets(voucher) == before


def test_the_ledger_refuses_another_organisations_voucher_even_when_it_is_seen(
    instrument, customer
):
    voucher = _other_org_voucher(customer)
    with pytest.raises(Exception) as excinfo:
        services.order_create(
            customer=customer,
            instrument=instrument,
            samples=[dict(SAMPLE)],
            items=[(item(instrument, "物相分析"), 3)],
            voucher=voucher,
        )
    assert getattr(excinfo.value, "rule", None) == "voucher_not_yours"
    assert not SampleOrder.objects.exists()
    assert not VoucherEntry.objects.exists()


def test_an_order_redemption_is_settled_and_counted_in_the_flow(
    instrument, customer, manager, coordinator, voucher
):
    order = services.order_create(
        customer=customer,
        instrument=instrument,
        samples=[dict(SAMPLE)],
        items=[(item(instrument, "物相分析"), 3)],
        voucher=voucher,
    )
    _bb, my = regions()
    provider = instrument.organisation
    manager.organisation = provider
    manager.save(update_fields=["organisation"])

    # Not yet completed: nothing to settle.
    with pytest.raises(Exception) as excinfo:
        settlement_request_create(
            provider=provider,
            issuing_region=my,
            period_from=today(),
            period_until=today(),
            by=manager,
        )
    assert getattr(excinfo.value, "rule", None) == "settlement_nothing"

    walk_to_report(order, manager=manager, customer=customer)
    request = settlement_request_create(
        provider=provider, issuing_region=my, period_from=today(), period_until=today(), by=manager
    )
    line = request.lines.get()
    assert line.entry.order_id == order.pk
    assert line.amount == D("120.00")
    settlement_line_decide(request=request, line_id=line.pk, by=coordinator, approve=True)
    settlement_mark_paid(request=request, by=coordinator)
    assert SettlementLine.objects.get(pk=line.pk).status == SettlementLine.Status.APPROVED
    assert VoucherEntry.objects.get(kind="settlement").order_id == order.pk
    voucher.refresh_from_db()
    assert (voucher.redeemed, voucher.settled) == (D("120.00"), D("120.00"))

    sums = voucher_ledger_sums(provider_id=provider.pk, frm=today(), to=today())
    assert [(r["issuing_region"], r["redeemed"], r["settled"], r["paid"]) for r in sums] == [
        (my.code, D("120.00"), D("120.00"), D("120.00"))
    ]
    flows = voucher_flows(year=today().year)
    assert sum(r["redeemed"] for r in flows) == D("120.00")

    answer = as_(manager).get(f"/api/vouchers/settlements/{request.pk}/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["lines"][0]["order"] == order.pk
    assert answer.json()["lines"][0]["booking"] is None

    out = StringIO()
    call_command("vouchers_reconcile", stdout=out)
    assert "agree" in out.getvalue()
    assert Voucher.objects.get(pk=voucher.pk).balance == D("880.00")


def test_a_customer_can_order_with_a_voucher_from_the_page(client, instrument, customer, voucher):
    client.force_login(customer)
    page = client.get(f"/instruments/{instrument.pk}/order/")
    assert page.status_code == 200
    assert voucher.code in page.content.decode()
    data = {
        "samples-TOTAL_FORMS": "5",
        "samples-INITIAL_FORMS": "0",
        "samples-MIN_NUM_FORMS": "0",
        "samples-MAX_NUM_FORMS": "5",
        "samples-0-name": "钛合金粉末",
        "samples-0-count": "3",
        "samples-0-form": "powder",
        "samples-0-afterwards": "return",
        f"qty_{item(instrument, '物相分析').pk}": "3",
        "voucher": str(voucher.pk),
    }
    response = client.post(f"/instruments/{instrument.pk}/order/", data)
    assert response.status_code == 302
    order = SampleOrder.objects.get()
    assert order.voucher_id == voucher.pk
    assert kinds(order) == [("reservation", D("120.00"))]


def test_an_expired_voucher_is_not_offered_on_the_page(client, instrument, customer):
    stale = issued(customer.organisation, frm=-300, until=-1)
    client.force_login(customer)
    page = client.get(f"/instruments/{instrument.pk}/order/")
    assert page.status_code == 200
    assert stale.code not in page.content.decode()
