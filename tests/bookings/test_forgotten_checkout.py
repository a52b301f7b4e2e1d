"""A session nobody checked out of: beat closes it at the booked end plus a grace period,
charges it as booked and flags it for the manager; once, however many sweeps run."""

from decimal import Decimal

import pytest

from sharing.bookings import services
from sharing.bookings.indicators import indicators
from sharing.bookings.models import Booking, BookingTransition
from tests.bookings import at, instrument_with_rules, person, regions
from tests.bookings.test_booking_concurrency import race

NOW = at("2026-09-01 08:00")


def checked_in_booking(researcher, instrument, start="09:00", end="11:00", arrived="09:05"):
    booking = services.booking_create(
        requester=researcher,
        instrument=instrument,
        start=at(f"2026-10-12 {start}"),
        end=at(f"2026-10-12 {end}"),
        purpose="扫描电镜观察样品形貌",
        now=NOW,
    )
    return services.booking_check_in(
        booking=booking, by=researcher, now=at(f"2026-10-12 {arrived}")
    )


@pytest.fixture
def instrument(db):
    regions()
    return instrument_with_rules(managers=[person("manager")])


@pytest.fixture
def researcher(db):
    """A Mianyang researcher: the other-region rate, 150 元/h."""
    _bb, my = regions()
    return person("researcher", region=my)


def test_a_session_left_open_is_closed_at_its_booked_end_after_the_grace(
    instrument, researcher, settings
):
    settings.BOOKING_CHECKOUT_GRACE_MINUTES = 30
    booking = checked_in_booking(researcher, instrument)
    assert services.sweep_forgotten_check_outs(now=at("2026-10-12 11:29")) == 0
    assert services.sweep_forgotten_check_outs(now=at("2026-10-12 11:31")) == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.checked_out_at == at("2026-10-12 11:00")  # the booked end, not the sweep's now
    assert booking.charge == Decimal("300.00")  # 2 h booked at 150 元/h
    assert booking.checkout_forgotten is True
    closing = booking.transitions.get(to_status="completed")
    assert closing.by is None
    assert closing.reason == "未签退，按预约时段计费"


def test_the_sweep_closes_a_session_once_however_often_it_runs(instrument, researcher, settings):
    settings.BOOKING_CHECKOUT_GRACE_MINUTES = 30
    booking = checked_in_booking(researcher, instrument)
    assert services.sweep_forgotten_check_outs(now=at("2026-10-12 12:00")) == 1
    assert services.sweep_forgotten_check_outs(now=at("2026-10-12 13:00")) == 0
    assert booking.transitions.filter(to_status="completed").count() == 1


def test_a_checked_out_session_is_not_flagged(instrument, researcher, settings):
    settings.BOOKING_CHECKOUT_GRACE_MINUTES = 30
    booking = checked_in_booking(researcher, instrument)
    services.booking_check_out(booking=booking, by=researcher, now=at("2026-10-12 10:50"))
    assert services.sweep_forgotten_check_outs(now=at("2026-10-12 13:00")) == 0
    booking.refresh_from_db()
    assert booking.checkout_forgotten is False
    assert booking.checked_out_at == at("2026-10-12 10:50")


def test_the_grace_period_is_a_setting_defaulting_to_thirty_minutes(settings):
    from sharing.bookings.services.sweeps import checkout_grace_minutes

    del settings.BOOKING_CHECKOUT_GRACE_MINUTES
    assert checkout_grace_minutes() == 30
    settings.BOOKING_CHECKOUT_GRACE_MINUTES = 5
    assert checkout_grace_minutes() == 5


def test_the_indicators_count_a_swept_session_from_check_in_to_the_booked_end(
    instrument, researcher, settings
):
    settings.BOOKING_CHECKOUT_GRACE_MINUTES = 30
    checked_in_booking(researcher, instrument, arrived="08:45")
    services.sweep_forgotten_check_outs(now=at("2026-10-12 12:00"))
    [row] = indicators(level="instrument", year=2026)
    assert row.bookings == 1
    assert row.effective_hours == Decimal("2.25")  # 08:45 to 11:00


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_close_each_forgotten_session_once(settings):
    regions()
    settings.BOOKING_CHECKOUT_GRACE_MINUTES = 30
    instrument = instrument_with_rules(managers=[person("manager")])
    researcher = person("researcher")
    bookings = [
        checked_in_booking(researcher, instrument, f"{h:02d}:00", f"{h:02d}:30", f"{h:02d}:00")
        for h in range(8, 18)
    ]
    outcomes = race(services.sweep_forgotten_check_outs, [(at("2026-10-12 19:00"),)] * 4)
    assert sum(outcomes) == len(bookings), outcomes
    assert BookingTransition.objects.filter(to_status="completed").count() == len(bookings)
    assert Booking.objects.filter(status="completed", checkout_forgotten=True).count() == 10


def test_the_api_shows_the_flag_to_the_researcher(instrument, researcher, settings, api):
    settings.BOOKING_CHECKOUT_GRACE_MINUTES = 30
    booking = checked_in_booking(researcher, instrument)
    services.sweep_forgotten_check_outs(now=at("2026-10-12 12:00"))
    api.force_authenticate(researcher)
    body = api.get(f"/api/bookings/{booking.pk}/").json()
    assert body["checkout_forgotten"] is True
    assert body["charge"] == "300.00"
