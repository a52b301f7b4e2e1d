"""Booking rules: who may use an instrument, who may act on a booking, and what may come next.

Each rule answers None when allowed, else the refusal (a DomainError, returned, not raised)
with its message and its rule name. Services ``require()`` it, the API answers it, the pages
show its message or hide their button: one decision, so they cannot disagree. Plain yes/no
questions (is_manager_of, is_self_approval, started_for_requester) answer a bool.

The rules a booking's period must keep (slots, length, notice, how far ahead, opening hours,
holidays, blackouts, qualification, weekly quota) are in times.py, with ``may_book``: they read
the calendar (availability.py), which asks may_be_booked here, so one module would be a cycle.
"""

import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.accounts.selectors import user_is_recognised_in
from portal.errors import Conflict, Forbidden, Refusal, RuleBroken
from sharing.bookings.models import Booking
from sharing.catalogue.models import Instrument

NOT_RUNNING = (
    Instrument.RunningStatus.AWAITING_REPAIR,
    Instrument.RunningStatus.AWAITING_DISPOSAL,
)
CHECK_IN_EARLY_MINUTES = 15


# --- Who may use an instrument ------------------------------------------------------------------


def may_be_booked(*, instrument: Instrument) -> Refusal:
    """Whether anybody may book the instrument: its own state, the same for every person. The
    public availability answers nothing free when this refuses."""
    if instrument.withdrawn_at is not None:
        return RuleBroken(_("该仪器已从共享目录撤回，不再接受预约。"), rule="not_shareable")
    if instrument.sharing_mode == Instrument.SharingMode.NONE:
        return RuleBroken(_("该仪器不共享，不接受预约。"), rule="not_shareable")
    if instrument.running_status in NOT_RUNNING:
        return RuleBroken(
            _("该仪器当前状态为“%(status)s”，暂不能预约。")
            % {"status": instrument.get_running_status_display()},
            rule="instrument_not_running",
        )
    return None


def bookable(instruments: QuerySet[Instrument]) -> QuerySet[Instrument]:
    """may_be_booked as a set, for lists: the instruments nobody is refused on their own state
    and that have opening hours (without them no time is ever free)."""
    return (
        instruments.filter(withdrawn_at__isnull=True, opening_hours__isnull=False)
        .exclude(Q(sharing_mode=Instrument.SharingMode.NONE) | Q(running_status__in=NOT_RUNNING))
        .distinct()
    )


def may_use(*, user: User, instrument: Instrument) -> Refusal:
    """Whether this person may use this instrument at all: for booking and for waiting alike."""
    refusal = may_be_booked(instrument=instrument)
    if refusal is not None:
        return refusal
    if (
        instrument.sharing_mode == Instrument.SharingMode.INTERNAL
        and user.organisation_id != instrument.organisation_id
    ):
        return RuleBroken(_("该仪器仅供本单位内部使用。"), rule="not_shareable")
    if not user_is_recognised_in(user=user, region=instrument.region):
        return RuleBroken(
            _("您的实名认证地区未被该仪器所在地区互认，请先完成实名认证。"), rule="not_recognised"
        )
    return None


# --- Who may act on a booking -------------------------------------------------------------------


def is_manager_of(*, user: User, instrument: Instrument) -> bool:
    if user.is_administrator:
        return True
    return instrument.managers.filter(pk=user.pk).exists()


def manages_any(*, user: User) -> bool:
    """Whether the person has an approval queue: a manager by role or of some instrument."""
    return user.has_any_role(Role.INSTRUMENT_MANAGER) or user.managed_instruments.exists()


def is_self_approval(*, user: User, booking: Booking) -> bool:
    """Nobody approves their own request, manager or administrator: another manager of the
    instrument or an administrator does. The queue page asks this too, to offer no button."""
    return booking.requester_id == user.pk


def may_manage(*, user: User, booking: Booking) -> Refusal:
    if not is_manager_of(user=user, instrument=booking.instrument):
        return Forbidden(_("只有该仪器的管理员可以执行此操作。"))
    return None


def may_act_on(*, user: User, booking: Booking) -> Refusal:
    """The requester or a manager of the instrument: cancel, check in, check out."""
    if booking.requester_id != user.pk and not is_manager_of(
        user=user, instrument=booking.instrument
    ):
        return Forbidden(_("只有预约人或该仪器的管理员可以执行此操作。"))
    return None


def status_allows(booking: Booking, *allowed: str) -> Refusal:
    if booking.status not in allowed:
        return Conflict(
            _("预约当前状态为“%(status)s”，不能执行此操作。")
            % {"status": booking.get_status_display()},
            rule="wrong_status",
        )
    return None


def may_approve(*, user: User, booking: Booking) -> Refusal:
    """A manager of the instrument or an administrator, never on their own request."""
    refusal = may_manage(user=user, booking=booking)
    if refusal is None and is_self_approval(user=user, booking=booking):
        refusal = Forbidden(
            _("不能批准自己的预约申请，须由该仪器的其他管理员或平台管理员审批。"),
            rule="self_approval",
        )
    return refusal or status_allows(booking, Booking.Status.REQUESTED)


def may_reject(*, user: User, booking: Booking) -> Refusal:
    """A manager of the instrument or an administrator. Rejecting one's own request frees the
    time as withdrawing it would, so it is not refused as self-approval is."""
    return may_manage(user=user, booking=booking) or status_allows(
        booking, Booking.Status.REQUESTED
    )


def started_for_requester(*, user: User, booking: Booking, now: datetime.datetime) -> bool:
    """Once an approved booking has started, its requester can no longer cancel it.

    The time was held for them; cancelling gives the voucher back, a no-show does not
    (sweep_no_shows), so a cancel after the start would sidestep the no-show rule. What happens
    instead is the no-show, redemption kept. A manager of the instrument who is not the
    requester may still cancel (the instrument broke down, say), and then the voucher comes
    back: the requester did not miss the time, the instrument did. A request never approved
    held nothing and may be withdrawn, with its refund, at any time."""
    return (
        booking.status == Booking.Status.APPROVED
        and booking.requester_id == user.pk
        and now >= booking.start
    )


def may_cancel(*, user: User, booking: Booking, now: datetime.datetime) -> Refusal:
    """The service's decision, which the requester's page also asks to offer a cancel button."""
    refusal = may_act_on(user=user, booking=booking) or status_allows(
        booking, Booking.Status.REQUESTED, Booking.Status.APPROVED
    )
    if refusal is None and started_for_requester(user=user, booking=booking, now=now):
        refusal = Conflict(
            _(
                "预约已开始，不能再取消：未签到的预约将按未到场处理，创新券抵扣不退回。"
                "如因仪器故障无法使用，请联系仪器管理员取消。"
            ),
            rule="already_started",
        )
    return refusal


def may_check_in(*, user: User, booking: Booking, now: datetime.datetime) -> Refusal:
    refusal = may_act_on(user=user, booking=booking) or status_allows(
        booking, Booking.Status.APPROVED
    )
    if refusal is not None:
        return refusal
    if now < booking.start - datetime.timedelta(minutes=CHECK_IN_EARLY_MINUTES):
        return RuleBroken(
            _("最早可在开始前 %(minutes)d 分钟上机签到。") % {"minutes": CHECK_IN_EARLY_MINUTES},
            rule="too_early",
        )
    if now >= booking.end:
        return RuleBroken(_("预约时段已结束，不能再签到。"), rule="too_late")
    return None


def may_check_out(*, user: User, booking: Booking) -> Refusal:
    return may_act_on(user=user, booking=booking) or status_allows(
        booking, Booking.Status.CHECKED_IN
    )


# --- Money and figures --------------------------------------------------------------------------


def may_pay_for(*, user: User, booking: Booking) -> Refusal:
    """A voucher pays for the requester's own booking (an administrator may act for them)."""
    if user.pk != booking.requester_id and not user.is_administrator:
        return Forbidden(_("只能为自己的预约使用创新券。"), rule="not_your_booking")
    return None


def sees_every_organisation(*, user: User) -> bool:
    """Coordinators and administrators see every organisation's vouchers, service records and
    indicators; everyone else their own organisation's, or their own instruments'."""
    return user.has_any_role(Role.COORDINATOR)


def may_see_indicators(*, user: User, level: str) -> Refusal:
    """Every level for coordinators and administrators; the instrument level (their own
    instruments) for instrument managers: a platform's figure from part of its instruments
    would mislead."""
    if sees_every_organisation(user=user):
        return None
    if user.has_any_role(Role.INSTRUMENT_MANAGER):
        if level != "instrument":
            return Forbidden(
                _("仪器管理员只能查看自己所管仪器的单台指标。"), rule="indicator_level_forbidden"
            )
        return None
    return Forbidden(_("只有协调员、管理员和仪器管理员可以查看共享指标。"))


# --- Who keeps an instrument's records ---------------------------------------------------------


def may_manage_instrument(*, user: User, instrument: Instrument) -> Refusal:
    """The instrument's managers and administrators keep its records (price list, orders)."""
    if not user.is_authenticated or not is_manager_of(user=user, instrument=instrument):
        return Forbidden(_("只有该仪器的管理员可以执行此操作。"))
    return None
