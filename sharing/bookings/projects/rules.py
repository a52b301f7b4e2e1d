"""Who may keep projects, charge to them, decide a charge and read a statement.

Each rule answers None when allowed, else the refusal (portal.errors): a project or approval a
person may not see is 404, one they see but may not change 403, a wrong state 409. Services
require() them, the API answers them, the pages hide buttons and links with them.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Role, User
from portal.accounts.rules import account_refusal
from portal.errors import Conflict, Forbidden, NotFound, Refusal, RuleBroken
from sharing.bookings.models import Booking, ChargeApproval, ChargeThreshold, Project, SampleOrder


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_organisation_admin_of(*, user, organisation_id: int | None) -> bool:
    return (
        _signed_in(user)
        and organisation_id is not None
        and Role.ORGANISATION_ADMIN in user.roles
        and user.organisation_id == organisation_id
    )


def is_coordinator_of(*, user, organisation: Organisation) -> bool:
    return (
        _signed_in(user)
        and Role.COORDINATOR in user.roles
        and user.organisation_id is not None
        and user.organisation.region_id == organisation.region_id
    )


def keeps_projects_of(*, user, organisation_id: int | None) -> bool:
    """Administrators and the organisation's administrators keep all its projects."""
    return _signed_in(user) and (
        user.is_administrator
        or is_organisation_admin_of(user=user, organisation_id=organisation_id)
    )


def project_visible(*, user, project: Project) -> bool:
    """Members of the project's organisation, coordinators of its region and administrators."""
    if not _signed_in(user):
        return False
    return (
        user.is_administrator
        or user.organisation_id == project.organisation_id
        or is_coordinator_of(user=user, organisation=project.organisation)
    )


def may_create_project(*, user, organisation: Organisation | None, investigator: User) -> Refusal:
    """An organisation administrator for any member of it; any verified member for a project
    they lead themselves; administrators for anyone."""
    if not _signed_in(user):
        return Forbidden(_("请先登录。"))
    if organisation is None:
        return Forbidden(_("只有机构成员可以登记课题。"), rule="no_organisation")
    refusal = account_refusal(user=user)
    if refusal is not None:
        return refusal
    if investigator.organisation_id != organisation.pk:
        return RuleBroken(
            _("课题负责人须为本单位成员。"),
            rule="investigator_not_member",
            fields={"investigator": [_("课题负责人须为本单位成员。")]},
        )
    if keeps_projects_of(user=user, organisation_id=organisation.pk):
        return None
    if user.organisation_id == organisation.pk and investigator.pk == user.pk:
        return None
    return Forbidden(
        _("只有机构管理员可以为他人登记课题；研究人员可以登记自己负责的课题。"),
        rule="not_project_keeper",
    )


def may_edit_project(*, user, project: Project) -> Refusal:
    if not project_visible(user=user, project=project):
        return NotFound(_("课题不存在。"))
    if keeps_projects_of(user=user, organisation_id=project.organisation_id):
        return None
    if _signed_in(user) and project.investigator_id == user.pk:
        return None
    return Forbidden(_("只有课题负责人和机构管理员可以修改课题。"), rule="not_project_keeper")


def may_charge_to(*, user, project: Project) -> Refusal:
    """A person charges only to an active project of their own organisation."""
    if not _signed_in(user) or user.organisation_id != project.organisation_id:
        return Forbidden(
            _("只能使用本单位的课题。"),
            rule="project_not_yours",
            fields={"project": [_("只能使用本单位的课题。")]},
        )
    if not project.active:
        return RuleBroken(
            _("该课题已停用，不能再记账。"),
            rule="project_inactive",
            fields={"project": [_("该课题已停用。")]},
        )
    return None


def threshold_of(organisation_id: int | None) -> Decimal | None:
    if organisation_id is None:
        return None
    row = ChargeThreshold.objects.filter(organisation_id=organisation_id).first()
    return row.amount if row is not None else None


def approval_threshold(*, project: Project | None, requester: User, amount: Decimal):
    """The threshold a charge is above, when it must wait for the project's investigator;
    else None. Equal to the threshold does not wait, nor the investigator's own charge."""
    if project is None or project.investigator_id == requester.pk:
        return None
    threshold = threshold_of(project.organisation_id)
    if threshold is None or Decimal(amount) <= threshold:
        return None
    return threshold


def may_set_threshold(*, user, organisation: Organisation | None) -> Refusal:
    if organisation is None or not keeps_projects_of(user=user, organisation_id=organisation.pk):
        return Forbidden(_("只有机构管理员可以设置课题费用审批阈值。"), rule="not_project_keeper")
    return None


def approval_visible(*, user, approval: ChargeApproval) -> bool:
    """The project's investigator, the requester, and administrators."""
    return _signed_in(user) and (
        user.is_administrator
        or approval.project.investigator_id == user.pk
        or approval.requester_id == user.pk
    )


def service_waits(approval: ChargeApproval) -> bool:
    """Whether the booking or order is still at the stage the approval holds."""
    if approval.booking_id:
        return approval.booking.status == Booking.Status.REQUESTED
    return approval.order.status == SampleOrder.Status.ACCEPTED


def may_decide_charge(*, user, approval: ChargeApproval) -> Refusal:
    """The project's principal investigator (or an administrator), once, while the booking or
    order still waits for it."""
    if not approval_visible(user=user, approval=approval):
        return NotFound(_("费用审批不存在。"))
    if not (user.is_administrator or approval.project.investigator_id == user.pk):
        return Forbidden(_("只有课题负责人可以审批该费用。"), rule="not_investigator")
    if approval.status != ChargeApproval.Status.PENDING:
        return Conflict(
            _("该费用已审批（%(status)s）。") % {"status": approval.get_status_display()},
            rule="wrong_status",
        )
    if not service_waits(approval):
        return Conflict(_("该预约或委托已不在等待审批的状态。"), rule="service_moved_on")
    return None


def may_see_statement(*, user, organisation: Organisation, project: Project | None) -> Refusal:
    """The whole organisation: its administrators, coordinators of its region, administrators.
    A project: those and its investigator. A principal investigator without a project sees
    their own projects (statement_projects). Anyone else is refused."""
    if not _signed_in(user):
        return Forbidden(_("请先登录。"))
    if project is not None and not project_visible(user=user, project=project):
        return NotFound(_("课题不存在。"))
    if (
        user.is_administrator
        or is_organisation_admin_of(user=user, organisation_id=organisation.pk)
        or is_coordinator_of(user=user, organisation=organisation)
    ):
        return None
    if project is not None and project.investigator_id == user.pk:
        return None
    if (
        project is None
        and user.organisation_id == organisation.pk
        and Project.objects.filter(organisation=organisation, investigator=user).exists()
    ):
        return None
    return Forbidden(
        _("只有机构管理员、课题负责人和所在地区的协调员可以查看费用结算单。"),
        rule="not_statement_reader",
    )


def sees_whole_statement(*, user, organisation: Organisation) -> bool:
    return (
        user.is_administrator
        or is_organisation_admin_of(user=user, organisation_id=organisation.pk)
        or is_coordinator_of(user=user, organisation=organisation)
    )


def leads_projects(*, user) -> bool:
    return _signed_in(user) and Project.objects.filter(investigator=user).exists()
