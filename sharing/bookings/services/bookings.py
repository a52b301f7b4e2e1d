"""Writes of the booking engine: create, approve, reject, cancel, check in and out, series,
waitlist, and the two sweeps beat runs.

Rules are checked here in a fixed order, each with its own name (RuleBroken.rule), so a
client can tell people exactly what to change. The last rule, "no overlap", is the
database's: the exclusion constraint booking_no_overlap decides races that no check in
Python can, and its violation becomes Conflict(rule="slot_taken").
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors

from portal.accounts.models import Role, User
from portal.accounts.selectors import user_is_recognised_in
from portal.audit.services import audit_record
from portal.errors import Conflict, DomainError, Forbidden, RuleBroken
from sharing.bookings import fees
from sharing.bookings.availability import (
    NOT_RUNNING,
    TZ,
    horizon,
    is_aligned,
    local_dates,
    open_intervals,
    policy_for,
    weekly_hours,
)
from sharing.bookings.models import (
    Blackout,
    Booking,
    BookingSeries,
    BookingTransition,
    Notification,
    Qualification,
    Voucher,
    WaitlistEntry,
)
from sharing.bookings.notifications import booking_notify, waitlist_notify
from sharing.bookings.workdays import DayKind, day_kinds
from sharing.catalogue.models import Instrument

CHECK_IN_EARLY_MINUTES = 15
SWEEP_BATCH = 100
S = Booking.Status


def request_expiry_minutes() -> int:
    """Requests nobody approved or rejected in this time expire (beat: sweep_expired_requests)."""
    return getattr(settings, "BOOKING_REQUEST_EXPIRY_MINUTES", 24 * 60)


def no_show_minutes() -> int:
    """An approved booking without a check-in this long after its start is a no-show."""
    return getattr(settings, "BOOKING_NO_SHOW_MINUTES", 15)


# --- Who may do what ------------------------------------------------------------------------


def is_manager_of(*, user: User, instrument: Instrument) -> bool:
    if user.has_role(Role.ADMINISTRATOR):
        return True
    return instrument.managers.filter(pk=user.pk).exists()


def _require_manager(*, user: User, booking: Booking) -> None:
    if not is_manager_of(user=user, instrument=booking.instrument):
        raise Forbidden(_("只有该仪器的管理员可以执行此操作。"))


def is_self_approval(*, user: User, booking: Booking) -> bool:
    """Nobody approves their own request, manager or administrator: another manager of the
    instrument or an administrator does. The queue page asks this too, to offer no button."""
    return booking.requester_id == user.pk


def _require_party(*, user: User, booking: Booking) -> None:
    if booking.requester_id != user.pk and not is_manager_of(
        user=user, instrument=booking.instrument
    ):
        raise Forbidden(_("只有预约人或该仪器的管理员可以执行此操作。"))


# --- Status changes -------------------------------------------------------------------------


def _locked(booking: Booking) -> Booking:
    """The row again, locked: two managers pressing "approve" at once must not both win."""
    return (
        Booking.objects.select_for_update()
        .select_related("instrument", "requester")
        .get(pk=booking.pk)
    )


def _require_status(booking: Booking, *allowed: str) -> None:
    if booking.status not in allowed:
        raise Conflict(
            _("预约当前状态为“%(status)s”，不能执行此操作。")
            % {"status": booking.get_status_display()},
            rule="wrong_status",
        )


def _transition(
    booking: Booking, *, to: str, by: User | None, reason: str = "", fields: tuple = ()
) -> Booking:
    before = booking.status
    booking.status = to
    booking.save(update_fields=["status", "updated_at", *fields])
    BookingTransition.objects.create(
        booking=booking, from_status=before, to_status=to, by=by, reason=reason[:300]
    )
    _audit_transition(booking, before=before, by=by, reason=reason)
    return booking


def _audit_transition(booking: Booking, *, before: str, by: User | None, reason: str) -> None:
    # Every status change passes here or through booking_create: one audit line each.
    changes = {"status": [before, booking.status]}
    if reason:
        changes["reason"] = reason[:300]
    audit_record(actor=by, action=f"booking.{booking.status}", target=booking, changes=changes)


def _refund(booking: Booking) -> None:
    from sharing.bookings.vouchers import voucher_refund

    voucher_refund(booking=booking)


def _tell_waitlist(booking: Booking) -> int:
    """Everyone waiting for time that overlaps the freed period hears once."""
    entries = (
        WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("user", "instrument")
        .filter(
            instrument_id=booking.instrument_id,
            notified_at__isnull=True,
            period__overlap=booking.period,
        )
    )
    told = 0
    now = timezone.now()
    for entry in entries:
        # The one builder of the text, which flattens what managers typed (the name).
        waitlist_notify(entry=entry, extra=f"w{entry.pk}")
        entry.notified_at = now
        entry.save(update_fields=["notified_at"])
        told += 1
    return told


def _release(booking: Booking, *, refund: bool) -> None:
    if refund:
        _refund(booking)
    _tell_waitlist(booking)


# --- Creating ------------------------------------------------------------------------------


def _check_may_use(*, requester: User, instrument: Instrument) -> None:
    """Whether this person may use this instrument at all: for booking and for waiting."""
    if instrument.withdrawn_at is not None or (
        instrument.sharing_mode == Instrument.SharingMode.NONE
    ):
        raise RuleBroken(_("该仪器不对外共享。"), rule="not_shareable")
    if (
        instrument.sharing_mode == Instrument.SharingMode.INTERNAL
        and requester.organisation_id != instrument.organisation_id
    ):
        raise RuleBroken(_("该仪器仅供本单位内部使用。"), rule="not_shareable")
    if instrument.running_status in NOT_RUNNING:
        raise RuleBroken(_("该仪器待修或待报废，暂不能预约。"), rule="instrument_not_running")
    if not user_is_recognised_in(user=requester, region=instrument.region):
        raise RuleBroken(
            _("您的实名认证地区未被该仪器所在地区互认，请先完成实名认证。"), rule="not_recognised"
        )


def _too_far_ahead(policy) -> RuleBroken:
    """The horizon, for bookings and the waitlist alike: one rule, one message."""
    return RuleBroken(
        _("最多只能预约 %(days)d 天以内的时段。") % {"days": policy.max_advance_days},
        rule="too_far_ahead",
    )


def _check_rules(
    *,
    requester: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
) -> None:
    """Every rule a new booking must keep, in the documented order; the first broken one is
    raised. The overlap with other bookings is left to the database."""
    _check_may_use(requester=requester, instrument=instrument)

    policy = policy_for(instrument)
    slot = policy.slot_minutes
    minutes = (end - start).total_seconds() / 60
    if end > start and not (
        is_aligned(start, slot) and is_aligned(end, slot) and minutes % slot == 0
    ):
        raise RuleBroken(
            _("预约须按 %(slot)d 分钟的时段起止。") % {"slot": slot}, rule="slot_alignment"
        )
    if minutes < policy.min_minutes or end <= start:
        raise RuleBroken(
            _("预约时长不能少于 %(minutes)d 分钟。") % {"minutes": policy.min_minutes},
            rule="too_short",
        )
    if minutes > policy.max_minutes:
        raise RuleBroken(
            _("预约时长不能超过 %(minutes)d 分钟。") % {"minutes": policy.max_minutes},
            rule="too_long",
        )
    earliest, latest = horizon(policy=policy, now=now)
    if start < earliest:
        raise RuleBroken(
            _("须至少提前 %(minutes)d 分钟预约。") % {"minutes": policy.min_notice_minutes},
            rule="min_notice",
        )
    if end > latest:
        raise _too_far_ahead(policy)

    first, last = local_dates(start, end)
    kinds = day_kinds(first, last)
    hours = weekly_hours(instrument)
    # Opening hours first without the holiday closure, so that a holiday is named as such.
    opened = open_intervals(policy=policy, hours=hours, kinds=kinds, close_holidays=False)
    if not any(lo <= start and end <= hi for lo, hi in opened):
        raise RuleBroken(_("所选时段不在仪器开放时间内。"), rule="outside_opening_hours")
    if policy.closed_on_holidays and any(k == DayKind.HOLIDAY for k in kinds.values()):
        raise RuleBroken(_("法定节假日仪器不开放。"), rule="holiday")
    if Blackout.objects.filter(instrument=instrument, period__overlap=(start, end)).exists():
        raise RuleBroken(_("所选时段仪器停用或维护。"), rule="blackout")

    if policy.qualification_required:
        use_day = start.astimezone(TZ).date()
        if not Qualification.objects.filter(
            user=requester, instrument=instrument, valid_until__gte=use_day
        ).exists():
            raise RuleBroken(_("使用该仪器须持有有效的上机资格。"), rule="qualification")

    if policy.weekly_quota_minutes is not None:
        # Serialise one person's bookings so two at once cannot both fit under the quota.
        User.objects.select_for_update().filter(pk=requester.pk).first()
        local_start = start.astimezone(TZ)
        monday = local_start.date() - datetime.timedelta(days=local_start.weekday())
        week_start = datetime.datetime.combine(monday, datetime.time(), tzinfo=TZ)
        week_end = week_start + datetime.timedelta(days=7)
        periods = Booking.objects.filter(
            requester=requester,
            instrument=instrument,
            status__in=[*Booking.LIVE, S.COMPLETED],
            period__startswith__gte=week_start,
            period__startswith__lt=week_end,
        ).values_list("period", flat=True)
        used = sum((p.upper - p.lower).total_seconds() / 60 for p in periods)
        if used + minutes > policy.weekly_quota_minutes:
            raise RuleBroken(
                _("本周在该仪器上的预约已达上限（%(quota)d 分钟，已用 %(used)d 分钟）。")
                % {"quota": policy.weekly_quota_minutes, "used": used},
                rule="weekly_quota",
            )


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, pg_errors.ExclusionViolation)


def slot_taken() -> Conflict:
    return Conflict(_("该时间段已被占用，可加入候补。"), rule="slot_taken")


@transaction.atomic
def booking_create(
    *,
    requester: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    purpose: str,
    sample_notes: str = "",
    voucher: Voucher | None = None,
    series: BookingSeries | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """A new booking, approved at once when the instrument needs no approval."""
    now = now or timezone.now()
    _check_rules(requester=requester, instrument=instrument, start=start, end=end, now=now)
    policy = policy_for(instrument)
    quote = fees.quote(instrument=instrument, requester=requester, start=start, end=end)
    status = S.REQUESTED if instrument.approval_required else S.APPROVED
    booking = Booking(
        instrument=instrument,
        requester=requester,
        period=DateTimeTZRange(start, end, "[)"),
        blocked=DateTimeTZRange(
            start, end + datetime.timedelta(minutes=policy.buffer_minutes), "[)"
        ),
        status=status,
        purpose=purpose,
        sample_notes=sample_notes,
        series=series,
        cross_region=quote.cross_region,
        rate_category=quote.rate_category,
        hourly_rate=quote.hourly_rate,
        fee_estimate=quote.amount,
    )
    try:
        # A savepoint, so the caller's transaction survives a lost race.
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise slot_taken() from exc
        raise
    BookingTransition.objects.create(
        booking=booking,
        from_status="",
        to_status=status,
        by=requester,
        reason="" if status == S.REQUESTED else _("无需审批，自动批准"),
    )
    _audit_transition(booking, before="", by=requester, reason="")
    if voucher is not None:
        from sharing.bookings.vouchers import voucher_redeem

        voucher_redeem(voucher=voucher, booking=booking, by=requester)
    booking_notify(booking=booking, kind=Notification.Kind.REQUESTED)
    if status == S.APPROVED:
        booking_notify(booking=booking, kind=Notification.Kind.APPROVED)
    return booking


def booking_series_create(
    *,
    requester: User,
    instrument: Instrument,
    first_start: datetime.datetime,
    first_end: datetime.datetime,
    weeks: int,
    purpose: str,
    sample_notes: str = "",
    voucher: Voucher | None = None,
    now: datetime.datetime | None = None,
) -> tuple[BookingSeries, list[tuple[datetime.date, Booking | dict]]]:
    """A weekly series: the same local wall-clock time each week, each occurrence booked (and
    committed, or refused) on its own, so one taken week does not sink the others."""
    if not 1 <= weeks <= 52:
        raise RuleBroken(_("周数应在 1 到 52 之间。"), rule="series_weeks")
    # Every week's times before anything is written: arithmetic that fails (a week past what
    # Python can hold) fails with nothing stored.
    occurrences = _weekly(first_start, first_end, weeks)
    with transaction.atomic():
        series = BookingSeries.objects.create(
            instrument=instrument, requester=requester, weeks=weeks
        )
    results = []
    refusals: list[DomainError] = []
    try:
        for start, end in occurrences:
            try:
                booking = booking_create(
                    requester=requester,
                    instrument=instrument,
                    start=start,
                    end=end,
                    purpose=purpose,
                    sample_notes=sample_notes,
                    voucher=voucher,
                    series=series,
                    now=now,
                )
            except (RuleBroken, Conflict) as exc:
                refusals.append(exc)
                error = {"code": exc.code, "rule": exc.rule, "message": exc.message}
                results.append((start.date(), error))
            else:
                results.append((start.date(), booking))
    except BaseException:
        # Whatever escapes half-way, a series with no booking in it is not left behind.
        if len(refusals) == len(results):
            BookingSeries.objects.filter(pk=series.pk).delete()
        raise
    if len(refusals) == weeks:
        # Not one week booked: keep no empty series, and answer with the first week's reason.
        BookingSeries.objects.filter(pk=series.pk).delete()
        raise refusals[0]
    return series, results


def _weekly(
    first_start: datetime.datetime, first_end: datetime.datetime, weeks: int
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The same local wall-clock times each week: in Asia/Shanghai "every Tuesday 09:00"
    stays 09:00."""
    local_start, local_end = first_start.astimezone(TZ), first_end.astimezone(TZ)
    occurrences = []
    for week in range(weeks):
        shift = datetime.timedelta(weeks=week)
        start = datetime.datetime.combine(
            local_start.date() + shift, local_start.timetz().replace(tzinfo=None), tzinfo=TZ
        )
        end = datetime.datetime.combine(
            local_end.date() + shift, local_end.timetz().replace(tzinfo=None), tzinfo=TZ
        )
        occurrences.append((start, end))
    return occurrences


# --- Manager and requester actions ---------------------------------------------------------


@transaction.atomic
def booking_approve(*, booking: Booking, by: User, reason: str = "") -> Booking:
    booking = _locked(booking)
    _require_manager(user=by, booking=booking)
    if is_self_approval(user=by, booking=booking):
        raise Forbidden(
            _("不能批准自己的预约申请，须由该仪器的其他管理员或平台管理员审批。"),
            rule="self_approval",
        )
    _require_status(booking, S.REQUESTED)
    _transition(booking, to=S.APPROVED, by=by, reason=reason)
    booking_notify(booking=booking, kind=Notification.Kind.APPROVED, reason=reason)
    return booking


@transaction.atomic
def booking_reject(*, booking: Booking, by: User, reason: str = "") -> Booking:
    booking = _locked(booking)
    _require_manager(user=by, booking=booking)
    _require_status(booking, S.REQUESTED)
    _transition(booking, to=S.REJECTED, by=by, reason=reason)
    _release(booking, refund=True)
    booking_notify(booking=booking, kind=Notification.Kind.REJECTED, reason=reason)
    return booking


def started_for_requester(*, user: User, booking: Booking, now: datetime.datetime) -> bool:
    """Once an approved booking has started, its requester can no longer cancel it.

    The time was held for them; cancelling gives the voucher back, a no-show does not
    (sweep_no_shows), so a cancel after the start would sidestep the no-show rule. What happens
    instead is the no-show, redemption kept. A manager of the instrument who is not the
    requester may still cancel (the instrument broke down, say), and then the voucher comes
    back: the requester did not miss the time, the instrument did. A request never approved
    held nothing and may be withdrawn, with its refund, at any time."""
    return booking.status == S.APPROVED and booking.requester_id == user.pk and now >= booking.start


def may_cancel(*, user: User, booking: Booking, now: datetime.datetime) -> bool:
    """Whether the booking's requester sees a cancel button: the page asks what the service
    decides."""
    return booking.status in (S.REQUESTED, S.APPROVED) and not started_for_requester(
        user=user, booking=booking, now=now
    )


@transaction.atomic
def booking_cancel(
    *, booking: Booking, by: User, reason: str = "", now: datetime.datetime | None = None
) -> Booking:
    now = now or timezone.now()
    booking = _locked(booking)
    _require_party(user=by, booking=booking)
    _require_status(booking, S.REQUESTED, S.APPROVED)
    if started_for_requester(user=by, booking=booking, now=now):
        raise Conflict(
            _(
                "预约已开始，不能再取消：未签到的预约将按未到场处理，创新券抵扣不退回。"
                "如因仪器故障无法使用，请联系仪器管理员取消。"
            ),
            rule="already_started",
        )
    _transition(booking, to=S.CANCELLED, by=by, reason=reason)
    _release(booking, refund=True)
    booking_notify(booking=booking, kind=Notification.Kind.CANCELLED, reason=reason)
    return booking


@transaction.atomic
def booking_check_in(
    *, booking: Booking, by: User, now: datetime.datetime | None = None
) -> Booking:
    now = now or timezone.now()
    booking = _locked(booking)
    _require_party(user=by, booking=booking)
    _require_status(booking, S.APPROVED)
    if now < booking.start - datetime.timedelta(minutes=CHECK_IN_EARLY_MINUTES):
        raise RuleBroken(
            _("最早可在开始前 %(minutes)d 分钟上机签到。") % {"minutes": CHECK_IN_EARLY_MINUTES},
            rule="too_early",
        )
    if now >= booking.end:
        raise RuleBroken(_("预约时段已结束，不能再签到。"), rule="too_late")
    booking.checked_in_at = now
    return _transition(booking, to=S.CHECKED_IN, by=by, fields=("checked_in_at",))


@transaction.atomic
def booking_check_out(
    *, booking: Booking, by: User, now: datetime.datetime | None = None
) -> Booking:
    now = now or timezone.now()
    booking = _locked(booking)
    _require_party(user=by, booking=booking)
    _require_status(booking, S.CHECKED_IN)
    booking.checked_out_at = max(now, booking.checked_in_at)
    booking.charge = fees.charge_for(booking=booking)
    return _transition(booking, to=S.COMPLETED, by=by, fields=("checked_out_at", "charge"))


# --- Waitlist -------------------------------------------------------------------------------


@transaction.atomic
def waitlist_join(
    *,
    user: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> WaitlistEntry:
    """Wait for time that a live booking holds now; joining twice returns the same entry."""
    now = now or timezone.now()
    _check_may_use(requester=user, instrument=instrument)
    if end <= start:
        raise RuleBroken(_("结束时间须晚于开始时间。"), rule="invalid_range")
    if end <= now:
        raise RuleBroken(_("不能候补已经过去的时段。"), rule="in_the_past")
    # Waiting is for time one could book: no further ahead than a booking may reach.
    policy = policy_for(instrument)
    _earliest, latest = horizon(policy=policy, now=now)
    if end > latest:
        raise _too_far_ahead(policy)
    taken = Booking.objects.filter(
        instrument=instrument, status__in=Booking.LIVE, blocked__overlap=(start, end)
    ).exists()
    if not taken:
        raise RuleBroken(_("该时段未被占用，可直接预约。"), rule="slot_free")
    entry, _created = WaitlistEntry.objects.get_or_create(
        instrument=instrument, user=user, period=DateTimeTZRange(start, end, "[)")
    )
    return entry


# --- Sweeps (beat) --------------------------------------------------------------------------


def _sweep(queryset_for_batch, apply) -> int:
    """Run ``apply`` on every row of the batches, one transaction per batch. Rows another
    sweep holds are skipped (skip_locked) and, once it commits, no longer match the filter, so
    two sweeps at once, or one twice, change each booking once."""
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                queryset_for_batch()
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("instrument", "requester")
                .order_by("pk")[:SWEEP_BATCH]
            )
            for booking in batch:
                apply(booking)
            done += len(batch)
        if len(batch) < SWEEP_BATCH:
            return done


def sweep_expired_requests(now: datetime.datetime | None = None) -> int:
    """Requests still waiting for a decision after BOOKING_REQUEST_EXPIRY_MINUTES expire:
    the slot frees, the voucher amount goes back, the requester is told."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=request_expiry_minutes())

    def batch():
        return Booking.objects.filter(status=S.REQUESTED, created_at__lt=cutoff)

    def apply(booking: Booking) -> None:
        _transition(booking, to=S.EXPIRED, by=None, reason=_("审批超时，自动失效"))
        _release(booking, refund=True)
        booking_notify(booking=booking, kind=Notification.Kind.EXPIRED)

    return _sweep(batch, apply)


def sweep_no_shows(now: datetime.datetime | None = None) -> int:
    """Approved bookings without a check-in BOOKING_NO_SHOW_MINUTES after their start are
    released as no-shows. The voucher redemption stands: the time was held for them."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=no_show_minutes())

    def batch():
        return Booking.objects.filter(
            Q(status=S.APPROVED), Q(checked_in_at__isnull=True), Q(period__startswith__lt=cutoff)
        )

    def apply(booking: Booking) -> None:
        _transition(booking, to=S.NO_SHOW, by=None, reason=_("开始后未签到，按未到场释放"))
        _release(booking, refund=False)
        booking_notify(booking=booking, kind=Notification.Kind.NO_SHOW)

    return _sweep(batch, apply)
