"""Rows for training requests and qualifications, API and pages.

``instrument_trained`` (managed by manager_this) requires a qualification. researcher_mianyang
has an open training request on it (``training``) and a qualification (``qualification``);
the rows that need a scheduled request make one of researcher_beibei's in their URL builder
(rolled back with the case). A request or qualification is seen by its person, the
instrument's managers and administrators; to anyone else it does not exist (404). Of those
who see it, the service decides who may act (403).
"""

import datetime

from django.utils import timezone

from sharing.bookings.models import Qualification, TrainingRequest
from tests.authz.matrix import ALL, LOGIN, ONLY, SIGNED_IN, Row
from tests.bookings import instrument_with_rules

TRAINING_NOTE = "matrix-training-message"
QUALIFICATION_NOTE = "matrix-qualification-note"
PARTIES = {"researcher_mianyang", "manager_this", "admin"}
MANAGERS = {"manager_this", "admin"}


def setup(w) -> None:
    rm = w.people["researcher_mianyang"]
    w.instrument_trained = instrument_with_rules(
        organisation=w.org_lab,
        managers=[w.people["manager_this"]],
        closed_on_holidays=False,
        qualification_required=True,
    )
    w.training = TrainingRequest.objects.create(
        user=rm, instrument=w.instrument_trained, message=TRAINING_NOTE
    )
    w.qualification = Qualification.objects.create(
        user=rm,
        instrument=w.instrument_trained,
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        granted_by=w.people["manager_this"],
        note=QUALIFICATION_NOTE,
    )


def PARTY(status, **overrides):
    return ONLY(PARTIES, status, else_=404) | overrides


def _later():
    return (timezone.localtime() + datetime.timedelta(days=3)).replace(microsecond=0).isoformat()


def _scheduled_of_beibei(w) -> str:
    training = TrainingRequest.objects.create(
        user=w.people["researcher_beibei"],
        instrument=w.instrument_trained,
        status=TrainingRequest.Status.SCHEDULED,
        scheduled_for=timezone.now() + datetime.timedelta(days=2),
        place="matrix room",
    )
    return training


def _training_status(w):
    return TrainingRequest.objects.values_list("status", "scheduled_for").get(pk=w.training.pk)


def _qualification_state(w):
    return Qualification.objects.values_list("valid_until", "revoked_at").get(pk=w.qualification.pk)


def _qualification_count(w):
    return Qualification.objects.filter(instrument=w.instrument_trained).count()


def _training_count(w):
    return TrainingRequest.objects.filter(instrument=w.instrument_trained).count()


ROWS = [
    # --- API: training requests ---------------------------------------------------------------
    Row(
        "api:training-list",
        "GET",
        lambda w: "/api/training-requests/",
        SIGNED_IN(200),
        secret=lambda w: TRAINING_NOTE,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "api:training-list",
        "POST",
        lambda w: "/api/training-requests/",
        # Everyone verified may ask; researcher_mianyang is qualified already.
        SIGNED_IN(201) | {"researcher_mianyang": 409},
        body=lambda w: {"instrument": w.instrument_trained.pk, "message": "matrix"},
        effect=_training_count,
    ),
    Row(
        "api:training-detail",
        "GET",
        lambda w: f"/api/training-requests/{w.training.pk}/",
        PARTY(200),
        secret=lambda w: TRAINING_NOTE,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "api:training-schedule",
        "POST",
        lambda w: f"/api/training-requests/{w.training.pk}/schedule/",
        PARTY(200, researcher_mianyang=403),
        body=lambda w: {"when": _later(), "place": "matrix room"},
        effect=_training_status,
    ),
    Row(
        "api:training-record",
        "POST",
        lambda w: f"/api/training-requests/{_scheduled_of_beibei(w).pk}/record/",
        ONLY(MANAGERS, 200, else_=404) | {"researcher_beibei": 403},
        body=lambda w: {"passed": True},
    ),
    Row(
        "api:training-cancel",
        "POST",
        lambda w: f"/api/training-requests/{w.training.pk}/cancel/",
        PARTY(200, manager_this=403, admin=403),
        effect=_training_status,
    ),
    # --- API: qualifications ------------------------------------------------------------------
    Row(
        "api:qualification-list",
        "GET",
        lambda w: "/api/qualifications/",
        SIGNED_IN(200),
        secret=lambda w: QUALIFICATION_NOTE,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "api:qualification-list",
        "POST",
        lambda w: "/api/qualifications/",
        ONLY(MANAGERS, 201, else_=403),
        body=lambda w: {"instrument": w.instrument_trained.pk, "username": "researcher_beibei"},
        effect=_qualification_count,
    ),
    Row(
        "api:qualification-detail",
        "GET",
        lambda w: f"/api/qualifications/{w.qualification.pk}/",
        PARTY(200),
        secret=lambda w: QUALIFICATION_NOTE,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "api:qualification-renew",
        "POST",
        lambda w: f"/api/qualifications/{w.qualification.pk}/renew/",
        PARTY(200, researcher_mianyang=403),
        body=lambda w: {"valid_until": "2090-01-01"},
        effect=_qualification_state,
    ),
    Row(
        "api:qualification-revoke",
        "POST",
        lambda w: f"/api/qualifications/{w.qualification.pk}/revoke/",
        PARTY(200, researcher_mianyang=403),
        body=lambda w: {"reason": "matrix"},
        effect=_qualification_state,
    ),
    # --- Pages --------------------------------------------------------------------------------
    # A page answers a POST with a redirect, which the matrix does not count as a change; what
    # each press changes is tested in tests/frontend/test_training_pages.py.
    # A refused request comes back to the instrument page with its message (302 for all).
    Row(
        "frontend:training-ask",
        "POST",
        lambda w: f"/instruments/{w.instrument_trained.pk}/training/",
        ALL(302),
        body=lambda w: {"message": "matrix"},
        fmt="form",
    ),
    Row(
        "frontend:training-cancel",
        "POST",
        lambda w: f"/training/{w.training.pk}/cancel/",
        ONLY(PARTIES, 302, else_=404, anon=LOGIN),
        fmt="form",
    ),
    Row(
        "frontend:manage-training",
        "GET",
        lambda w: "/manage/training/",
        ONLY({"manager_this", "manager_other", "admin"}, 200, else_=403, anon=LOGIN),
        secret=lambda w: TRAINING_NOTE,
        seen_by=frozenset(MANAGERS),
    ),
    Row(
        "frontend:manage-training",
        "POST",
        lambda w: "/manage/training/",
        ONLY(MANAGERS, 302, else_=403, anon=LOGIN) | {"manager_other": 404},
        label="schedule",
        body=lambda w: {
            "training": w.training.pk,
            "action": "schedule",
            "when": (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "place": "matrix room",
        },
        fmt="form",
    ),
    Row(
        "frontend:manage-qualifications",
        "GET",
        lambda w: f"/manage/instruments/{w.instrument_trained.pk}/qualifications/",
        ONLY(MANAGERS, 200, else_=403, anon=LOGIN),
        secret=lambda w: QUALIFICATION_NOTE,
        seen_by=frozenset(MANAGERS),
    ),
    Row(
        "frontend:manage-qualifications",
        "POST",
        lambda w: f"/manage/instruments/{w.instrument_trained.pk}/qualifications/",
        ONLY(MANAGERS, 302, else_=403, anon=LOGIN),
        label="revoke",
        body=lambda w: {"action": "revoke", "qualification": w.qualification.pk, "reason": "m"},
        fmt="form",
    ),
]
