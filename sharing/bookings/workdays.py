"""Which dates are open: Chinese public holidays, make-up working days (调休) and overrides.

The chinese-calendar package knows the State Council's holiday notices from 2004 to the last
year it was released for; an administrator's CalendarOverride has the last word on any date
(a late notice, a local closure, a year the package does not know yet). For unknown years the
plain rule applies: Monday to Friday are workdays, Saturday and Sunday rest days.

Four kinds of day matter for opening hours:

- WORKDAY: an ordinary Monday–Friday;
- REST: an ordinary Saturday or Sunday (the instrument's weekend hours, if it has any, apply);
- HOLIDAY: a statutory holiday, including the weekend days inside a holiday block, or a date an
  administrator marked as not a workday;
- MAKEUP: a Saturday or Sunday that is a working day because of 调休.

How a make-up weekend day maps to opening hours is decided in availability.py (Monday's).
"""

import datetime
import enum
import functools
from collections.abc import Iterable

import chinese_calendar

from sharing.bookings.models import CalendarOverride


class DayKind(enum.StrEnum):
    WORKDAY = "workday"
    REST = "rest"
    HOLIDAY = "holiday"
    MAKEUP = "makeup"


@functools.lru_cache(maxsize=4096)
def _package_kind(day: datetime.date) -> DayKind | None:
    """The package's word, or None for a year it does not know. Cached: the package is data
    fixed at install time, and asking it about an unknown year costs an exception."""
    try:
        workday = chinese_calendar.is_workday(day)
        _is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    weekend = day.weekday() >= 5
    if workday:
        return DayKind.MAKEUP if weekend else DayKind.WORKDAY
    # A rest day with a festival name is a statutory holiday (weekend days inside the block
    # included); a rest day without one is an ordinary weekend.
    return DayKind.HOLIDAY if name else DayKind.REST


def _plain_kind(day: datetime.date) -> DayKind:
    return DayKind.REST if day.weekday() >= 5 else DayKind.WORKDAY


def _override_kind(day: datetime.date, is_workday: bool) -> DayKind:
    if is_workday:
        return DayKind.MAKEUP if day.weekday() >= 5 else DayKind.WORKDAY
    # An administrator closing a date closes it whatever the weekday: that is the point of it.
    return DayKind.HOLIDAY


def day_kinds(first: datetime.date, last: datetime.date) -> dict[datetime.date, DayKind]:
    """The kind of every date from first to last inclusive, with one query for overrides."""
    overrides = dict(
        CalendarOverride.objects.filter(date__range=(first, last)).values_list("date", "is_workday")
    )
    kinds = {}
    day = first
    while day <= last:
        if day in overrides:
            kinds[day] = _override_kind(day, overrides[day])
        else:
            kinds[day] = _package_kind(day) or _plain_kind(day)
        day += datetime.timedelta(days=1)
    return kinds


def day_kind(day: datetime.date) -> DayKind:
    return day_kinds(day, day)[day]


def is_open_day(day: datetime.date) -> bool:
    """A working day in the Chinese sense: an ordinary weekday or a make-up day, not a holiday
    and not an ordinary weekend."""
    return day_kind(day) in (DayKind.WORKDAY, DayKind.MAKEUP)


def dates(first: datetime.date, last: datetime.date) -> Iterable[datetime.date]:
    day = first
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)
