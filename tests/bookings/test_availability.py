"""Free time after every rule: opening hours in Asia/Shanghai, holidays and 调休, blackouts,
live bookings with their buffer, minimum notice, how far ahead, slot alignment."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from sharing.bookings.availability import availability
from sharing.bookings.models import Blackout, Booking
from tests.bookings import at, instrument_with_rules, local, next_weekday, person

pytestmark = pytest.mark.django_db

NOW = at("2026-09-01 08:00")


def free(instrument, start, end, now=NOW):
    return [
        (a.strftime("%Y-%m-%d %H:%M"), b.strftime("%H:%M"))
        for a, b in availability(instrument=instrument, start=at(start), end=at(end), now=now)
    ]


def book(instrument, start, end, status=Booking.Status.APPROVED, buffer=0):
    requester = person(f"req{Booking.objects.count()}")
    return Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=DateTimeTZRange(at(start), at(end), "[)"),
        blocked=DateTimeTZRange(at(start), at(end) + datetime.timedelta(minutes=buffer), "[)"),
        status=status,
        purpose="测试",
        rate_category=Booking.RateCategory.SAME_REGION,
    )


def test_open_weekdays_are_free_and_returned_in_shanghai_time():
    instrument = instrument_with_rules()
    result = availability(
        instrument=instrument, start=at("2026-10-12 00:00"), end=at("2026-10-14 00:00"), now=NOW
    )
    assert [(a.isoformat(), b.isoformat()) for a, b in result] == [
        ("2026-10-12T08:00:00+08:00", "2026-10-12T18:00:00+08:00"),
        ("2026-10-13T08:00:00+08:00", "2026-10-13T18:00:00+08:00"),
    ]


def test_weekends_without_hours_are_closed():
    instrument = instrument_with_rules()
    assert free(instrument, "2026-10-17 00:00", "2026-10-19 00:00") == []


def test_a_holiday_is_closed_and_a_make_up_saturday_opens_with_mondays_hours():
    hours = {0: [("09:00", "12:00")], 3: [("08:00", "18:00")], 5: [("10:00", "11:00")]}
    instrument = instrument_with_rules(hours=hours)
    # 2026-10-01 is a Thursday and 国庆节; 2026-10-08 a Thursday worked as usual.
    assert free(instrument, "2026-10-01 00:00", "2026-10-02 00:00") == []
    assert free(instrument, "2026-10-08 00:00", "2026-10-09 00:00") == [
        ("2026-10-08 08:00", "18:00")
    ]
    # 2026-10-10 is the make-up Saturday: Monday's hours, not the Saturday's own.
    assert free(instrument, "2026-10-10 00:00", "2026-10-11 00:00") == [
        ("2026-10-10 09:00", "12:00")
    ]
    # An ordinary Saturday keeps its own hours.
    assert free(instrument, "2026-10-17 00:00", "2026-10-18 00:00") == [
        ("2026-10-17 10:00", "11:00")
    ]


def test_a_policy_that_ignores_holidays_keeps_the_weekly_timetable():
    instrument = instrument_with_rules(closed_on_holidays=False)
    assert free(instrument, "2026-10-01 00:00", "2026-10-02 00:00") == [
        ("2026-10-01 08:00", "18:00")
    ]
    assert free(instrument, "2026-10-10 00:00", "2026-10-11 00:00") == []


def test_live_bookings_take_their_time_and_the_buffer_before_them():
    instrument = instrument_with_rules(buffer_minutes=30)
    book(instrument, "2026-10-12 10:00", "2026-10-12 11:00", buffer=30)
    # A new booking must end 30 minutes before 10:00 and may start at 11:30.
    assert free(instrument, "2026-10-12 00:00", "2026-10-13 00:00") == [
        ("2026-10-12 08:00", "09:30"),
        ("2026-10-12 11:30", "18:00"),
    ]


def test_cancelled_and_finished_bookings_do_not_take_time():
    instrument = instrument_with_rules()
    book(instrument, "2026-10-12 10:00", "2026-10-12 11:00", status=Booking.Status.CANCELLED)
    book(instrument, "2026-10-12 12:00", "2026-10-12 13:00", status=Booking.Status.NO_SHOW)
    assert free(instrument, "2026-10-12 00:00", "2026-10-13 00:00") == [
        ("2026-10-12 08:00", "18:00")
    ]


def test_blackouts_and_maintenance_are_not_free():
    instrument = instrument_with_rules()
    Blackout.objects.create(
        instrument=instrument,
        period=DateTimeTZRange(at("2026-10-12 12:00"), at("2026-10-13 09:00"), "[)"),
        kind=Blackout.Kind.MAINTENANCE,
    )
    assert free(instrument, "2026-10-12 00:00", "2026-10-14 00:00") == [
        ("2026-10-12 08:00", "12:00"),
        ("2026-10-13 09:00", "18:00"),
    ]


def test_minimum_notice_and_slot_alignment_clip_the_start():
    instrument = instrument_with_rules(min_notice_minutes=60, slot_minutes=30)
    now = at("2026-10-12 08:07")
    assert free(instrument, "2026-10-12 00:00", "2026-10-13 00:00", now=now) == [
        ("2026-10-12 09:30", "18:00")
    ]


def test_nothing_beyond_the_advance_horizon():
    instrument = instrument_with_rules(max_advance_days=2)
    now = at("2026-10-12 12:00")
    assert free(instrument, "2026-10-12 00:00", "2026-10-20 00:00", now=now) == [
        ("2026-10-12 13:00", "18:00"),
        ("2026-10-13 08:00", "18:00"),
        ("2026-10-14 08:00", "12:00"),
    ]


def test_gaps_shorter_than_the_shortest_booking_are_not_offered():
    instrument = instrument_with_rules(min_minutes=60, slot_minutes=30)
    book(instrument, "2026-10-12 08:30", "2026-10-12 10:00")
    assert free(instrument, "2026-10-12 00:00", "2026-10-13 00:00") == [
        ("2026-10-12 10:00", "18:00")
    ]


def test_an_instrument_that_is_not_shared_or_not_running_has_no_free_time():
    instrument = instrument_with_rules()
    instrument.running_status = instrument.RunningStatus.AWAITING_REPAIR
    instrument.save()
    assert free(instrument, "2026-10-12 00:00", "2026-10-13 00:00") == []


def test_availability_is_a_handful_of_queries_however_many_bookings(
    django_assert_max_num_queries,
):
    instrument = instrument_with_rules()
    for day in range(12, 17):
        for hour in (8, 10, 12, 14, 16):
            book(instrument, f"2026-10-{day} {hour:02d}:00", f"2026-10-{day} {hour + 1:02d}:00")
    instrument.refresh_from_db()
    with django_assert_max_num_queries(5):
        result = free(instrument, "2026-10-12 00:00", "2026-11-09 00:00")
    assert result[0] == ("2026-10-12 09:00", "10:00")


# --- API ------------------------------------------------------------------------------------


def test_the_api_is_public_and_answers_with_the_offset(api):
    instrument = instrument_with_rules(closed_on_holidays=False)
    day = next_weekday(1)
    response = api.get(
        f"/api/instruments/{instrument.pk}/availability/",
        {"start": local(day, "00:00").isoformat(), "end": local(day, "23:00").isoformat()},
    )
    assert response.status_code == 200, response.content
    assert response.json() == [{"start": f"{day}T08:00:00+08:00", "end": f"{day}T18:00:00+08:00"}]


def test_the_api_reads_times_without_an_offset_as_shanghai_and_accepts_utc(api):
    instrument = instrument_with_rules(closed_on_holidays=False)
    day = next_weekday(1)
    url = f"/api/instruments/{instrument.pk}/availability/"
    naive = api.get(url, {"start": f"{day}T12:00:00", "end": f"{day}T14:00:00"}).json()
    utc = api.get(url, {"start": f"{day}T04:00:00Z", "end": f"{day}T06:00:00Z"}).json()
    assert naive == utc == [{"start": f"{day}T12:00:00+08:00", "end": f"{day}T14:00:00+08:00"}]


@pytest.mark.parametrize(
    "params",
    [
        {"start": "tomorrow", "end": "2026-12-01T00:00:00+08:00"},
        {"start": "2026-12-02T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"},
        {"start": "2026-12-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"},
        {"start": "2026-12-01T00:00:00+08:00", "end": "2027-02-02T00:00:00+08:00"},
        {"start": "2026-12-01T00:00:00+08:00"},
    ],
    ids=["not-a-time", "inverted", "zero-length", "over-62-days", "no-end"],
)
def test_the_api_refuses_bad_ranges_with_400(api, params):
    instrument = instrument_with_rules()
    response = api.get(f"/api/instruments/{instrument.pk}/availability/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_api_answers_404_for_an_unknown_instrument(api):
    response = api.get(
        "/api/instruments/999999/availability/",
        {"start": "2026-12-01T00:00:00+08:00", "end": "2026-12-02T00:00:00+08:00"},
    )
    assert response.status_code == 404
