"""Training and qualification pages: a person asks for training (from the instrument page) and
withdraws it; a manager schedules and records training (/manage/training/) and grants, renews
and revokes qualifications on an instrument (/manage/instruments/<id>/qualifications/).

Plain POST forms, each going through the service the API uses, so a page cannot allow what the
API refuses. Bad input shows the rule's message with the form as it was filled in.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import bounds
from portal.accounts.models import User
from portal.errors import DomainError, NotFound
from sharing.bookings import rules
from sharing.bookings.models import TrainingRequest
from sharing.bookings.selectors import bookable_instrument_get
from sharing.bookings.selectors_training import (
    qualification_list,
    training_get,
    training_list,
)
from sharing.bookings.services import qualifications as qualification_services
from sharing.bookings.services import training as training_services
from sharing.catalogue.models import Instrument

DECIDED_SHOWN = 50


def _instrument(instrument_id: int) -> Instrument:
    try:
        return bookable_instrument_get(pk=instrument_id)
    except NotFound:
        raise Http404 from None


def _line(request, name: str, limit: int = 300) -> str:
    return " ".join(request.POST.get(name, "").split())[:limit]


def _when(text: str) -> datetime.datetime:
    moment = bounds.parse_datetime_param(text)
    if moment is None:
        raise DomainError(_("请填写培训时间（YYYY-MM-DD HH:MM）。"))
    if not bounds.datetime_in_range(moment):
        raise DomainError(str(bounds.DATETIME_MESSAGE))
    return moment


def _day(text: str, *, required: bool = False) -> datetime.date | None:
    if not text:
        if required:
            raise DomainError(_("请填写有效期（YYYY-MM-DD）。"))
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise DomainError(_("日期格式应为 YYYY-MM-DD。")) from None
    if not bounds.date_in_range(day):
        raise DomainError(str(bounds.DATE_MESSAGE))
    return day


# --- The person --------------------------------------------------------------------------------


@login_required
@require_POST
def training_ask(request, instrument_id: int):
    """Ask for training from the instrument page; back to it with the answer."""
    instrument = _instrument(instrument_id)
    try:
        training_services.training_request(
            user=request.user, instrument=instrument, message=_line(request, "message")
        )
        messages.success(request, _("已提交培训申请，仪器管理员安排后会通知您。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:instrument", instrument_id=instrument.pk)


@login_required
@require_POST
def training_cancel(request, pk: int):
    try:
        training = training_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404 from None
    try:
        training_services.training_cancel(request=training, by=request.user)
        messages.success(request, _("培训申请已取消。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:bookings")


# --- The manager: training ---------------------------------------------------------------------


def _training_act(request, training: TrainingRequest) -> None:
    action, user = request.POST.get("action", ""), request.user
    if action == "schedule":
        training_services.training_schedule(
            request=training,
            by=user,
            when=_when(request.POST.get("when", "")),
            place=_line(request, "place", 200),
        )
        messages.success(request, _("培训已安排，申请人会收到通知。"))
    elif action in ("pass", "fail"):
        passed = action == "pass"
        _training, qualification = training_services.training_record(
            request=training,
            by=user,
            passed=passed,
            note=_line(request, "note"),
            valid_until=_day(request.POST.get("valid_until", "")) if passed else None,
        )
        if qualification is not None:
            messages.success(
                request,
                _("已记录通过，上机资格有效期至 %(day)s。")
                % {"day": f"{qualification.valid_until:%Y-%m-%d}"},
            )
        else:
            messages.success(request, _("已记录未通过。"))
    else:
        raise DomainError(_("无效的操作，请刷新页面后重试。"))


@login_required
def manage_training(request):
    """Instrument managers and administrators: the training requests of their instruments."""
    user = request.user
    if not rules.manages_any(user=user):
        raise PermissionDenied
    posted = {}
    if request.method == "POST":
        try:
            training = training_get(pk=int(request.POST.get("training", "0")), user=user)
        except (NotFound, ValueError):
            raise Http404 from None
        try:
            _training_act(request, training)
            return redirect("frontend:manage-training")
        except DomainError as exc:
            messages.error(request, exc.message)
            posted = {**request.POST.dict(), "training": training.pk}
    mine = training_list(user=user, role="manager").order_by("created_at", "pk")
    open_requests = list(mine.filter(status__in=TrainingRequest.OPEN))
    for training in open_requests:
        training.may_decide = (
            rules.may_decide_training(
                user=user, person=training.user, instrument=training.instrument
            )
            is None
        )
    decided = list(
        mine.exclude(status__in=TrainingRequest.OPEN).order_by("-updated_at")[:DECIDED_SHOWN]
    )
    return render(
        request,
        "frontend/manage_training.html",
        {
            "open_requests": open_requests,
            "decided": decided,
            "posted": posted,
        },
        status=400 if posted else 200,
    )


# --- The manager: qualifications ---------------------------------------------------------------


def _qualification_act(request, instrument: Instrument) -> None:
    action, user = request.POST.get("action", ""), request.user
    if action == "grant":
        username = request.POST.get("username", "").strip()
        person = (
            User.objects.filter(username=username, is_active=True).first() if username else None
        )
        if person is None:
            raise DomainError(
                _("没有用户名为“%(name)s”的用户，请核对后重试。") % {"name": username[:150]}
                if username
                else _("请填写用户名。")
            )
        qualification_services.qualification_grant(
            instrument=instrument,
            user=person,
            by=user,
            valid_until=_day(request.POST.get("valid_until", "")),
            note=_line(request, "note", 200),
        )
        messages.success(request, _("已授予 %(name)s 上机资格。") % {"name": person.username})
        return
    qualification = (
        qualification_list(user=user, role="manager", instrument=instrument.pk)
        .filter(pk=_int(request.POST.get("qualification", "")))
        .first()
    )
    if qualification is None:
        raise DomainError(_("上机资格记录不存在，请刷新页面后重试。"))
    if action == "renew":
        qualification = qualification_services.qualification_renew(
            qualification=qualification,
            by=user,
            valid_until=_day(request.POST.get("valid_until", "")),
        )
        messages.success(
            request,
            _("已续期至 %(day)s。") % {"day": f"{qualification.valid_until:%Y-%m-%d}"},
        )
    elif action == "revoke":
        _qualification, left = qualification_services.qualification_revoke(
            qualification=qualification, by=user, reason=_line(request, "reason")
        )
        messages.success(request, _("上机资格已撤销。"))
        if left:
            messages.warning(
                request,
                _(
                    "该用户在此仪器上还有 %(count)d 个未进行的预约（%(ids)s），撤销不会自动取消，"
                    "请在预约页面逐一处理。"
                )
                % {"count": len(left), "ids": "、".join(f"#{b.pk}" for b in left)},
            )
    else:
        raise DomainError(_("无效的操作，请刷新页面后重试。"))


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


@login_required
def manage_qualifications(request, instrument_id: int):
    """The instrument's managers and administrators: who is qualified, until when."""
    instrument = _instrument(instrument_id)
    if rules.may_manage_instrument(user=request.user, instrument=instrument) is not None:
        raise PermissionDenied
    posted = {}
    if request.method == "POST":
        try:
            _qualification_act(request, instrument)
            return redirect("frontend:manage-qualifications", instrument_id=instrument.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            posted = request.POST.dict()
    today = timezone.localdate()
    qualifications = list(
        qualification_list(user=request.user, role="manager", instrument=instrument.pk).order_by(
            "revoked_at", "user__username"
        )
    )
    for qualification in qualifications:
        qualification.valid = (
            qualification.revoked_at is None and qualification.valid_until >= today
        )
    return render(
        request,
        "frontend/manage_qualifications.html",
        {
            "instrument": instrument,
            "qualifications": qualifications,
            "needs_qualification": rules.needs_qualification(instrument),
            "posted": posted,
        },
        status=400 if posted else 200,
    )
