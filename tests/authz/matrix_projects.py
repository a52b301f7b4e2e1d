"""Rows for projects (课题), their charge approvals and the monthly statements.

The project 矩阵课题 belongs to the Mianyang university; researcher_mianyang leads it, and
another member of that university (not one of the matrix's people) has a booking charged to it
above the organisation's threshold, waiting for researcher_mianyang. A project is seen by its
organisation's members and administrators (and coordinators of its region); the approval by
its investigator, its requester and administrators; anyone else gets 404. A statement is read
by organisation administrators and coordinators (their own organisation by default), by
principal investigators (their projects) and administrators; other people 403.
"""

import datetime
from decimal import Decimal

from portal.accounts.models import Role
from sharing.bookings.models import ChargeApproval, ChargeThreshold, Project
from sharing.bookings.services import booking_create
from tests.authz.matrix import LOGIN, ONLY, PAGE, SIGNED_IN, Row
from tests.bookings import local, next_weekday, verified
from tests.factories import UserFactory

SECRET = "矩阵课题"
PROJECT_PEOPLE = {"researcher_mianyang", "admin"}
STATEMENT_READERS = {"researcher_mianyang", "orgadmin", "coordinator", "admin"}


def setup(w):
    pi = w.people["researcher_mianyang"]
    w.project = Project.objects.create(
        organisation=w.org_mianyang,
        name=SECRET,
        number="MX-001",
        funding_source=Project.FundingSource.NATIONAL,
        investigator=pi,
    )
    ChargeThreshold.objects.create(organisation=w.org_mianyang, amount=Decimal("100.00"))
    member = verified(
        UserFactory(
            username="project_member", organisation=w.org_mianyang, roles=[Role.RESEARCHER]
        ),
        w.org_mianyang.region,
    )
    day = next_weekday(2, days_ahead=40)
    booking = booking_create(
        requester=member,
        instrument=w.instrument,
        start=local(day, "08:00"),
        end=local(day, "12:00"),
        purpose="矩阵课题预约",
        project=w.project,
    )
    w.charge_approval = ChargeApproval.objects.get(booking=booking)


def _approvals(w):
    return list(ChargeApproval.objects.order_by("pk").values_list("pk", "status"))


def _projects(w):
    return list(Project.objects.order_by("pk").values_list("pk", "name", "active"))


def _threshold(w):
    return list(ChargeThreshold.objects.order_by("pk").values_list("pk", "amount"))


def _month(w) -> str:
    return f"{datetime.date.today():%Y-%m}"


PROJECT_SEEN = ONLY(PROJECT_PEOPLE, 200, else_=404)

ROWS = [
    Row(
        "api:project-list",
        "GET",
        lambda w: "/api/projects/",
        SIGNED_IN(200),
        secret=lambda w: SECRET,
        seen_by=frozenset(PROJECT_PEOPLE),
    ),
    Row(
        "api:project-list",
        "POST",
        lambda w: "/api/projects/",
        SIGNED_IN(201),
        body=lambda w: {"name": "矩阵新课题", "number": "MX-NEW", "funding_source": "own"},
        effect=_projects,
    ),
    Row(
        "api:project-detail",
        "GET",
        lambda w: f"/api/projects/{w.project.pk}/",
        PROJECT_SEEN,
        secret=lambda w: SECRET,
        seen_by=frozenset(PROJECT_PEOPLE),
    ),
    Row(
        "api:project-detail",
        "PATCH",
        lambda w: f"/api/projects/{w.project.pk}/",
        PROJECT_SEEN,
        body=lambda w: {"active": False},
        effect=_projects,
    ),
    Row("api:project-threshold", "GET", lambda w: "/api/projects/threshold/", SIGNED_IN(200)),
    Row(
        "api:project-threshold",
        "PUT",
        lambda w: "/api/projects/threshold/",
        ONLY({"orgadmin", "admin"}, 200, else_=403),
        body=lambda w: {"amount": "500.00"},
        effect=_threshold,
    ),
    Row(
        "api:charge-approval-list",
        "GET",
        lambda w: "/api/projects/approvals/",
        SIGNED_IN(200),
        secret=lambda w: SECRET,
        seen_by=frozenset(PROJECT_PEOPLE),
    ),
    Row(
        "api:charge-approval-approve",
        "POST",
        lambda w: f"/api/projects/approvals/{w.charge_approval.pk}/approve/",
        PROJECT_SEEN,
        body=lambda w: {},
        effect=_approvals,
    ),
    Row(
        "api:charge-approval-reject",
        "POST",
        lambda w: f"/api/projects/approvals/{w.charge_approval.pk}/reject/",
        PROJECT_SEEN,
        body=lambda w: {"reason": "矩阵拒绝"},
        effect=_approvals,
    ),
    Row(
        "api:statement",
        "GET",
        lambda w: f"/api/statements/?month={_month(w)}",
        ONLY(STATEMENT_READERS, 200, else_=403),
    ),
    Row(
        "api:statement",
        "GET",
        lambda w: f"/api/statements/?month={_month(w)}&project={w.project.pk}",
        ONLY(PROJECT_PEOPLE, 200, else_=404),
        label="project",
    ),
    Row(
        "api:statement-export-xlsx",
        "GET",
        lambda w: f"/api/statements/export.xlsx?month={_month(w)}",
        ONLY(STATEMENT_READERS, 200, else_=403),
    ),
    Row("frontend:projects", "GET", lambda w: "/projects/", PAGE(200)),
    Row(
        "frontend:project-approvals",
        "GET",
        lambda w: "/projects/approvals/",
        PAGE(200),
        secret=lambda w: SECRET,
        seen_by=frozenset(PROJECT_PEOPLE),
    ),
    Row(
        "frontend:statement",
        "GET",
        lambda w: f"/statements/?month={_month(w)}",
        ONLY(STATEMENT_READERS, 200, else_=403, anon=LOGIN),
    ),
]
