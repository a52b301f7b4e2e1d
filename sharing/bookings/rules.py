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

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.accounts.rules import account_refusal
from portal.accounts.selectors import user_is_recognised_in
from portal.errors import Conflict, Forbidden, Refusal, RuleBroken
from portal.text import refuse_control_characters
from sharing.bookings.models import (
    Booking,
    BookingPolicy,
    ChargeApproval,
    Qualification,
    TrainingRequest,
)
from sharing.catalogue.models import Instrument

NOT_RUNNING = (
    Instrument.RunningStatus.AWAITING_REPAIR,
    Instrument.RunningStatus.AWAITING_DISPOSAL,
)
CHECK_IN_EARLY_MINUTES = 15
PROJECT_NAME_MAX = 200


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
    refusal = may_be_booked(instrument=instrument) or account_refusal(user=user)
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


def may_manage_instrument(*, user: User, instrument: Instrument) -> Refusal:
    """The instrument's managers and administrators: its console, rules, closures, training,
    qualifications and QR code."""
    if not getattr(user, "is_authenticated", False) or not is_manager_of(
        user=user, instrument=instrument
    ):
        return Forbidden(_("只有该仪器的管理员可以执行此操作。"), rule="not_manager")
    return None


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


def charge_waits(*, booking=None, order=None) -> Refusal:
    """A charge to a project above the organisation's threshold waits for the project's
    principal investigator: until then a booking is not approved, an order not received."""
    key = {"booking": booking} if booking is not None else {"order": order}
    if ChargeApproval.objects.filter(status=ChargeApproval.Status.PENDING, **key).exists():
        return Conflict(
            _("该费用超过本单位的审批阈值，须先经课题负责人同意。"),
            rule="charge_awaits_investigator",
        )
    return None


def may_approve(*, user: User, booking: Booking) -> Refusal:
    """A manager of the instrument or an administrator, never on their own request, and not
    while the charge waits for the project's principal investigator."""
    refusal = may_manage(user=user, booking=booking)
    if refusal is None and is_self_approval(user=user, booking=booking):
        refusal = Forbidden(
            _("不能批准自己的预约申请，须由该仪器的其他管理员或平台管理员审批。"),
            rule="self_approval",
        )
    return (
        refusal or status_allows(booking, Booking.Status.REQUESTED) or charge_waits(booking=booking)
    )


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


def service_fields_refusal(*, service_mode: str, project_name: str) -> Refusal:
    """What a booking says for the national service record: one of Booking.ServiceMode, and a
    project name of one line, at most 200 characters (empty when there is none)."""
    if service_mode not in Booking.ServiceMode.values:
        modes = "、".join(str(label) for label in Booking.ServiceMode.labels)
        return RuleBroken(
            _("服务方式须为以下之一：%(modes)s。") % {"modes": modes},
            rule="invalid_service_mode",
            fields={"service_mode": [_("无效的服务方式。")]},
        )
    if len(project_name) > PROJECT_NAME_MAX:
        return RuleBroken(
            _("项目名称不能超过 %(max)d 个字符。") % {"max": PROJECT_NAME_MAX},
            rule="invalid_project_name",
            fields={"project_name": [_("项目名称过长。")]},
        )
    try:
        refuse_control_characters(project_name, multiline=False)
    except ValidationError as exc:
        return RuleBroken(
            exc.messages[0], rule="invalid_project_name", fields={"project_name": exc.messages}
        )
    return None


def may_adjust_usage(*, user: User, booking: Booking) -> Refusal:
    """A session beat closed because nobody checked out (checkout_forgotten): a manager of the
    instrument other than its user corrects its times and charge, once."""
    refusal = may_manage(user=user, booking=booking)
    if refusal is None and is_self_approval(user=user, booking=booking):
        refusal = Forbidden(
            _("不能调整自己的使用记录，须由该仪器的其他管理员或平台管理员调整。"),
            rule="self_adjustment",
        )
    refusal = refusal or status_allows(booking, Booking.Status.COMPLETED)
    if refusal is None and not booking.checkout_forgotten:
        refusal = Conflict(_("只有未签退的使用记录可以调整。"), rule="not_forgotten")
    return refusal


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


# --- Training and qualifications ----------------------------------------------------------------


def needs_qualification(instrument: Instrument) -> bool:
    """Whether booking the instrument takes a qualification (no policy yet: it does not)."""
    try:
        return instrument.booking_policy.qualification_required
    except BookingPolicy.DoesNotExist:
        return False


def holds_qualification(*, user: User, instrument: Instrument, on: datetime.date) -> bool:
    """A qualification valid on that day and not revoked (times.may_book asks the same)."""
    return Qualification.objects.filter(
        user=user, instrument=instrument, valid_until__gte=on, revoked_at__isnull=True
    ).exists()


def may_request_training(*, user: User, instrument: Instrument, today: datetime.date) -> Refusal:
    """A person who may use the instrument, on one that requires a qualification, who holds
    none valid today and has no request open."""
    refusal = may_use(user=user, instrument=instrument)
    if refusal is not None:
        return refusal
    if not needs_qualification(instrument):
        return RuleBroken(
            _("该仪器无需上机资格，可直接预约，不必申请培训。"), rule="training_not_needed"
        )
    if holds_qualification(user=user, instrument=instrument, on=today):
        return Conflict(_("您已持有该仪器的有效上机资格。"), rule="already_qualified")
    if TrainingRequest.objects.filter(
        user=user, instrument=instrument, status__in=TrainingRequest.OPEN
    ).exists():
        return Conflict(_("您已申请过该仪器的培训，请等待管理员安排。"), rule="training_open")
    return None


def training_status_allows(request: TrainingRequest, *allowed: str) -> Refusal:
    if request.status not in allowed:
        return Conflict(
            _("培训申请当前状态为“%(status)s”，不能执行此操作。")
            % {"status": request.get_status_display()},
            rule="wrong_status",
        )
    return None


def may_decide_training(*, user: User, person: User, instrument: Instrument) -> Refusal:
    """Schedule, record, grant, renew, revoke: a manager of the instrument or an administrator,
    never for themselves (as nobody approves their own booking)."""
    refusal = may_manage_instrument(user=user, instrument=instrument)
    if refusal is None and person.pk == user.pk:
        refusal = Forbidden(
            _("不能为自己安排培训或授予上机资格，须由该仪器的其他管理员或平台管理员处理。"),
            rule="self_approval",
        )
    return refusal


def may_cancel_training(*, user: User, request: TrainingRequest) -> Refusal:
    """The person who asked, while the request is open."""
    if request.user_id != user.pk:
        return Forbidden(_("只有申请人可以取消培训申请。"), rule="not_your_request")
    return training_status_allows(request, *request.OPEN)


# --- Running an instrument: closures and problems ---------------------------------------------


def may_report_problem(*, user: User, instrument: Instrument) -> Refusal:
    """Whoever used the instrument (a booking of theirs that was checked in or completed), holds
    a qualification on it that is still valid, or manages it, may report a problem: they have
    seen it work, or not. Anyone else could only guess."""
    if not user.is_authenticated:
        return Forbidden(_("请先登录。"))
    if is_manager_of(user=user, instrument=instrument):
        return None
    used = Booking.objects.filter(
        instrument=instrument,
        requester=user,
        status__in=(Booking.Status.CHECKED_IN, Booking.Status.COMPLETED),
    ).exists()
    if used:
        return None
    qualified = Qualification.objects.filter(
        instrument=instrument,
        user=user,
        revoked_at__isnull=True,
        valid_until__gte=timezone.localdate(),
    ).exists()
    if qualified:
        return None
    return Forbidden(
        _("只有使用过该仪器、持有其上机资格的人员或其管理员可以报告问题。"),
        rule="not_a_user_of_instrument",
    )


def may_see_problem(*, user: User, problem) -> bool:
    """A report, its photo included, is the reporter's and the instrument's managers' (and
    administrators'); the instrument page shows everyone its history without the photo."""
    if not user.is_authenticated:
        return False
    return problem.reporter_id == user.pk or is_manager_of(user=user, instrument=problem.instrument)
