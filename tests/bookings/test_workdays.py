"""Chinese public holidays, 调休 make-up working days and administrators' overrides."""

import datetime

import chinese_calendar
import pytest

from sharing.bookings.models import CalendarOverride
from sharing.bookings.workdays import DayKind, day_kind, day_kinds, is_open_day

D = datetime.date.fromisoformat


def test_the_package_agrees_with_what_these_tests_assume():
    # Checked against chinese-calendar itself, so a wrong assumption fails here, not below.
    assert chinese_calendar.is_holiday(D("2026-10-01")) and D("2026-10-01").weekday() == 3
    assert chinese_calendar.is_workday(D("2026-10-10")) and D("2026-10-10").weekday() == 5
    assert chinese_calendar.is_holiday(D("2026-09-26")) and D("2026-09-26").weekday() == 5
    assert chinese_calendar.is_workday(D("2026-10-12"))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D("2027-01-04"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "kind"),
    [
        ("2026-10-01", DayKind.HOLIDAY),  # 国庆节, a Thursday
        ("2026-09-26", DayKind.HOLIDAY),  # a Saturday inside the 中秋/国庆 block
        ("2026-10-10", DayKind.MAKEUP),  # Saturday worked for 国庆 (调休)
        ("2026-02-14", DayKind.MAKEUP),  # Saturday worked for 春节
        ("2026-10-12", DayKind.WORKDAY),  # an ordinary Monday
        ("2026-10-17", DayKind.REST),  # an ordinary Saturday
        ("2026-10-18", DayKind.REST),  # an ordinary Sunday
    ],
)
def test_days_are_classified_from_chinese_calendar(day, kind):
    assert day_kind(D(day)) == kind


@pytest.mark.django_db
def test_holidays_are_closed_and_make_up_saturdays_open():
    assert not is_open_day(D("2026-10-01"))
    assert is_open_day(D("2026-10-10"))
    assert not is_open_day(D("2026-10-17"))


@pytest.mark.django_db
def test_an_administrators_override_wins_over_the_package():
    CalendarOverride.objects.create(date=D("2026-10-12"), is_workday=False, note="停电检修")
    CalendarOverride.objects.create(date=D("2026-10-01"), is_workday=True)
    CalendarOverride.objects.create(date=D("2026-10-17"), is_workday=True)
    assert day_kind(D("2026-10-12")) == DayKind.HOLIDAY
    assert day_kind(D("2026-10-01")) == DayKind.WORKDAY
    assert day_kind(D("2026-10-17")) == DayKind.MAKEUP


@pytest.mark.django_db
def test_unknown_years_fall_back_to_monday_to_friday_plus_overrides():
    assert day_kind(D("2027-01-04")) == DayKind.WORKDAY  # Monday
    assert day_kind(D("2027-01-09")) == DayKind.REST  # Saturday
    CalendarOverride.objects.create(date=D("2027-02-06"), is_workday=True, note="春节调休")
    CalendarOverride.objects.create(date=D("2027-02-08"), is_workday=False, note="春节")
    assert day_kind(D("2027-02-06")) == DayKind.MAKEUP
    assert day_kind(D("2027-02-08")) == DayKind.HOLIDAY


@pytest.mark.django_db
def test_a_range_of_days_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        kinds = day_kinds(D("2026-12-20"), D("2027-01-20"))
    assert len(kinds) == 32
    assert kinds[D("2027-01-01")] == DayKind.WORKDAY  # 2027 unknown: plain weekday rules
