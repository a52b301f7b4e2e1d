"""Hostile time ranges for bookings, series, the waitlist and availability: a 400 naming the
field or the rule, and nothing stored (bookings, transitions, waitlist, voucher entries)."""

import datetime

import pytest

from portal.accounts.models import Role
from sharing.bookings.models import (
    Booking,
    BookingSeries,
    BookingTransition,
    VoucherEntry,
    WaitlistEntry,
)
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    regions()
    return person("manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def instrument(manager):
    return instrument_with_rules(managers=[manager], closed_on_holidays=False)


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


def stored() -> tuple[int, int, int, int, int]:
    return (
        Booking.objects.count(),
        BookingSeries.objects.count(),
        BookingTransition.objects.count(),
        WaitlistEntry.objects.count(),
        VoucherEntry.objects.count(),
    )


def day_at(text: str, *, years_later: int = 0) -> str:
    day = next_weekday(2) + datetime.timedelta(days=round(365.25 * years_later))
    return local(day, text).isoformat()


# (start, end, the field or rule the answer must name)
RANGES = {
    "inverted": (day_at("10:00"), day_at("09:00"), "end"),
    "zero_length": (day_at("09:00"), day_at("09:00"), "end"),
    "ten_years": (day_at("09:00"), day_at("09:00", years_later=10), "too_long"),
    # Times outside 2000–2099 (portal.bounds) are refused by the field, before any arithmetic:
    # near year 1 or 9999 converting to UTC or adding a week overflows.
    "year_9999": ("9999-12-31T09:00:00+08:00", "9999-12-31T10:00:00+08:00", "start"),
    "year_9999_past_utc_end": ("9999-12-31T23:00:00-10:00", "9999-12-31T23:30:00-10:00", "start"),
    "year_1": ("0001-01-01T09:00:00", "0001-01-01T10:00:00", "start"),
    # Naive midnight of year 1 read as Beijing time is before year 1 in UTC.
    "year_1_midnight": ("0001-01-01T00:00:00", "0001-01-01T01:00:00", "start"),
    "year_1_aware": ("0001-01-01T00:30:00+08:00", "0001-01-01T01:00:00+08:00", "start"),
    "long_ago": ("1970-01-07T09:00:00+08:00", "1970-01-07T10:00:00+08:00", "start"),
    "year_2100": ("2100-01-04T09:00:00", "2100-01-04T10:00:00", "start"),
    "end_in_year_9999": (day_at("09:00"), "9999-12-31T10:00:00", "end"),
    "month_13": ("2026-13-01T09:00:00", "2026-13-01T10:00:00", "start"),
    "hour_25": (day_at("09:00")[:11] + "25:00:00", day_at("10:00"), "start"),
    "words": ("tomorrow morning", "tomorrow noon", "start"),
    "empty": ("", "", "start"),
    "number": (1767225600, 1767229200, "start"),
    "huge_string": ("2026-01-01T09:00:00" + "9" * 10_000, day_at("10:00"), "start"),
    "nul_then_text": ("2026-01-01T09:00:00\x00junk", day_at("10:00"), "start"),
}


def named(error: dict, names: str) -> bool:
    return any(
        error.get("rule") == name or name in (error.get("fields") or {}) for name in names.split()
    )


def assert_refused(response, name: str):
    assert response.status_code == 400, (response.status_code, response.content[:400])
    error = response.json()["error"]
    assert error["message"], error
    assert named(error, name), error


@pytest.mark.parametrize("case", RANGES)
def test_a_bad_booking_range_is_refused_and_nothing_is_stored(api, researcher, instrument, case):
    start, end, name = RANGES[case]
    before = stored()
    api.force_authenticate(researcher)
    body = {"instrument": instrument.pk, "start": start, "end": end, "purpose": "XRD"}
    assert_refused(api.post("/api/bookings/", body, format="json"), name)
    assert stored() == before


SOME = [
    "inverted",
    "zero_length",
    "year_9999",
    "year_9999_past_utc_end",
    "year_1",
    "year_1_midnight",
    "year_1_aware",
    "end_in_year_9999",
    "words",
]


@pytest.mark.parametrize("case", SOME)
def test_a_bad_series_range_is_refused_and_nothing_is_stored(api, researcher, instrument, case):
    start, end, name = RANGES[case]
    api.force_authenticate(researcher)
    body = {"instrument": instrument.pk, "start": start, "end": end, "purpose": "XRD", "weeks": 3}
    assert_refused(api.post("/api/bookings/series/", body, format="json"), name)
    assert stored() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("case", SOME)
def test_a_bad_waitlist_range_is_refused_and_nothing_is_stored(api, researcher, instrument, case):
    start, end, name = RANGES[case]
    api.force_authenticate(researcher)
    body = {"instrument": instrument.pk, "start": start, "end": end}
    assert_refused(api.post("/api/waitlist/", body, format="json"), name)
    assert stored() == (0, 0, 0, 0, 0)


AVAILABILITY = {
    **{k: v for k, v in RANGES.items() if v[2] in ("start", "end")},
    "ten_years": (day_at("09:00"), day_at("09:00", years_later=10), "end"),
    "63_days": ("2026-01-01T00:00:00", "2026-03-05T00:00:00", "end"),
}


@pytest.mark.parametrize("case", AVAILABILITY)
def test_a_bad_availability_range_is_refused_by_name(api, instrument, case):
    start, end, name = AVAILABILITY[case]
    response = api.get(
        f"/api/instruments/{instrument.pk}/availability/", {"start": start, "end": end}
    )
    assert_refused(response, name)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2000-01-03T00:00:00", "2000-01-10T00:00:00"),
        ("2099-12-25T00:00:00", "2100-01-01T00:00:00"),
    ],
)
def test_availability_at_the_edges_of_the_accepted_years_is_honestly_empty(
    api, instrument, start, end
):
    response = api.get(
        f"/api/instruments/{instrument.pk}/availability/", {"start": start, "end": end}
    )
    assert (response.status_code, response.json()) == (200, [])


def test_naive_times_are_beijing_time_and_mean_the_same_as_aware_ones(api, researcher, instrument):
    api.force_authenticate(researcher)
    naive = day_at("09:00")[:19]
    body = {"instrument": instrument.pk, "start": naive, "end": day_at("10:00"), "purpose": "XRD"}
    response = api.post("/api/bookings/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["start"] == day_at("09:00")
    # The same hour written in UTC is the same slot: taken.
    utc = Booking.objects.get().period.lower.isoformat()
    again = {**body, "start": utc}
    assert api.post("/api/bookings/", again, format="json").status_code == 409


@pytest.mark.parametrize(
    ("years", "name"), [(1, "too_far_ahead"), (50, "too_far_ahead"), (100, "end")]
)
def test_a_wait_of_years_is_refused_like_a_booking(api, researcher, instrument, years, name):
    owner = person("owner", organisation=instrument.organisation)
    api.force_authenticate(owner)
    body = {"instrument": instrument.pk, "start": day_at("09:00"), "end": day_at("10:00")}
    assert api.post("/api/bookings/", {**body, "purpose": "XRD"}, format="json").status_code == 201
    api.force_authenticate(researcher)
    body["end"] = day_at("10:00", years_later=years)
    assert_refused(api.post("/api/waitlist/", body, format="json"), name)
    assert not WaitlistEntry.objects.exists()
