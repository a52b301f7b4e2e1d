"""Running an instrument in the pages: closures (with a preview of the bookings they fall on),
problem reports from the instrument page, and the managers' list of open problems.

Every decision is the services' own rule (rules.may_manage_instrument, may_report_problem):
the pages show a form only when the rule allows it, and every press goes through the service,
whose refusal comes back as its own message with the form kept as it was typed.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import DomainError, NotFound
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.bookings import rules
from sharing.bookings.models import Blackout, ProblemReport
from sharing.bookings.selectors import bookable_instrument_get
from sharing.bookings.selectors_facility import (
    PAST_CLOSURE_DAYS,
    closure_get,
    closures_of,
    problem_get,
    problems_managed,
)
from sharing.bookings.services import closures as closure_services
from sharing.bookings.services import problems as problem_services

MOMENT_FORMAT = "%Y-%m-%d %H:%M"
PROBLEMS_SHOWN = 100


def _instrument(instrument_id: int):
    try:
        return bookable_instrument_get(pk=instrument_id)
    except NotFound:
        raise Http404 from None


def _moment_field(label):
    return forms.DateTimeField(
        label=label,
        input_formats=[MOMENT_FORMAT, "%Y-%m-%dT%H:%M"],
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD HH:MM", "autocomplete": "off"}),
    )


class ClosureForm(forms.Form):
    start = _moment_field(gettext_lazy("开始（北京时间）"))
    end = _moment_field(gettext_lazy("结束（北京时间）"))
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"),
        choices=[(k.value, k.label) for k in closure_services.MANAGED_KINDS],
        initial=Blackout.Kind.MAINTENANCE,
    )
    reason = forms.CharField(
        label=gettext_lazy("原因"), max_length=200, required=False, validators=[ONE_LINE]
    )


def _closures_page(request, instrument, *, form, preview=None, status=200):
    closures = list(closures_of(instrument=instrument, past_days=PAST_CLOSURE_DAYS))
    now = timezone.now()
    for closure in closures:
        closure.is_future = closure.period.lower > now
        closure.is_current = closure.period.lower <= now < closure.period.upper
    return render(
        request,
        "frontend/manage_closures.html",
        {
            "instrument": instrument,
            "closures": closures,
            "form": form,
            "preview": preview,
        },
        status=status,
    )


@login_required
def manage_closures(request, instrument_id: int):
    """The instrument's managers and administrators: its closures, adding one after a preview of
    the bookings it falls on, and taking one back. Anyone else: 403."""
    instrument = _instrument(instrument_id)
    if rules.may_manage_instrument(user=request.user, instrument=instrument) is not None:
        raise PermissionDenied
    if request.method != "POST":
        return _closures_page(request, instrument, form=ClosureForm())
    action = request.POST.get("action", "")
    if action == "delete":
        return _delete_closure(request, instrument)
    form = ClosureForm(request.POST)
    if not form.is_valid():
        return _closures_page(request, instrument, form=form, status=400)
    data = form.cleaned_data
    try:
        if action == "preview":
            affected = closure_services.closure_preview(
                instrument=instrument,
                by=request.user,
                start=data["start"],
                end=data["end"],
                kind=data["kind"],
            )
            return _closures_page(request, instrument, form=form, preview=affected)
        if action != "create":
            raise Http404
        _closure, affected = closure_services.closure_create(
            instrument=instrument,
            by=request.user,
            start=data["start"],
            end=data["end"],
            kind=data["kind"],
            reason=data["reason"],
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _closures_page(request, instrument, form=form, status=400)
    cancelled = sum(1 for item in affected if item.cancelled)
    told = len(affected) - cancelled
    messages.success(
        request,
        _(
            "已添加停用时段；取消预约 %(cancelled)d 条（已退回创新券并通知预约人），"
            "通知使用中的 %(told)d 条。"
        )
        % {"cancelled": cancelled, "told": told},
    )
    return redirect("frontend:manage-closures", instrument_id=instrument.pk)


def _delete_closure(request, instrument):
    try:
        closure_id = int(request.POST.get("closure", ""))
        closure = closure_get(instrument=instrument, pk=closure_id)
        ended = closure_services.closure_delete(closure=closure, by=request.user)
    except (ValueError, NotFound):
        messages.error(request, _("停用时段不存在，请刷新页面。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if ended is None:
            messages.success(request, _("已删除停用时段。"))
        else:
            messages.success(request, _("停用时段已提前结束。"))
    return redirect("frontend:manage-closures", instrument_id=instrument.pk)


# --- Problems -------------------------------------------------------------------------------


class ProblemForm(forms.Form):
    severity = forms.ChoiceField(
        label=gettext_lazy("严重程度"),
        choices=ProblemReport.Severity.choices,
        initial=ProblemReport.Severity.MINOR,
    )
    description = forms.CharField(
        label=gettext_lazy("问题描述"),
        max_length=2000,
        validators=[SEVERAL_LINES],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    expected_end = _moment_field(gettext_lazy("预计恢复时间（停机时，可选）"))
    photo = forms.FileField(
        label=gettext_lazy("照片（可选，JPEG/PNG/WebP，最大 5 MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_end"].required = False


@login_required
def problem_report_page(request, instrument_id: int):
    """Report a problem on an instrument one has used (the form is also on the instrument page;
    this page keeps what was typed when something was wrong)."""
    instrument = _instrument(instrument_id)
    refusal = rules.may_report_problem(user=request.user, instrument=instrument)
    if refusal is not None:
        raise PermissionDenied
    if request.method != "POST":
        form = ProblemForm()
        return render(
            request, "frontend/problem_report.html", {"instrument": instrument, "form": form}
        )
    form = ProblemForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            problem = problem_services.problem_report(
                reporter=request.user,
                instrument=instrument,
                severity=data["severity"],
                description=data["description"],
                photo=data.get("photo"),
                expected_end=data.get("expected_end"),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if problem.closure_id:
                messages.success(
                    request,
                    _("已报告问题 #%(number)d：仪器已停机待修，受影响的预约已取消并通知。")
                    % {"number": problem.pk},
                )
            else:
                messages.success(
                    request,
                    _("已报告问题 #%(number)d，仪器管理员会收到通知。") % {"number": problem.pk},
                )
            return redirect("frontend:instrument", instrument_id=instrument.pk)
    return render(
        request,
        "frontend/problem_report.html",
        {"instrument": instrument, "form": form},
        status=400,
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("处理记录"),
        max_length=2000,
        validators=[SEVERAL_LINES],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
def manage_problems(request):
    """Managers (and administrators): open problems of the instruments they manage, each with a
    form to record what was done. Anyone else: 403."""
    user = request.user
    if not rules.manages_any(user=user):
        raise PermissionDenied
    errors = {}
    if request.method == "POST":
        try:
            problem = problem_get(pk=int(request.POST.get("problem", "")), user=user)
        except (ValueError, NotFound):
            messages.error(request, _("问题报告不存在，请刷新页面。"))
            return redirect("frontend:manage-problems")
        form = ResolveForm(request.POST, auto_id=f"id_{problem.pk}_%s")
        if form.is_valid():
            try:
                problem_services.problem_resolve(
                    problem=problem, by=user, resolution=form.cleaned_data["resolution"]
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("问题 #%(number)d 已标记为已解决。") % {"number": problem.pk}
                )
            return redirect("frontend:manage-problems")
        errors[problem.pk] = form
    problems = list(problems_managed(user=user, status=ProblemReport.Status.OPEN)[:PROBLEMS_SHOWN])
    for problem in problems:
        problem.form = errors.get(problem.pk) or ResolveForm(auto_id=f"id_{problem.pk}_%s")
    return render(
        request,
        "frontend/manage_problems.html",
        {"problems": problems},
        status=400 if errors else 200,
    )
