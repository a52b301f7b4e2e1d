"""Booking rules of time: whether this person may book this instrument for this period.

``may_book`` is every rule a new booking must keep, in the documented order, each with its
own name (RuleBroken.rule) so a client can tell people exactly what to change: may the person
use the instrument at all (rules.may_use), then slot alignment, shortest and longest booking,
minimum notice, how far ahead, opening hours, holidays, blackouts, qualification on the day of
use, the weekly quota. The last rule, "no overlap", is the database's (see services).

The waitlist keeps the same horizon: one rule (``beyond_horizon``), one message.
"""

import datetime

from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import Refusal, RuleBroken
from sharing.bookings import rules
from sharing.bookings.availability import (
    TZ,
    horizon,
    is_aligned,
    local_dates,
    open_intervals,
    policy_for,
    weekly_hours,
)
from sharing.bookings.models import Blackout, Booking, BookingPolicy, Qualification
from sharing.bookings.workdays import DayKind, day_kinds
from sharing.catalogue.models import Instrument


def too_far_ahead(policy: BookingPolicy) -> RuleBroken:
    return RuleBroken(
        _("最多只能预约 %(days)d 天以内的时段。") % {"days": policy.max_advance_days},
        rule="too_far_ahead",
    )


def beyond_horizon(
    *, policy: BookingPolicy, end: datetime.datetime, now: datetime.datetime
) -> Refusal:
    """How far ahead, for bookings and the waitlist alike."""
    _earliest, latest = horizon(policy=policy, now=now)
    return too_far_ahead(policy) if end > latest else None


def may_book(
    *,
    user: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
    walk_up: bool = False,
) -> Refusal:
    """The first rule the booking breaks, or None. The caller holds the person's row lock when
    the policy has a weekly quota (see booking_create), so two bookings at once cannot both fit
    under it.

    A walk-up use (the kiosk, services/walk_up.py) starts now, to the minute: it keeps every
    rule but the minimum notice and the slot grid's start and end (its length is still a whole
    number of slots)."""
    return rules.may_use(user=user, instrument=instrument) or _period_refusal(
        user=user, instrument=instrument, start=start, end=end, now=now, walk_up=walk_up
    )


def may_wait_for(
    *,
    user: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
) -> Refusal:
    """Waiting is for time one could book: a person who may use the instrument, a period to
    come, no further ahead than a booking may reach."""
    refusal = rules.may_use(user=user, instrument=instrument)
    if refusal is not None:
        return refusal
    if end <= start:
        return RuleBroken(_("结束时间须晚于开始时间。"), rule="invalid_range")
    if end <= now:
        return RuleBroken(_("不能候补已经过去的时段。"), rule="in_the_past")
    return beyond_horizon(policy=policy_for(instrument), end=end, now=now)


def _period_refusal(
    *,
    user: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
    walk_up: bool = False,
) -> Refusal:
    policy = policy_for(instrument)
    slot = policy.slot_minutes
    minutes = (end - start).total_seconds() / 60
    on_grid = walk_up or (is_aligned(start, slot) and is_aligned(end, slot))
    if end > start and not (on_grid and minutes % slot == 0):
        return RuleBroken(
            _("预约须按 %(slot)d 分钟的时段起止。") % {"slot": slot}, rule="slot_alignment"
        )
    if minutes < policy.min_minutes or end <= start:
        return RuleBroken(
            _("预约时长不能少于 %(minutes)d 分钟。") % {"minutes": policy.min_minutes},
            rule="too_short",
        )
    if minutes > policy.max_minutes:
        return RuleBroken(
            _("预约时长不能超过 %(minutes)d 分钟。") % {"minutes": policy.max_minutes},
            rule="too_long",
        )
    earliest, _latest = horizon(policy=policy, now=now)
    if start < earliest and not walk_up:
        return RuleBroken(
            _("须至少提前 %(minutes)d 分钟预约。") % {"minutes": policy.min_notice_minutes},
            rule="min_notice",
        )
    refusal = beyond_horizon(policy=policy, end=end, now=now) or _calendar_refusal(
        instrument=instrument, policy=policy, start=start, end=end
    )
    if refusal is not None:
        return refusal
    if policy.qualification_required:
        use_day = start.astimezone(TZ).date()
        if not Qualification.objects.filter(
            user=user, instrument=instrument, valid_until__gte=use_day, revoked_at__isnull=True
        ).exists():
            return RuleBroken(_("使用该仪器须持有有效的上机资格。"), rule="qualification")
    return _quota_refusal(user=user, instrument=instrument, policy=policy, start=start, end=end)


def _calendar_refusal(
    *,
    instrument: Instrument,
    policy: BookingPolicy,
    start: datetime.datetime,
    end: datetime.datetime,
) -> Refusal:
    first, last = local_dates(start, end)
    kinds = day_kinds(first, last)
    hours = weekly_hours(instrument)
    # Opening hours first without the holiday closure, so that a holiday is named as such.
    opened = open_intervals(policy=policy, hours=hours, kinds=kinds, close_holidays=False)
    if not any(lo <= start and end <= hi for lo, hi in opened):
        return RuleBroken(_("所选时段不在仪器开放时间内。"), rule="outside_opening_hours")
    if policy.closed_on_holidays and any(k == DayKind.HOLIDAY for k in kinds.values()):
        return RuleBroken(_("法定节假日仪器不开放。"), rule="holiday")
    if Blackout.objects.filter(instrument=instrument, period__overlap=(start, end)).exists():
        return RuleBroken(_("所选时段仪器停用或维护。"), rule="blackout")
    return None


def _quota_refusal(
    *,
    user: User,
    instrument: Instrument,
    policy: BookingPolicy,
    start: datetime.datetime,
    end: datetime.datetime,
) -> Refusal:
    if policy.weekly_quota_minutes is None:
        return None
    local_start = start.astimezone(TZ)
    monday = local_start.date() - datetime.timedelta(days=local_start.weekday())
    week_start = datetime.datetime.combine(monday, datetime.time(), tzinfo=TZ)
    week_end = week_start + datetime.timedelta(days=7)
    periods = Booking.objects.filter(
        requester=user,
        instrument=instrument,
        status__in=[*Booking.LIVE, Booking.Status.COMPLETED],
        period__startswith__gte=week_start,
        period__startswith__lt=week_end,
    ).values_list("period", flat=True)
    used = sum((p.upper - p.lower).total_seconds() / 60 for p in periods)
    minutes = (end - start).total_seconds() / 60
    if used + minutes > policy.weekly_quota_minutes:
        return RuleBroken(
            _("本周在该仪器上的预约已达上限（%(quota)d 分钟，已用 %(used)d 分钟）。")
            % {"quota": policy.weekly_quota_minutes, "used": used},
            rule="weekly_quota",
        )
    return None
