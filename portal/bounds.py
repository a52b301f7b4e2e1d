"""The dates and times the portal accepts from outside: 2000-01-01 00:00 to 2100-01-01 00:00,
Asia/Shanghai (so the last whole day is 2099-12-31).

Python's datetime stops at years 1 and 9999, and a value near either edge overflows as soon as
it is converted to UTC, shifted by a week (a series), a day (an export's end date) or a
timezone offset (a quote): a 500 deep in arithmetic. Nothing the portal records lies outside
these years: bookings are a few months ahead at most, the national platform's records and the
holiday calendar (chinese-calendar, from 2004) begin well after 2000, and the week page already
kept to them. Every input field for a date or time (bookings, series, waitlist, availability,
the quote, service-record exports) goes through this module, so a date out of range is a 400
naming the field, and the arithmetic behind it never sees a year it cannot handle.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

TZ = ZoneInfo(settings.TIME_ZONE)
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)
EARLIEST = datetime.datetime.combine(FIRST_DAY, datetime.time(), tzinfo=TZ)
# The end of the last day: an end time (exclusive) may be midnight after it.
LATEST = datetime.datetime.combine(LAST_DAY, datetime.time(), tzinfo=TZ) + datetime.timedelta(1)

DATE_MESSAGE = _("日期须在 2000-01-01 至 2099-12-31 之间。")
DATETIME_MESSAGE = _("时间须在 2000-01-01 00:00 至 2100-01-01 00:00（北京时间）之间。")


def date_in_range(day: datetime.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def datetime_in_range(moment: datetime.datetime) -> bool:
    """Naive times are read as Beijing time. The year is looked at before anything converts
    the value: converting year 1 or year 9999 is what overflows."""
    if not FIRST_DAY.year - 1 <= moment.year <= LAST_DAY.year + 1:
        return False
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=TZ)
    return EARLIEST <= moment <= LATEST


def parse_datetime_param(text: str) -> datetime.datetime | None:
    """An ISO 8601 query parameter as an aware time (naive read as Beijing time), or None when
    it is not a time: for views that read the query by hand. Nothing is converted, so a time
    out of range is returned as it is, for datetime_in_range to judge."""
    try:
        moment = parse_datetime(text or "")
    except ValueError:  # well formed but not a date, like month 13
        return None
    if moment is None or moment.utcoffset() is not None:
        return moment
    return moment.replace(tzinfo=TZ)


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, refusing times outside the accepted range before converting them."""

    default_error_messages = {"out_of_range": DATETIME_MESSAGE}

    def enforce_timezone(self, value):
        if not datetime_in_range(value):
            self.fail("out_of_range")
        return super().enforce_timezone(value)


class DateField(serializers.DateField):
    """DRF's DateField, refusing dates outside the accepted range."""

    default_error_messages = {"out_of_range": DATE_MESSAGE}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not date_in_range(day):
            self.fail("out_of_range")
        return day
