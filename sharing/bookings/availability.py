"""Free time of an instrument: opening hours minus holidays, blackouts and live bookings.

Everything is computed in Python from five small queries (policy, weekly hours, calendar
overrides, blackouts, bookings in range through the exclusion constraint's GiST index), so a
month of availability stays well under 20 ms even with thousands of bookings.

Opening hours are wall-clock times in Asia/Shanghai; the datetimes handed in and out are aware
(UTC in the database, +08:00 when shown).

A make-up working day (调休) on a Saturday or Sunday opens with **Monday's** hours. The notices
of the State Council say only "周六上班", never which weekday's timetable applies, and
chinese-calendar cannot tell either; Monday is the instrument's ordinary working-day timetable
(weekday hours are in practice the same Monday to Friday), so it is the one rule that is always
defined and that a manager can predict. The instrument's own weekend hours, if any, do not apply
on such a day: it is a working day. When the policy does not close on holidays, the Chinese
calendar is ignored altogether and the weekly timetable applies as it stands.
"""

import datetime
import math
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections
from django.db.models import F, FloatField, Func, Q, Value
from django.utils import timezone

from sharing.bookings import rules
from sharing.bookings.models import Blackout, Booking, BookingPolicy, OpeningHours
from sharing.bookings.workdays import DayKind, day_kinds
from sharing.catalogue.models import Instrument

TZ = ZoneInfo(settings.TIME_ZONE)
MAKEUP_DAY_HOURS_OF = 0  # Monday: see the module docstring
# TimeField cannot hold 24:00, so a day that closes at 23:59 (or later) closes at midnight.
END_OF_DAY = datetime.time(23, 59)

Interval = tuple[datetime.datetime, datetime.datetime]


class _Bound(Func):
    """A range's bound as epoch seconds. psycopg parses a tstzrange's text in Python (a regex
    and two timestamp parses per row: ~0.2 ms each); a float costs next to nothing, which is
    what keeps 2,000 bookings in a month under a few milliseconds."""

    output_field = FloatField()

    def __init__(self, expression, *, bound: str):
        assert bound in ("lower", "upper")
        super().__init__(expression)
        # date_part gives float8 directly; EXTRACT goes through numeric, slower per row.
        self.template = f"date_part('epoch', {bound.upper()}(%(expressions)s))"


def _bounds(queryset, field: str):
    """(lower, upper) of every row's range as epoch seconds; no ORDER BY (the model's default
    ordering would sort for nothing)."""
    return queryset.order_by().values_list(
        _Bound(F(field), bound="lower"), _Bound(F(field), bound="upper")
    )


def _fetch(queryset) -> list[tuple]:
    """Rows straight from the cursor: Django's per-row converters would cost more than the
    query itself here."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def policy_for(instrument: Instrument) -> BookingPolicy:
    """The instrument's policy, or the defaults (unsaved) when none has been written yet."""
    try:
        return instrument.booking_policy
    except BookingPolicy.DoesNotExist:
        return BookingPolicy(instrument=instrument)


def weekly_hours(instrument: Instrument) -> dict[int, list[tuple[datetime.time, datetime.time]]]:
    hours: dict[int, list] = {}
    # order_by(): the model's ordering starts with "instrument", which would join the table.
    rows = (
        OpeningHours.objects.filter(instrument=instrument)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    )
    for weekday, opens, closes in rows:
        hours.setdefault(weekday, []).append((opens, closes))
    return hours


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, with touching and overlapping intervals joined."""
    ordered = sorted(intervals)
    if not ordered:
        return []
    merged = []
    current_lo, current_hi = ordered[0]
    for lo, hi in ordered:
        if lo <= current_hi:
            if hi > current_hi:
                current_hi = hi
        else:
            merged.append((current_lo, current_hi))
            current_lo, current_hi = lo, hi
    merged.append((current_lo, current_hi))
    return merged


def subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    """free minus busy; both sorted and merged. Linear in their lengths."""
    result = []
    j = 0
    for lo, hi in free:
        while j < len(busy) and busy[j][1] <= lo:
            j += 1
        k = j
        cursor = lo
        while k < len(busy) and busy[k][0] < hi:
            if busy[k][0] > cursor:
                result.append((cursor, busy[k][0]))
            cursor = max(cursor, busy[k][1])
            k += 1
        if cursor < hi:
            result.append((cursor, hi))
    return result


def local_midnight(moment: datetime.datetime) -> datetime.datetime:
    local = moment.astimezone(TZ)
    return datetime.datetime.combine(local.date(), datetime.time(), tzinfo=TZ)


def align_up(moment: datetime.datetime, slot: int) -> datetime.datetime:
    """The first slot boundary at or after moment; slots count from local midnight."""
    midnight = local_midnight(moment)
    minutes = (moment - midnight).total_seconds() / 60
    aligned = midnight + datetime.timedelta(minutes=math.ceil(minutes / slot - 1e-9) * slot)
    # A slot that does not divide the day restarts at the next midnight.
    return min(aligned, midnight + datetime.timedelta(days=1))


def align_down(moment: datetime.datetime, slot: int) -> datetime.datetime:
    midnight = local_midnight(moment)
    minutes = (moment - midnight).total_seconds() / 60
    return midnight + datetime.timedelta(minutes=math.floor(minutes / slot + 1e-9) * slot)


def is_aligned(moment: datetime.datetime, slot: int) -> bool:
    return align_down(moment, slot) == moment


def open_intervals(
    *,
    policy: BookingPolicy,
    hours: dict,
    kinds: dict[datetime.date, DayKind],
    close_holidays: bool = True,
) -> list[Interval]:
    """Opening hours on every date of ``kinds`` as aware intervals, merged across midnight.

    With close_holidays=False holidays keep their weekday hours: the rules use that to tell
    "outside opening hours" apart from "a holiday"."""
    intervals = []
    for day, kind in kinds.items():
        weekday = day.weekday()
        if policy.closed_on_holidays:
            if kind == DayKind.HOLIDAY and close_holidays:
                continue
            if kind == DayKind.MAKEUP:
                weekday = MAKEUP_DAY_HOURS_OF
        for opens, closes in hours.get(weekday, ()):
            lo = datetime.datetime.combine(day, opens, tzinfo=TZ)
            if closes >= END_OF_DAY:
                hi = datetime.datetime.combine(
                    day + datetime.timedelta(days=1), datetime.time(), tzinfo=TZ
                )
            else:
                hi = datetime.datetime.combine(day, closes, tzinfo=TZ)
            intervals.append((lo, hi))
    return merge(intervals)


def local_dates(start: datetime.datetime, end: datetime.datetime) -> tuple:
    """First and last local date an interval [start, end) touches."""
    last = (end - datetime.timedelta(microseconds=1)).astimezone(TZ).date()
    return start.astimezone(TZ).date(), max(last, start.astimezone(TZ).date())


def horizon(*, policy: BookingPolicy, now: datetime.datetime) -> Interval:
    """The window in which a booking may lie: from now + min notice to now + max advance."""
    return (
        now + datetime.timedelta(minutes=policy.min_notice_minutes),
        now + datetime.timedelta(days=policy.max_advance_days),
    )


def busy_intervals(
    *, instrument: Instrument, policy: BookingPolicy, lo: datetime.datetime, hi: datetime.datetime
) -> list[tuple[float, float]]:
    """Blackouts, and live bookings widened so that a new booking's buffer fits before them,
    as merged epoch-second intervals.

    A new booking [s, e) blocks [s, e + buffer); it cannot overlap an existing blocked range
    [bs, be), so it needs s >= be and e <= bs - buffer: the time taken is [bs - buffer, be)."""
    buffer = policy.buffer_minutes * 60
    margin = datetime.timedelta(seconds=buffer)
    blackouts = _bounds(
        Blackout.objects.filter(instrument=instrument, period__overlap=(lo, hi)), "period"
    ).annotate(widen=Value(0.0))
    # The bookings are read through the exclusion constraint's own GiST index (its predicate
    # is the same list of live statuses); both in one round trip.
    booked = _bounds(
        Booking.objects.filter(
            Q(instrument=instrument),
            Q(status__in=Booking.LIVE),
            Q(blocked__overlap=(lo - margin, hi + margin)),
        ),
        "blocked",
    ).annotate(widen=Value(float(buffer)))
    busy = [(a - float(widen), b) for a, b, widen in _fetch(booked.union(blackouts, all=True))]
    return merge(busy)


def _offset(epoch: float) -> float:
    """Seconds east of UTC in Asia/Shanghai at that instant."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC).replace(tzinfo=None)
    return TZ.utcoffset(moment).total_seconds()


def _align(epoch: float, slot_s: int, *, up: bool, offset: float | None = None) -> float:
    """Epoch-second version of align_up/align_down: slots count from local midnight."""
    offset = _offset(epoch) if offset is None else offset
    local = epoch + offset
    midnight = local - local % 86400
    steps = (local - midnight) / slot_s
    steps = math.ceil(steps - 1e-9) if up else math.floor(steps + 1e-9)
    aligned = min(midnight + steps * slot_s, midnight + 86400)
    return aligned - offset


def availability(
    *,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> list[Interval]:
    """Free intervals in [start, end) after every public rule, in Asia/Shanghai.

    Each interval starts and ends on a slot boundary and is at least as long as the shortest
    booking allowed (a shorter gap cannot be booked, so it is not shown as free). Per-person
    rules (qualification, weekly quota, recognition) are checked when booking.

    The arithmetic runs on epoch seconds: thousands of bookings become floats, not datetimes,
    and only the answer is turned back into datetimes."""
    if rules.may_be_booked(instrument=instrument) is not None:
        return []
    now = now or timezone.now()
    policy = policy_for(instrument)
    earliest, latest = horizon(policy=policy, now=now)
    lo, hi = max(start, earliest), min(end, latest)
    if lo >= hi:
        return []
    first, last = local_dates(lo, hi)
    opened = open_intervals(
        policy=policy, hours=weekly_hours(instrument), kinds=day_kinds(first, last)
    )
    lo_s, hi_s = lo.timestamp(), hi.timestamp()
    opened_s = []
    for a, b in opened:
        a_s, b_s = max(a.timestamp(), lo_s), min(b.timestamp(), hi_s)
        if a_s < b_s:
            opened_s.append((a_s, b_s))
    free = subtract(opened_s, busy_intervals(instrument=instrument, policy=policy, lo=lo, hi=hi))
    slot_s = policy.slot_minutes * 60
    shortest = max(policy.slot_minutes, policy.min_minutes) * 60
    # Asia/Shanghai has kept +08:00 since 1991: when the window has one offset, look it up once.
    offset = _offset(lo_s) if _offset(lo_s) == _offset(hi_s) else None
    stamp = datetime.datetime.fromtimestamp
    result = []
    for a, b in free:
        a = _align(a, slot_s, up=True, offset=offset)
        b = _align(b, slot_s, up=False, offset=offset)
        if b - a >= shortest:
            result.append((stamp(a, TZ), stamp(b, TZ)))
    return result
