"""Fees: the rate for the requester's category, the estimate, the charge from the recorded use."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.accounts.models import Organisation
from portal.errors import RuleBroken
from sharing.bookings.fees import charge_for, hours_between, quote, rate_category
from sharing.bookings.models import Booking
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

CHINA = ZoneInfo("Asia/Shanghai")
D = Decimal
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=CHINA)


def hours(h: float) -> datetime.datetime:
    return START + datetime.timedelta(hours=h)


@pytest.fixture
def owner(db):
    return OrganisationFactory(region=beibei())


@pytest.fixture
def instrument(owner):
    return InstrumentFactory(
        organisation=owner,
        rate_internal=D("100.00"),
        rate_same_region=D("200.00"),
        rate_other_region=D("300.00"),
        rate_firm=D("400.00"),
    )


def person(region=None, kind=Organisation.Kind.UNIVERSITY, organisation=None):
    if organisation is None:
        organisation = OrganisationFactory(region=region or beibei(), kind=kind)
    return UserFactory(organisation=organisation)


# --- Categories -------------------------------------------------------------------------------


def test_a_member_of_the_owning_organisation_pays_the_internal_rate(instrument, owner):
    q = quote(
        instrument=instrument, requester=person(organisation=owner), start=START, end=hours(1)
    )
    assert (q.rate_category, q.cross_region, q.hourly_rate, q.amount) == (
        Booking.RateCategory.INTERNAL,
        False,
        D("100.00"),
        D("100.00"),
    )


def test_another_organisation_of_the_same_region_pays_the_same_region_rate(instrument):
    q = quote(instrument=instrument, requester=person(beibei()), start=START, end=hours(1))
    assert (q.rate_category, q.cross_region, q.amount) == ("same_region", False, D("200.00"))


def test_an_organisation_of_the_other_region_pays_the_cross_region_rate(instrument):
    q = quote(instrument=instrument, requester=person(mianyang()), start=START, end=hours(1))
    assert (q.rate_category, q.cross_region, q.amount) == ("other_region", True, D("300.00"))


@pytest.mark.parametrize(("region", "cross"), [(beibei, False), (mianyang, True)])
def test_a_firm_pays_the_firm_rate_in_either_region(instrument, region, cross):
    firm = person(region(), kind=Organisation.Kind.FIRM)
    q = quote(instrument=instrument, requester=firm, start=START, end=hours(1))
    assert (q.rate_category, q.cross_region, q.amount) == ("firm", cross, D("400.00"))


def test_a_firm_that_owns_the_instrument_pays_the_internal_rate(db):
    firm = OrganisationFactory(kind=Organisation.Kind.FIRM)
    own = InstrumentFactory(organisation=firm, rate_internal=D("10"), rate_firm=D("99"))
    category, cross = rate_category(instrument=own, requester=person(organisation=firm))
    assert (category, cross) == ("internal", False)


def test_own_instrument_in_the_other_region_is_internal_but_cross_region(db):
    org = OrganisationFactory(region=beibei())
    branch = InstrumentFactory(organisation=org, region=mianyang(), rate_internal=D("10"))
    assert rate_category(instrument=branch, requester=person(organisation=org)) == (
        "internal",
        True,
    )


def test_someone_without_an_organisation_pays_the_outside_rate_but_is_not_cross_region(
    instrument,
):
    loner = UserFactory(organisation=None)
    q = quote(instrument=instrument, requester=loner, start=START, end=hours(1))
    assert (q.rate_category, q.cross_region, q.amount) == ("other_region", False, D("300.00"))


# --- Estimates --------------------------------------------------------------------------------


def test_the_estimate_is_the_rate_times_the_booked_hours(instrument):
    q = quote(instrument=instrument, requester=person(beibei()), start=START, end=hours(2.5))
    assert q.amount == D("500.00")


def test_the_estimate_is_rounded_half_up_to_the_cent(db, owner):
    odd = InstrumentFactory(organisation=owner, rate_same_region=D("33.33"))
    # 33.33 × 50/60 = 27.775 → 27.78
    q = quote(
        instrument=odd,
        requester=person(beibei()),
        start=START,
        end=START + datetime.timedelta(minutes=50),
    )
    assert q.amount == D("27.78")


def test_a_missing_rate_costs_nothing_and_says_it_is_unpriced(db, owner):
    unpriced = InstrumentFactory(organisation=owner, rate_internal=D("50"))
    q = quote(instrument=unpriced, requester=person(beibei()), start=START, end=hours(3))
    assert (q.hourly_rate, q.amount, q.priced) == (D(0), D("0.00"), False)


def test_a_rate_of_zero_is_free_use_and_priced(db, owner):
    free = InstrumentFactory(organisation=owner, rate_same_region=D("0"))
    q = quote(instrument=free, requester=person(beibei()), start=START, end=hours(3))
    assert (q.amount, q.priced) == (D("0.00"), True)


@pytest.mark.parametrize("end", [START, START - datetime.timedelta(minutes=30)])
def test_a_quote_needs_the_end_after_the_start(instrument, end):
    with pytest.raises(RuleBroken) as excinfo:
        quote(instrument=instrument, requester=person(beibei()), start=START, end=end)
    assert excinfo.value.rule == "period_order"


def test_hours_are_exact_to_the_microsecond():
    assert hours_between(START, START + datetime.timedelta(microseconds=3600)) == D("0.000001")
    assert hours_between(START, START + datetime.timedelta(days=1, seconds=36)) == D("24.01")


# --- Charges ----------------------------------------------------------------------------------


def booked(instrument, requester, *, check_in=None, check_out=None, rate="120.00"):
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=(START, hours(2)),
        blocked=(START, hours(2)),
        status=Booking.Status.COMPLETED,
        purpose="测试",
        rate_category="same_region",
        hourly_rate=D(rate),
        fee_estimate=D(rate) * 2,
        checked_in_at=check_in,
        checked_out_at=check_out,
    )
    booking.refresh_from_db()
    return booking


@pytest.mark.parametrize(
    ("check_in", "check_out", "charge"),
    [
        (None, None, "240.00"),  # nothing recorded: the booked time
        (hours(0), hours(2), "240.00"),  # as booked
        (hours(0.5), hours(1.5), "240.00"),  # used less: never below the booked time
        (hours(0), hours(2.5), "300.00"),  # stayed half an hour longer
        (hours(-0.5), hours(2), "300.00"),  # came half an hour early
        (hours(0.5), hours(2.5), "240.00"),  # came and left late: two hours used
        (hours(0), None, "240.00"),  # no check-out recorded: the booked time
    ],
)
def test_the_charge_is_the_time_used_never_below_the_time_booked(
    instrument, check_in, check_out, charge
):
    booking = booked(instrument, person(beibei()), check_in=check_in, check_out=check_out)
    assert charge_for(booking=booking) == D(charge)


def test_the_charge_uses_the_rate_fixed_at_booking_time_rounded_to_the_cent(instrument):
    booking = booked(
        instrument,
        person(beibei()),
        check_in=hours(0),
        check_out=hours(2) + datetime.timedelta(minutes=7),
        rate="33.33",
    )
    instrument.rate_same_region = D("999")
    instrument.save()
    # 33.33 × (2 h 7 min) = 70.5485 → 70.55
    assert charge_for(booking=booking) == D("70.55")
