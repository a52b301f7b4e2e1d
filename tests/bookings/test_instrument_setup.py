"""The manager's console services: a week of opening hours replaced at once, the booking policy
and the rates, each checked before anything is written, audited, and in force at once."""

import datetime
from decimal import Decimal

import pytest

from portal.audit.models import AuditEvent
from portal.errors import Forbidden, RuleBroken
from sharing.bookings import services
from sharing.bookings.availability import availability
from sharing.bookings.models import BookingPolicy, OpeningHours
from sharing.bookings.services.instrument_setup import (
    booking_policy_update,
    instrument_rates_update,
    opening_hours_set,
)
from tests.bookings import at, instrument_with_rules, local, next_weekday, person, regions

T = datetime.time


@pytest.fixture
def manager(db):
    regions()
    return person("manager")


@pytest.fixture
def instrument(manager):
    return instrument_with_rules(managers=[manager])


@pytest.fixture
def outsider(db):
    return person("outsider")


def week(instrument):
    return list(
        OpeningHours.objects.filter(instrument=instrument)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    )


# --- Opening hours ----------------------------------------------------------------------------


def test_it_replaces_the_whole_week_and_audits_it(instrument, manager):
    opening_hours_set(
        instrument=instrument,
        by=manager,
        hours=[(0, "09:00", "12:00"), (0, "13:00", "17:00"), (5, T(9), T(12))],
    )
    assert week(instrument) == [(0, T(9), T(12)), (0, T(13), T(17)), (5, T(9), T(12))]
    event = AuditEvent.objects.get(action="instrument.hours_set")
    assert event.actor == manager
    assert event.changes["hours"][1] == ["0:09:00-12:00", "0:13:00-17:00", "5:09:00-12:00"]


def test_it_takes_24_00_as_midnight(instrument, manager):
    opening_hours_set(instrument=instrument, by=manager, hours=[(6, "20:00", "24:00")])
    assert week(instrument) == [(6, T(20), T(23, 59))]


def test_an_empty_week_closes_the_instrument(instrument, manager):
    opening_hours_set(instrument=instrument, by=manager, hours=[])
    assert week(instrument) == []


@pytest.mark.parametrize(
    ("hours", "row", "words"),
    [
        ([(0, "09:00", "12:00"), (7, "09:00", "12:00")], 2, "星期"),
        ([(1, "12:00", "09:00")], 1, "早于"),
        ([(1, "12:00", "12:00")], 1, "早于"),
        ([(2, "09:00", "12:00"), (2, "11:00", "14:00")], 2, "重叠"),
        ([(2, "09:00", "12:00"), (2, "12:00", "14:00")], 2, "首尾相接"),
        ([(2, "09:00", "12:00"), (2, "09:00", "12:00")], 2, "重叠"),
        ([(3, "09:10", "12:00")], 1, "30 分钟"),
        ([(3, "9 am", "12:00")], 1, "HH:MM"),
        ([(-1, "09:00", "12:00")], 1, "星期"),
    ],
)
def test_it_refuses_contradictory_hours_and_writes_nothing(instrument, manager, hours, row, words):
    before = week(instrument)
    with pytest.raises(RuleBroken) as refused:
        opening_hours_set(instrument=instrument, by=manager, hours=hours)
    assert refused.value.rule == "hours_invalid"
    assert f"第 {row} 行" in refused.value.message
    assert words in refused.value.message
    assert f"hours.{row - 1}" in refused.value.fields
    assert week(instrument) == before
    assert not AuditEvent.objects.filter(action="instrument.hours_set").exists()


def test_an_interval_inside_a_long_one_is_an_overlap_even_after_a_short_one(instrument, manager):
    hours = [(4, "08:00", "18:00"), (4, "09:00", "10:00"), (4, "12:00", "13:00")]
    with pytest.raises(RuleBroken) as refused:
        opening_hours_set(instrument=instrument, by=manager, hours=hours)
    assert set(refused.value.fields) == {"hours.1", "hours.2"}
    assert "第 1 行" in refused.value.fields["hours.2"][0]


def test_it_refuses_someone_who_does_not_manage_the_instrument(instrument, outsider):
    with pytest.raises(Forbidden):
        opening_hours_set(instrument=instrument, by=outsider, hours=[])
    assert len(week(instrument)) == 5


def test_new_hours_count_for_availability_at_once(instrument, manager):
    saturday = next_weekday(5)
    start, end = local(saturday, "00:00"), local(saturday, "23:59")
    assert availability(instrument=instrument, start=start, end=end) == []
    opening_hours_set(instrument=instrument, by=manager, hours=[(5, "09:00", "12:00")])
    assert availability(instrument=instrument, start=start, end=end) == [
        (local(saturday, "09:00"), local(saturday, "12:00"))
    ]


# --- Booking policy ---------------------------------------------------------------------------


def test_it_changes_the_policy_and_approval_and_audits_the_difference(instrument, manager):
    booking_policy_update(
        instrument=instrument,
        by=manager,
        min_notice_minutes=120,
        weekly_quota_minutes=600,
        walk_up_allowed=True,
        approval_required=True,
    )
    policy = BookingPolicy.objects.get(instrument=instrument)
    assert (policy.min_notice_minutes, policy.weekly_quota_minutes) == (120, 600)
    assert policy.walk_up_allowed is True
    instrument.refresh_from_db()
    assert instrument.approval_required is True
    event = AuditEvent.objects.get(action="instrument.policy_updated")
    assert event.changes["min_notice_minutes"] == [60, 120]
    assert event.changes["approval_required"] == [False, True]


def test_an_instrument_without_a_policy_gets_one(manager):
    instrument = instrument_with_rules(managers=[manager])
    BookingPolicy.objects.filter(instrument=instrument).delete()
    instrument.refresh_from_db()
    booking_policy_update(instrument=instrument, by=manager, buffer_minutes=15)
    assert BookingPolicy.objects.get(instrument=instrument).buffer_minutes == 15


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"min_minutes": 600, "max_minutes": 60}, "min_minutes"),
        ({"slot_minutes": 4}, "slot_minutes"),
        ({"slot_minutes": 2000}, "slot_minutes"),
        ({"slot_minutes": 7}, "slot_minutes"),
        ({"slot_minutes": 120, "max_minutes": 60, "min_minutes": 30}, "max_minutes"),
        ({"max_advance_days": 0}, "max_advance_days"),
        ({"buffer_minutes": -5}, "buffer_minutes"),
        ({"weekly_quota_minutes": 10}, "weekly_quota_minutes"),
        ({"min_notice_minutes": "soon"}, "min_notice_minutes"),
        ({"walk_up_allowed": "yes"}, "walk_up_allowed"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_it_refuses_bad_policies_and_writes_nothing(instrument, manager, fields, field):
    before = BookingPolicy.objects.filter(instrument=instrument).values().get()
    with pytest.raises(RuleBroken) as refused:
        booking_policy_update(instrument=instrument, by=manager, **fields)
    assert refused.value.rule == "policy_invalid"
    assert field in refused.value.fields
    assert BookingPolicy.objects.filter(instrument=instrument).values().get() == before
    assert not AuditEvent.objects.filter(action="instrument.policy_updated").exists()


def test_a_slot_the_opening_hours_do_not_fit_is_refused(instrument, manager):
    opening_hours_set(instrument=instrument, by=manager, hours=[(0, "08:30", "17:30")])
    with pytest.raises(RuleBroken) as refused:
        booking_policy_update(instrument=instrument, by=manager, slot_minutes=60)
    assert "开放时间" in refused.value.fields["slot_minutes"][0]


def test_a_new_notice_counts_for_the_next_booking_at_once(instrument, manager):
    researcher = person("researcher")
    booking_policy_update(instrument=instrument, by=manager, min_notice_minutes=3 * 24 * 60)
    with pytest.raises(RuleBroken) as refused:
        services.booking_create(
            requester=researcher,
            instrument=instrument,
            start=at("2026-10-12 09:00"),
            end=at("2026-10-12 10:00"),
            purpose="测试",
            now=at("2026-10-11 09:00"),
        )
    assert refused.value.rule == "min_notice"


# --- Rates ------------------------------------------------------------------------------------


def test_it_sets_the_four_rates_and_audits_them(instrument, manager):
    instrument_rates_update(
        instrument=instrument,
        by=manager,
        internal=Decimal("40"),
        same_region="80.50",
        other_region=Decimal("120"),
        firm=None,
    )
    instrument.refresh_from_db()
    assert instrument.rate_internal == Decimal("40.00")
    assert instrument.rate_same_region == Decimal("80.50")
    assert instrument.rate_firm is None
    event = AuditEvent.objects.get(action="instrument.rates_updated")
    assert event.changes["rate_internal"] == ["50.00", "40.00"]


@pytest.mark.parametrize("bad", [Decimal("-1"), "abc", Decimal("100000.01"), "1.005", "NaN", True])
def test_it_refuses_bad_rates_and_writes_nothing(instrument, manager, bad):
    with pytest.raises(RuleBroken) as refused:
        instrument_rates_update(
            instrument=instrument,
            by=manager,
            internal=Decimal("1"),
            same_region=Decimal("2"),
            other_region=bad,
            firm=Decimal("3"),
        )
    assert "other_region" in refused.value.fields
    instrument.refresh_from_db()
    assert instrument.rate_internal == Decimal("50.00")
    assert not AuditEvent.objects.filter(action="instrument.rates_updated").exists()


def test_an_outsider_cannot_change_rates_or_policy(instrument, outsider):
    with pytest.raises(Forbidden):
        booking_policy_update(instrument=instrument, by=outsider, buffer_minutes=10)
    with pytest.raises(Forbidden):
        instrument_rates_update(
            instrument=instrument, by=outsider, internal=0, same_region=0, other_region=0, firm=0
        )
