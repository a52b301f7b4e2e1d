"""Helpers of the project tests. The people: ``pi`` leads the project 课题 at a Mianyang
university, ``member`` is a researcher there who charges to it, ``orgadmin`` is its
organisation administrator, ``manager`` manages the Beibei instrument, ``outsider`` is a
researcher of another organisation. Charges from Mianyang to the Beibei instrument are at the
other-region rate, 150 元/h."""

import datetime
from decimal import Decimal

from django.utils import timezone

from portal.accounts.models import Organisation, Role
from sharing.bookings.models import ChargeThreshold, Project
from sharing.bookings.vouchers.services import voucher_issue
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions
from tests.factories import OrganisationFactory


class People:
    def __init__(self):
        bb, my = regions()
        self.beibei, self.mianyang = bb, my
        self.university = OrganisationFactory(
            name="绵阳课题测试大学", region=my, kind=Organisation.Kind.UNIVERSITY
        )
        self.pi = person("pi", organisation=self.university)
        self.member = person("member", organisation=self.university)
        self.orgadmin = person(
            "orgadmin", organisation=self.university, roles=[Role.ORGANISATION_ADMIN]
        )
        self.manager = person("manager", roles=[Role.INSTRUMENT_MANAGER])
        self.outsider = person("outsider", region=my)
        self.instrument = instrument_with_rules(
            managers=[self.manager], approval_required=True, closed_on_holidays=False
        )
        self.project = Project.objects.create(
            organisation=self.university,
            name="轻量化材料",
            number="KT-2026-01",
            funding_source=Project.FundingSource.NATIONAL,
            investigator=self.pi,
        )


def threshold(organisation, amount) -> ChargeThreshold:
    return ChargeThreshold.objects.create(organisation=organisation, amount=Decimal(amount))


def slot(hours: float, *, weekday: int = 1, at: str = "09:00"):
    day = next_weekday(weekday, days_ahead=3)
    start = local(day, at)
    return start, start + datetime.timedelta(hours=hours)


def voucher_for(people, amount="1000.00"):
    today = timezone.localdate()
    return voucher_issue(
        issuing_region=people.mianyang,
        organisation=people.university,
        amount=Decimal(amount),
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=365),
        accepted_in=[people.beibei, people.mianyang],
    )
