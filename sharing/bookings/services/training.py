"""Writes of training requests (培训申请): ask, schedule, record the result, cancel.

requested → scheduled → passed | failed, and requested or scheduled → cancelled by the person
who asked. A schedule may be moved while it is scheduled (a second schedule). A pass grants the
qualification, or renews the one the person held (qualifications.qualification_set), with an
expiry: the one given, else QUALIFICATION_VALID_DAYS from today. Who may do each is asked of
rules.py; a status that does not allow a step is a Conflict (409).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import bounds
from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import Conflict, RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.models import Notice, Qualification, TrainingRequest
from sharing.bookings.notifications import training_notify
from sharing.bookings.services.qualifications import (
    check_valid_until,
    default_valid_until,
    qualification_set,
)
from sharing.catalogue.models import Instrument

TEXT_MAX = 300


def _line(text: str | None, limit: int = TEXT_MAX) -> str:
    return " ".join((text or "").split())[:limit]


def _locked(training: TrainingRequest) -> TrainingRequest:
    return (
        TrainingRequest.objects.select_for_update()
        .select_related("instrument", "user")
        .get(pk=training.pk)
    )


def _audit(training: TrainingRequest, *, by: User, before: str, **facts) -> None:
    changes = {"status": [before, training.status], **facts}
    audit_record(actor=by, action=f"training.{training.status}", target=training, changes=changes)


@transaction.atomic
def training_request(*, user: User, instrument: Instrument, message: str = "") -> TrainingRequest:
    """A person asks for training on an instrument that requires a qualification; its managers
    are told. A second open request is a Conflict (the database agrees, for a race)."""
    require(
        rules.may_request_training(user=user, instrument=instrument, today=timezone.localdate())
    )
    try:
        with transaction.atomic():
            training = TrainingRequest.objects.create(
                user=user, instrument=instrument, message=_line(message)
            )
    except IntegrityError as exc:
        raise Conflict(
            _("您已申请过该仪器的培训，请等待管理员安排。"), rule="training_open"
        ) from exc
    _audit(training, by=user, before="")
    training_notify(training=training, kind=Notice.TRAINING_REQUESTED)
    return training


@transaction.atomic
def training_schedule(
    *, request: TrainingRequest, by: User, when: datetime.datetime, place: str
) -> TrainingRequest:
    """A manager sets (or moves) the time and place; the person is told."""
    training = _locked(request)
    require(
        rules.may_decide_training(user=by, person=training.user, instrument=training.instrument)
    )
    require(
        rules.training_status_allows(
            training, TrainingRequest.Status.REQUESTED, TrainingRequest.Status.SCHEDULED
        )
    )
    if not bounds.datetime_in_range(when):
        message = str(bounds.DATETIME_MESSAGE)
        raise RuleBroken(message, rule="out_of_range", fields={"when": [message]})
    if when < timezone.now():
        message = _("培训时间不能早于现在。")
        raise RuleBroken(message, rule="in_the_past", fields={"when": [message]})
    place = _line(place, 200)
    if not place:
        message = _("请填写培训地点。")
        raise RuleBroken(message, rule="place_required", fields={"place": [message]})
    before = training.status
    training.status = TrainingRequest.Status.SCHEDULED
    training.scheduled_for = when
    training.place = place
    training.decided_by = by
    training.save(update_fields=["status", "scheduled_for", "place", "decided_by", "updated_at"])
    _audit(training, by=by, before=before, scheduled_for=when.isoformat(), place=place)
    training_notify(
        training=training, kind=Notice.TRAINING_SCHEDULED, extra=f"{when.timestamp():.0f}"
    )
    return training


@transaction.atomic
def training_record(
    *,
    request: TrainingRequest,
    by: User,
    passed: bool,
    note: str = "",
    valid_until: datetime.date | None = None,
) -> tuple[TrainingRequest, Qualification | None]:
    """A manager records the result of a scheduled training. Passing grants (or renews) the
    qualification; failing records it, and the person may ask again."""
    training = _locked(request)
    require(
        rules.may_decide_training(user=by, person=training.user, instrument=training.instrument)
    )
    require(rules.training_status_allows(training, TrainingRequest.Status.SCHEDULED))
    today = timezone.localdate()
    if passed:
        valid_until = valid_until or default_valid_until(today)
        check_valid_until(valid_until, today=today)
    before = training.status
    training.status = TrainingRequest.Status.PASSED if passed else TrainingRequest.Status.FAILED
    training.outcome_note = _line(note)
    training.decided_by = by
    training.save(update_fields=["status", "outcome_note", "decided_by", "updated_at"])
    _audit(training, by=by, before=before, note=training.outcome_note)
    training_notify(training=training, kind=Notice.TRAINING_RESULT)
    qualification = None
    if passed:
        qualification = qualification_set(
            instrument=training.instrument,
            user=training.user,
            by=by,
            valid_until=valid_until,
            note=_("培训通过（培训申请 #%(id)s）") % {"id": training.pk},
        )
    return training, qualification


@transaction.atomic
def training_cancel(*, request: TrainingRequest, by: User) -> TrainingRequest:
    """The person who asked withdraws an open request."""
    training = _locked(request)
    require(rules.may_cancel_training(user=by, request=training))
    before = training.status
    training.status = TrainingRequest.Status.CANCELLED
    training.save(update_fields=["status", "updated_at"])
    _audit(training, by=by, before=before)
    return training
