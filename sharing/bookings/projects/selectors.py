"""Reads of projects and charge approvals, each as the reader may see them (404 otherwise)."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFound
from sharing.bookings.models import Booking, ChargeApproval, Project, SampleOrder
from sharing.bookings.projects import rules


def project_list(*, user: User, active: bool | None = None) -> QuerySet[Project]:
    """The projects of my organisation (administrators: all); members see the active ones,
    its administrators and each project's investigator also the inactive."""
    qs = Project.objects.select_related("organisation", "investigator")
    if not user.is_administrator:
        if user.organisation_id is None:
            return qs.none()
        qs = qs.filter(organisation_id=user.organisation_id)
        if not rules.keeps_projects_of(user=user, organisation_id=user.organisation_id):
            qs = qs.filter(Q(active=True) | Q(investigator=user))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("-active", "number", "pk")


def project_get(*, pk: int, user: User) -> Project:
    project = (
        Project.objects.select_related("organisation__region", "investigator").filter(pk=pk).first()
    )
    if project is None or not rules.project_visible(user=user, project=project):
        raise NotFound(_("课题不存在。"))
    return project


def chargeable_projects(*, user: User) -> QuerySet[Project]:
    """The projects this person may charge a booking or an order to: the active ones of their
    organisation."""
    if not getattr(user, "is_authenticated", False) or user.organisation_id is None:
        return Project.objects.none()
    return Project.objects.filter(organisation_id=user.organisation_id, active=True).order_by(
        "number", "pk"
    )


def approval_list(*, user: User, role: str = "investigator", pending: bool = True):
    """The charges on the projects I lead (role investigator) or those I asked for (role
    mine); pending ones only unless ``pending`` is False. Administrators see all as
    investigators."""
    qs = ChargeApproval.objects.select_related(
        "project",
        "requester",
        "decided_by",
        "booking__instrument",
        "order__instrument",
    )
    if role == "mine":
        qs = qs.filter(requester=user)
    elif not user.is_administrator:
        qs = qs.filter(project__investigator=user)
    if pending:
        qs = qs.filter(status=ChargeApproval.Status.PENDING).filter(
            Q(booking__status=Booking.Status.REQUESTED)
            | Q(order__status=SampleOrder.Status.ACCEPTED)
        )
    return qs.order_by("-created_at", "-pk")


def approval_get(*, pk: int, user: User) -> ChargeApproval:
    approval = (
        ChargeApproval.objects.select_related(
            "project__investigator", "requester", "booking__instrument", "order__instrument"
        )
        .filter(pk=pk)
        .first()
    )
    if approval is None or not rules.approval_visible(user=user, approval=approval):
        raise NotFound(_("费用审批不存在。"))
    return approval


def pending_count(*, user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return approval_list(user=user).count()
