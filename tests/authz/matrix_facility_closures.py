"""Rows for closures and problem reports, API and pages.

Closures: anyone sees an instrument's closure periods; only its managers and administrators
see the reasons, preview, add or take one back. Problems: a report is its reporter's and the
instrument's managers' (and administrators'); to anyone else it does not exist (404). Of those
who see it only the managers resolve it. Reporting is for whoever used the instrument:
researcher_mianyang has a completed booking on ``instrument``; manager_this manages it.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from sharing.bookings.models import Blackout, ProblemReport
from sharing.bookings.services.problems import problem_report
from tests.authz.matrix import ALL, LOGIN, ONLY, SIGNED_IN, Row
from tests.bookings import local

MANAGERS = {"manager_this", "admin"}
REPORTERS = {"researcher_mianyang", "manager_this", "admin"}
SECRET = "matrix-problem-mianyang"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def setup(w):
    """A closure ahead on ``instrument`` and researcher_mianyang's report with a photo."""
    day = w.day + datetime.timedelta(days=7)
    w.closure_future = Blackout.objects.create(
        instrument=w.instrument,
        period=DateTimeTZRange(local(day, "08:00"), local(day, "12:00"), "[)"),
        kind=Blackout.Kind.MAINTENANCE,
        reason="matrix-closure-reason",
        created_by=w.people["manager_this"],
    )
    w.problem = problem_report(
        reporter=w.people["researcher_mianyang"],
        instrument=w.instrument,
        severity=ProblemReport.Severity.MINOR,
        description=SECRET,
        photo=SimpleUploadedFile("matrix.png", PNG),
    )


def _closure_body(w, *, preview=False):
    day = w.day + datetime.timedelta(days=14)
    return {
        "start": local(day, "08:00").isoformat(),
        "end": local(day, "09:00").isoformat(),
        "kind": "maintenance",
        "reason": "矩阵测试",
        "preview": preview,
    }


def _closure_form(w, action):
    day = w.day + datetime.timedelta(days=14)
    return {
        "start": f"{day:%Y-%m-%d} 08:00",
        "end": f"{day:%Y-%m-%d} 09:00",
        "kind": "maintenance",
        "reason": "矩阵测试",
        "action": action,
    }


def _closures(w):
    return list(Blackout.objects.order_by("pk").values_list("pk", "period"))


def _problems(w):
    return list(ProblemReport.objects.order_by("pk").values_list("pk", "status"))


def _report_body(w):
    return {
        "instrument": w.instrument.pk,
        "severity": "minor",
        "description": "矩阵测试",
        "photo": SimpleUploadedFile("p.png", PNG),
    }


def _closures_url(w):
    return f"/api/instruments/{w.instrument.pk}/closures/"


ROWS = [
    Row(
        "api:instrument-closures",
        "GET",
        _closures_url,
        ALL(200),
        secret=lambda w: "matrix-closure-reason",
        seen_by=frozenset(MANAGERS),
    ),
    Row(
        "api:instrument-closures",
        "POST",
        _closures_url,
        ONLY(MANAGERS, 200, else_=403),
        label="preview",
        body=lambda w: _closure_body(w, preview=True),
        effect=_closures,
        changed_by=frozenset(),  # a preview writes nothing, whoever asks
    ),
    Row(
        "api:instrument-closures",
        "POST",
        _closures_url,
        ONLY(MANAGERS, 201, else_=403),
        body=_closure_body,
        effect=_closures,
    ),
    Row(
        "api:instrument-closure-detail",
        "DELETE",
        lambda w: f"{_closures_url(w)}{w.closure_future.pk}/",
        ONLY(MANAGERS, 204, else_=403),
        effect=_closures,
    ),
    Row(
        "api:problem-list",
        "GET",
        lambda w: "/api/problems/",
        SIGNED_IN(200),
        secret=lambda w: SECRET,
        seen_by=frozenset(REPORTERS),
    ),
    Row(
        "api:problem-list",
        "POST",
        lambda w: "/api/problems/",
        ONLY(REPORTERS, 201, else_=403),
        body=_report_body,
        fmt="multipart",
        effect=_problems,
    ),
    Row(
        "api:problem-detail",
        "GET",
        lambda w: f"/api/problems/{w.problem.pk}/",
        ONLY(REPORTERS, 200, else_=404),
    ),
    Row(
        "api:problem-photo",
        "GET",
        lambda w: f"/api/problems/{w.problem.pk}/photo/",
        ONLY(REPORTERS, 200, else_=404),
    ),
    Row(
        "api:problem-resolve",
        "POST",
        lambda w: f"/api/problems/{w.problem.pk}/resolve/",
        ONLY(MANAGERS, 200, else_=404) | {"researcher_mianyang": 403},
        body=lambda w: {"resolution": "矩阵测试"},
        effect=_problems,
    ),
    # Pages (a change answers 302; what it changed is tested in tests/frontend).
    Row(
        "frontend:manage-closures",
        "GET",
        lambda w: f"/manage/instruments/{w.instrument.pk}/closures/",
        ONLY(MANAGERS, 200, else_=403, anon=LOGIN),
        secret=lambda w: "matrix-closure-reason",
        seen_by=frozenset(MANAGERS),
    ),
    Row(
        "frontend:manage-closures",
        "POST",
        lambda w: f"/manage/instruments/{w.instrument.pk}/closures/",
        ONLY(MANAGERS, 302, else_=403, anon=LOGIN),
        label="create",
        body=lambda w: _closure_form(w, "create"),
        fmt="multipart",
    ),
    Row(
        "frontend:manage-problems",
        "GET",
        lambda w: "/manage/problems/",
        ONLY({"manager_this", "manager_other", "admin"}, 200, else_=403, anon=LOGIN),
        secret=lambda w: SECRET,
        seen_by=frozenset(MANAGERS),
    ),
    Row(
        "frontend:manage-problems",
        "POST",
        lambda w: "/manage/problems/",
        ONLY({"manager_this", "manager_other", "admin"}, 302, else_=403, anon=LOGIN),
        label="resolve",
        body=lambda w: {"problem": w.problem.pk, "resolution": "矩阵测试"},
        fmt="multipart",
    ),
    Row(
        "frontend:problem-report",
        "GET",
        lambda w: f"/instruments/{w.instrument.pk}/problems/report/",
        ONLY(REPORTERS, 200, else_=403, anon=LOGIN),
    ),
    Row(
        "frontend:problem-report",
        "POST",
        lambda w: f"/instruments/{w.instrument.pk}/problems/report/",
        ONLY(REPORTERS, 302, else_=403, anon=LOGIN),
        label="report",
        body=lambda w: {"severity": "minor", "description": "矩阵测试"},
        fmt="multipart",
    ),
]
