"""Project pages (课题经费): my organisation's projects and its approval threshold, the
principal investigator's charges waiting for a decision, and the printable monthly statement.

Each list is the API's (sharing.bookings.projects.selectors), each button is shown when the
rule the service requires allows it, and each press goes through that service; a refusal comes
back as the rule's own message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from frontend.forms_projects import ProjectForm, ThresholdForm, month_of
from portal.accounts.models import Organisation, User
from portal.errors import DomainError, Forbidden, NotFound
from sharing.bookings.models import Project
from sharing.bookings.projects import rules, selectors, services, statements


def _int(text) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


@login_required
def projects_page(request):
    """Members of an organisation: its projects (active ones, and those they lead); a member
    registers a project they lead, an organisation administrator one for any member and the
    threshold above which a charge waits for the investigator."""
    user = request.user
    organisation = user.organisation if user.organisation_id else None
    if organisation is None:
        raise PermissionDenied
    keeper = rules.keeps_projects_of(user=user, organisation_id=organisation.pk)
    members = (
        User.objects.filter(organisation=organisation, is_active=True).order_by("username")
        if keeper
        else None
    )
    form = ProjectForm(prefix="new", members=members)
    threshold_form = ThresholdForm(
        prefix="threshold", initial={"amount": rules.threshold_of(organisation.pk)}
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                form = ProjectForm(request.POST, prefix="new", members=members)
                if form.is_valid():
                    data = form.cleaned_data
                    services.project_create(
                        by=user,
                        organisation=organisation,
                        name=data["name"],
                        number=data["number"],
                        funding_source=data["funding_source"],
                        investigator=data.get("investigator") or user,
                    )
                    messages.success(request, _("已登记课题。"))
                    return redirect("frontend:projects")
                status = 400
            elif action in ("activate", "deactivate"):
                project = selectors.project_get(pk=_int(request.POST.get("project")), user=user)
                services.project_update(by=user, project=project, active=action == "activate")
                messages.success(
                    request, _("课题已启用。") if action == "activate" else _("课题已停用。")
                )
                return redirect("frontend:projects")
            elif action == "threshold":
                threshold_form = ThresholdForm(request.POST, prefix="threshold")
                if threshold_form.is_valid():
                    services.threshold_set(
                        by=user,
                        organisation=organisation,
                        amount=threshold_form.cleaned_data["amount"],
                    )
                    messages.success(request, _("审批阈值已保存。"))
                    return redirect("frontend:projects")
                status = 400
            else:
                messages.error(request, _("无效的操作，请刷新页面后重试。"))
        except DomainError as exc:
            if action == "create":
                form.add_error(None, exc.message)
                status = 400
            else:
                messages.error(request, exc.message)
                return redirect("frontend:projects")
    projects = list(selectors.project_list(user=user))
    for project in projects:
        project.editable = rules.may_edit_project(user=user, project=project) is None
    return render(
        request,
        "frontend/projects/projects.html",
        {
            "organisation": organisation,
            "projects": projects,
            "form": form,
            "keeper": keeper,
            "threshold": rules.threshold_of(organisation.pk),
            "threshold_form": threshold_form,
            "statement_reader": rules.sees_whole_statement(user=user, organisation=organisation)
            or rules.leads_projects(user=user),
            "approvals_waiting": selectors.pending_count(user=user),
        },
        status=status,
    )


@login_required
def approvals_page(request):
    """The charges waiting on the projects I lead, with approve and reject; and the charges I
    asked for that wait, so a requester sees where theirs stands."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            approval = selectors.approval_get(pk=_int(request.POST.get("approval")), user=user)
            reason = request.POST.get("reason", "")
            if action == "approve":
                services.charge_approve(approval=approval, by=user, reason=reason)
                messages.success(request, _("已同意该费用，仪器管理员可以继续审批。"))
            elif action == "reject":
                services.charge_reject(approval=approval, by=user, reason=reason)
                messages.success(request, _("已拒绝该费用，相应的预约或委托已取消。"))
            else:
                messages.error(request, _("无效的操作，请刷新页面后重试。"))
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("frontend:project-approvals")
    waiting = list(selectors.approval_list(user=user, role="investigator"))
    decided = list(
        selectors.approval_list(user=user, role="investigator", pending=False).exclude(
            status="pending"
        )[:20]
    )
    mine = list(selectors.approval_list(user=user, role="mine", pending=False)[:20])
    return render(
        request,
        "frontend/projects/approvals.html",
        {"waiting": waiting, "decided": decided, "mine": mine},
    )


@login_required
def statement_page(request):
    """The printable monthly statement (费用结算单) of my organisation or of one project; its
    XLSX is the API's export of the same statement."""
    user = request.user
    month = month_of(request.GET.get("month"))
    project_id = _int(request.GET.get("project"))
    organisation_id = _int(request.GET.get("organisation"))
    try:
        statement = statements.statement_read(
            user=user, month=month, project_id=project_id, organisation_id=organisation_id
        )
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    organisation = statement.organisation
    if rules.sees_whole_statement(user=user, organisation=organisation):
        choices = Project.objects.filter(organisation=organisation)
    else:
        choices = Project.objects.filter(organisation=organisation, investigator=user)
    # Coordinators read the organisations of their region, administrators all.
    organisations = Organisation.objects.none()
    if user.is_administrator:
        organisations = Organisation.objects.all()
    elif rules.is_coordinator_of(user=user, organisation=organisation):
        organisations = Organisation.objects.filter(region_id=user.organisation.region_id)
    query = f"month={month:%Y-%m}"
    if statement.project is not None:
        query += f"&project={statement.project.pk}"
    elif organisation_id is not None:
        query += f"&organisation={organisation.pk}"
    return render(
        request,
        "frontend/projects/statement.html",
        {
            "statement": statement,
            "month_text": f"{month:%Y-%m}",
            "projects": choices.order_by("number"),
            "query": query,
            "organisation_id": organisation_id,
            "organisations": organisations.order_by("name"),
        },
    )
