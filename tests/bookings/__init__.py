"""Helpers shared by the booking tests: people, an instrument with rules, Shanghai times.

The people: ``owner`` works at the organisation that owns the instrument (北碚), ``manager``
manages the instrument, ``researcher`` is a Mianyang researcher verified in Mianyang, and
``outsider`` is somebody else, verified, with nothing to do with the booking.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from portal.accounts.models import Organisation, Role
from portal.accounts.services import regions_recognise_each_other
from sharing.bookings.models import Booking, BookingPolicy, OpeningHours
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime.datetime:
    """A wall-clock time in Asia/Shanghai, e.g. at("2026-10-12 09:00")."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SH)


def regions():
    """Beibei and Mianyang, recognising each other (身份互认)."""
    bb, my = beibei(), mianyang()
    regions_recognise_each_other(regions=[bb, my])
    return bb, my


def verified(user, region):
    user.verified_region = region
    user.verified_at = timezone.now()
    user.save(update_fields=["verified_region", "verified_at"])
    return user


def person(username, *, organisation=None, region=None, roles=(Role.RESEARCHER,), verify=True):
    organisation = organisation or OrganisationFactory(region=region or beibei())
    user = UserFactory(username=username, organisation=organisation, roles=list(roles))
    if verify:
        verified(user, organisation.region)
    return user


WEEKDAYS_8_TO_18 = {weekday: [("08:00", "18:00")] for weekday in range(5)}


def instrument_with_rules(
    *,
    organisation=None,
    hours=None,
    approval_required=False,
    managers=(),
    **policy,
):
    """A 北碚 instrument with rates 50/100/150/200 元/h, open Monday–Friday 08:00–18:00 unless
    told otherwise, with a policy whose defaults are the model's except a longer horizon."""
    regions()
    organisation = organisation or OrganisationFactory(
        region=beibei(), kind=Organisation.Kind.UNIVERSITY
    )
    instrument = InstrumentFactory(
        organisation=organisation,
        approval_required=approval_required,
        rate_internal=Decimal("50"),
        rate_same_region=Decimal("100"),
        rate_other_region=Decimal("150"),
        rate_firm=Decimal("200"),
    )
    instrument.managers.set(managers)
    policy.setdefault("max_advance_days", 90)
    BookingPolicy.objects.create(instrument=instrument, **policy)
    for weekday, spans in (WEEKDAYS_8_TO_18 if hours is None else hours).items():
        for opens, closes in spans:
            OpeningHours.objects.create(
                instrument=instrument,
                weekday=weekday,
                opens=datetime.time.fromisoformat(opens),
                closes=datetime.time.fromisoformat(closes),
            )
    return instrument


def next_weekday(weekday: int, *, days_ahead: int = 2) -> datetime.date:
    """The first date of that weekday at least days_ahead days from today in Shanghai."""
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    while day.weekday() != weekday:
        day += datetime.timedelta(days=1)
    return day


def local(day: datetime.date, hhmm: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm), tzinfo=SH)


def make_booking(
    *, requester=None, instrument=None, start=None, hours=2, status="approved", purpose="扫描样品"
):
    start = start or timezone.now() + datetime.timedelta(days=2)
    end = start + datetime.timedelta(hours=hours)
    return Booking.objects.create(
        instrument=instrument or InstrumentFactory(),
        requester=requester or UserFactory(email="someone@example.org"),
        period=DateTimeTZRange(start, end),
        blocked=DateTimeTZRange(start, end),
        status=status,
        rate_category="internal",
        purpose=purpose,
    )
