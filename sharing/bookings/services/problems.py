"""Problems reported on an instrument, and their resolution.

Anyone who used the instrument may report (rules.may_report_problem). A problem marked "down"
takes the instrument out of service: its running status becomes 待修 (the one it had is kept
on the report and given back on resolution), and a closure of kind breakdown opens from now to
the expected end, through the very code a manager's closure uses (services/closures.py), so the
bookings under it are cancelled with their vouchers refunded and their people told. Resolving
the problem records what was done, ends the breakdown at that moment and restores the status.

While an instrument is down a second "down" report opens no second closure: it is recorded,
and if the first is resolved while it is still open, the closure and the status kept pass to
it, so the instrument stays down until the last of them is resolved.
"""

import datetime
import os

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import Conflict, RuleBroken, require
from portal.uploads import check_upload, safe_upload_name
from sharing.bookings import rules
from sharing.bookings.models import Blackout, Booking, ProblemReport
from sharing.bookings.notifications import problem_notify
from sharing.bookings.services.closures import closure_end, closure_open
from sharing.catalogue.models import Instrument

PHOTO_KINDS = {"png", "jpeg", "webp"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
DOWN_MAX_DAYS = 366


def photo_content_type(name: str) -> str:
    extension = os.path.splitext(name)[1].lower()
    return {".png": "image/png", ".webp": "image/webp"}.get(extension, "image/jpeg")


def _open_down_problem(instrument: Instrument) -> ProblemReport | None:
    return (
        ProblemReport.objects.filter(
            instrument=instrument,
            status=ProblemReport.Status.OPEN,
            severity=ProblemReport.Severity.DOWN,
            closure__isnull=False,
        )
        .order_by("created_at")
        .first()
    )


@transaction.atomic
def problem_report(
    *,
    reporter: User,
    instrument: Instrument,
    severity: str,
    description: str,
    photo=None,
    booking: Booking | None = None,
    expected_end: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> ProblemReport:
    now = now or timezone.now()
    require(rules.may_report_problem(user=reporter, instrument=instrument))
    if booking is not None and (
        booking.instrument_id != instrument.pk or booking.requester_id != reporter.pk
    ):
        message = _("所选预约不是您在该仪器上的预约。")
        raise RuleBroken(message, rule="booking_not_yours", fields={"booking": [message]})
    if expected_end is not None and severity != ProblemReport.Severity.DOWN:
        expected_end = None
    if expected_end is not None:
        if expected_end <= now:
            message = _("预计恢复时间须晚于现在。")
            raise RuleBroken(message, rule="closure_order", fields={"expected_end": [message]})
        if expected_end - now > datetime.timedelta(days=DOWN_MAX_DAYS):
            message = _("预计恢复时间不能超过 %(days)d 天。") % {"days": DOWN_MAX_DAYS}
            raise RuleBroken(message, rule="closure_too_long", fields={"expected_end": [message]})
    problem = ProblemReport(
        instrument=instrument,
        reporter=reporter,
        booking=booking,
        severity=severity,
        description=description,
    )
    if photo is not None:
        check_upload(photo, kinds=PHOTO_KINDS, max_bytes=PHOTO_MAX_BYTES)
        problem.photo.save(safe_upload_name(photo.name), photo, save=False)
    problem.save()
    if severity == ProblemReport.Severity.DOWN:
        _take_down(problem, now=now, until=expected_end)
    audit_record(
        actor=reporter,
        action="problem.reported",
        target=problem,
        changes={"instrument": instrument.pk, "severity": severity, "closure": problem.closure_id},
    )
    problem_notify(problem=problem)
    return problem


def _take_down(problem: ProblemReport, *, now, until) -> None:
    instrument = Instrument.objects.select_for_update().get(pk=problem.instrument_id)
    if _open_down_problem(instrument) is not None:
        return  # already down: see the module docstring
    until = until or now + datetime.timedelta(days=settings.PROBLEM_DOWN_DEFAULT_DAYS)
    closure, _affected = closure_open(
        instrument=instrument,
        by=problem.reporter,
        start=now,
        end=until,
        kind=Blackout.Kind.BREAKDOWN,
        reason=_("故障报告 #%(number)d") % {"number": problem.pk},
        now=now,
    )
    problem.closure = closure
    problem.running_status_before = instrument.running_status
    problem.save(update_fields=["closure", "running_status_before"])
    before = instrument.running_status
    instrument.running_status = Instrument.RunningStatus.AWAITING_REPAIR
    instrument.save(update_fields=["running_status"])
    audit_record(
        actor=problem.reporter,
        action="instrument.down",
        target=instrument,
        changes={"running_status": [before, instrument.running_status], "problem": problem.pk},
    )


@transaction.atomic
def problem_resolve(
    *,
    problem: ProblemReport,
    by: User,
    resolution: str,
    now: datetime.datetime | None = None,
) -> ProblemReport:
    """A manager records what was done; a breakdown ends now and the status comes back."""
    now = now or timezone.now()
    problem = (
        ProblemReport.objects.select_for_update(of=("self",))
        .select_related("instrument", "closure")
        .get(pk=problem.pk)
    )
    require(rules.may_manage_instrument(user=by, instrument=problem.instrument))
    if problem.status != ProblemReport.Status.OPEN:
        raise Conflict(_("该问题已解决。"), rule="problem_resolved")
    resolution = resolution.strip()
    if not resolution:
        message = _("请填写处理记录。")
        raise RuleBroken(message, rule="resolution_required", fields={"resolution": [message]})
    problem.status = ProblemReport.Status.RESOLVED
    problem.resolved_at = now
    problem.resolved_by = by
    problem.resolution = resolution
    problem.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    if problem.closure is not None:
        _bring_back(problem, by=by, now=now)
    audit_record(
        actor=by,
        action="problem.resolved",
        target=problem,
        changes={"resolution": resolution[:300]},
    )
    return problem


def _bring_back(problem: ProblemReport, *, by: User, now) -> None:
    instrument = Instrument.objects.select_for_update().get(pk=problem.instrument_id)
    successor = (
        ProblemReport.objects.filter(
            instrument=instrument,
            status=ProblemReport.Status.OPEN,
            severity=ProblemReport.Severity.DOWN,
        )
        .order_by("created_at")
        .first()
    )
    if successor is not None:
        # Still down by another open report: it takes over the closure and the status kept.
        successor.closure = problem.closure
        successor.running_status_before = problem.running_status_before
        successor.save(update_fields=["closure", "running_status_before"])
        return
    closure_end(closure=problem.closure, by=by, now=now)
    if instrument.running_status == Instrument.RunningStatus.AWAITING_REPAIR:
        before = problem.running_status_before or Instrument.RunningStatus.NORMAL
        instrument.running_status = before
        instrument.save(update_fields=["running_status"])
        audit_record(
            actor=by,
            action="instrument.repaired",
            target=instrument,
            changes={
                "running_status": [Instrument.RunningStatus.AWAITING_REPAIR, before],
                "problem": problem.pk,
            },
        )
