"""Voucher pages beyond the list: applying (on /vouchers/), coordinators deciding applications,
settlement for providers and authorities, and the two printable settlement papers.

Each page asks the same rules and services as the API (vouchers/rules.py, services.py,
settlement.py); a refusal is shown as a message with the form kept.
"""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.models import Organisation, Region, Role
from portal.errors import DomainError, NotFound
from portal.i18n import local_name
from sharing.bookings.models import SettlementLine, SettlementRequest, VoucherApplication
from sharing.bookings.vouchers import rules as vrules
from sharing.bookings.vouchers import selectors, services, settlement

EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)


def _regions():
    return Region.objects.order_by("adcode")


class ApplyForm(forms.Form):
    issuing_region = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        label=gettext_lazy("向哪个地区科技局申请"),
        to_field_name="code",
    )
    amount = forms.DecimalField(
        label=gettext_lazy("申请金额（元）"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    purpose = forms.CharField(
        label=gettext_lazy("拟使用用途"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuing_region"].queryset = _regions()
        self.fields["issuing_region"].label_from_instance = local_name


def _dated(label):
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("批准金额（元）"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    valid_from = _dated(gettext_lazy("生效日期"))
    valid_until = _dated(gettext_lazy("截止日期"))
    accepted_in = forms.ModelMultipleChoiceField(
        queryset=Region.objects.none(),
        label=gettext_lazy("通用地区"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accepted_in"].queryset = _regions()
        self.fields["accepted_in"].label_from_instance = local_name

    def clean(self):
        data = super().clean()
        for name in ("valid_from", "valid_until"):
            day = data.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, _("日期须在 2000-01-01 与 2099-12-31 之间。"))
        return data


class PeriodForm(forms.Form):
    issuing_region = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        label=gettext_lazy("向哪个地区申请兑现"),
        to_field_name="code",
    )
    period_from = _dated(gettext_lazy("起始日期"))
    period_until = _dated(gettext_lazy("截止日期"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuing_region"].queryset = _regions()
        self.fields["issuing_region"].label_from_instance = local_name

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_until")
        for name, day in (("period_from", start), ("period_until", end)):
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, _("日期须在 2000-01-01 与 2099-12-31 之间。"))
        if start and end and start > end:
            self.add_error("period_until", _("起始日期不能晚于截止日期。"))
        return data


# --- Applying, on the vouchers page -----------------------------------------------------------


def apply_post(request) -> tuple[ApplyForm, bool]:
    """The apply form posted on /vouchers/: (the form, whether it was submitted)."""
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("申请未提交：请按提示修改。"))
        return form, False
    try:
        services.application_submit(
            applicant=request.user,
            issuing_region=form.cleaned_data["issuing_region"],
            purpose=form.cleaned_data["purpose"],
            amount=form.cleaned_data["amount"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return form, False
    messages.success(request, _("申请已提交，等待发放地区协调员审批。"))
    return form, True


def apply_context(user, form: ApplyForm | None) -> dict:
    """What the vouchers page shows about applications: my organisation's, and the form."""
    may_apply = bool(user.organisation_id) and user.has_any_role(Role.FIRM, Role.RESEARCHER)
    own = selectors.application_list(user=user)
    own = own.filter(organisation_id=user.organisation_id) if user.organisation_id else own.none()
    return {
        "may_apply": may_apply,
        "apply_form": form or ApplyForm(),
        "applications": list(own[:20]),
        "coordinates": user.has_any_role(Role.COORDINATOR),
        "provides": user.is_administrator or bool(selectors.provider_organisations(user=user)),
    }


# --- Coordinators decide applications ---------------------------------------------------------


def _coordinator(user) -> None:
    if not user.has_any_role(Role.COORDINATOR):
        raise PermissionDenied(_("只有协调员和管理员可以审批创新券申请。"))


def _approve_initial(application: VoucherApplication) -> dict:
    today = timezone.localdate()
    return {
        "amount": application.amount_requested,
        "valid_from": today,
        "valid_until": datetime.date(today.year, 12, 31),
        "accepted_in": list(_regions().values_list("code", flat=True)),
    }


@login_required
def applications(request):
    """Coordinators: the applications to their region, the waiting ones first, each with the
    approve form (amount, validity, scope) and a reject with a reason."""
    user = request.user
    _coordinator(user)
    posted_pk, posted_form = None, None
    if request.method == "POST":
        posted_pk, posted_form = _decide(request)
        if posted_form is None:
            return redirect("frontend:voucher-applications")
    rows = list(selectors.application_list(user=user).order_by("status", "-created_at")[:100])
    for row in rows:
        row.may_decide = vrules.may_decide_application(user=user, application=row) is None
        if row.pk == posted_pk and posted_form is not None:
            row.form = posted_form
        else:
            row.form = ApproveForm(initial=_approve_initial(row), prefix=f"a{row.pk}")
    return render(request, "frontend/voucher_applications.html", {"applications": rows})


def _decide(request) -> tuple[int | None, ApproveForm | None]:
    """Approve or reject; (the application's pk, the form to show again) on a refusal, or
    (pk, None) when done."""
    try:
        pk = int(request.POST.get("application", ""))
        application = selectors.application_get(pk=pk, user=request.user)
    except (ValueError, NotFound):
        messages.error(request, _("没有找到这份创新券申请。"))
        return None, None
    action = request.POST.get("action", "")
    form = ApproveForm(request.POST, prefix=f"a{pk}")
    try:
        if action == "approve":
            if not form.is_valid():
                messages.error(request, _("未批准：请按提示修改。"))
                return pk, form
            application = services.application_approve(
                application=application, by=request.user, **form.cleaned_data
            )
            messages.success(
                request,
                _("已批准，发放创新券 %(code)s。") % {"code": application.voucher.code},
            )
        elif action == "reject":
            reason = " ".join(request.POST.get("reason", "").split())[:300]
            services.application_reject(application=application, by=request.user, reason=reason)
            messages.success(request, _("已驳回该申请。"))
        else:
            messages.error(request, _("无效的操作，请刷新页面后重试。"))
    except DomainError as exc:
        messages.error(request, exc.message)
        return pk, form
    return pk, None


# --- Settlement -------------------------------------------------------------------------------


def _provider_choice(request) -> Organisation | None:
    """The organisation the user asks for: their own if they speak for it, else the first
    they manage instruments of (?provider= chooses among them)."""
    mine = selectors.provider_organisations(user=request.user)
    wanted = request.POST.get("provider") or request.GET.get("provider")
    if wanted and str(wanted).isdigit() and (int(wanted) in mine or request.user.is_administrator):
        return Organisation.objects.filter(pk=int(wanted)).first()
    if request.user.organisation_id in mine:
        return request.user.organisation
    return Organisation.objects.filter(pk__in=mine[:1]).first()


@login_required
def settlements(request):
    """Providers: choose an authority and a period, see the redemptions that may be asked for
    and submit; everyone who may: the requests, each with its status."""
    user = request.user
    provider = _provider_choice(request)
    provides = provider is not None
    source = request.POST if request.method == "POST" else (request.GET or None)
    form = PeriodForm(source)
    eligible = []
    if provides and source is not None and form.is_valid():
        eligible = list(
            selectors.settlement_eligible(
                provider_id=provider.pk,
                region_id=form.cleaned_data["issuing_region"].pk,
                frm=form.cleaned_data["period_from"],
                to=form.cleaned_data["period_until"],
            )[:500]
        )
        if request.method == "POST":
            chosen = [int(x) for x in request.POST.getlist("redemption") if x.isdigit()]
            try:
                if not chosen:
                    messages.error(request, _("请至少选择一项服务。"))
                else:
                    made = settlement.settlement_request_create(
                        provider=provider,
                        issuing_region=form.cleaned_data["issuing_region"],
                        period_from=form.cleaned_data["period_from"],
                        period_until=form.cleaned_data["period_until"],
                        by=user,
                        redemptions=chosen,
                    )
                    messages.success(
                        request, _("兑现申请已提交。请打印申请表和信用承诺书，盖章后报送。")
                    )
                    return redirect("frontend:voucher-settlement", pk=made.pk)
            except DomainError as exc:
                messages.error(request, exc.message)
    elif request.method == "POST":
        if not provides:
            raise PermissionDenied(_("只有服务单位的仪器管理员可以申请兑现。"))
        messages.error(request, _("请按提示修改。"))
    return render(
        request,
        "frontend/voucher_settlements.html",
        {
            "provider": provider,
            "form": form,
            "eligible": eligible,
            "eligible_total": sum(e.amount for e in eligible),
            "searched": source is not None and form.is_bound and form.is_valid(),
            "requests": list(selectors.settlement_list(user=user)[:100]),
        },
    )


def _settlement(request, pk: int) -> SettlementRequest:
    try:
        return selectors.settlement_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404 from None


@login_required
def settlement_detail(request, pk: int):
    """One request: its lines; the authority's coordinator decides each and marks it paid."""
    made = _settlement(request, pk)
    if request.method == "POST":
        _settlement_act(request, made)
        return redirect("frontend:voucher-settlement", pk=made.pk)
    decides = vrules.may_decide_settlement(user=request.user, request=made) is None
    lines = list(selectors.settlement_lines(request=made))
    return render(
        request,
        "frontend/voucher_settlement.html",
        {
            "request_": made,
            "lines": lines,
            "decides": decides,
            "pending": any(line.status == SettlementLine.Status.PENDING for line in lines),
        },
    )


def _settlement_act(request, made: SettlementRequest) -> None:
    action, user = request.POST.get("action", ""), request.user
    try:
        if action in ("approve", "reject"):
            line_id = int(request.POST.get("line", "0") or 0)
            reason = " ".join(request.POST.get("reason", "").split())[:300]
            settlement.settlement_line_decide(
                request=made, line_id=line_id, by=user, approve=action == "approve", reason=reason
            )
            messages.success(request, _("已审核该明细。"))
        elif action == "paid":
            settlement.settlement_mark_paid(request=made, by=user)
            messages.success(request, _("已标记兑付。"))
        else:
            messages.error(request, _("无效的操作，请刷新页面后重试。"))
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("无效的操作，请刷新页面后重试。")))


def _paper(request, pk: int, template: str):
    made = _settlement(request, pk)
    lines = [
        line
        for line in selectors.settlement_lines(request=made)
        if line.status != SettlementLine.Status.REJECTED
    ]
    return render(
        request,
        template,
        {"request_": made, "lines": lines, "today": timezone.localdate()},
    )


@login_required
def settlement_form(request, pk: int):
    """创新券兑现申请表, for printing, signing and stamping."""
    return _paper(request, pk, "frontend/voucher_settlement_form.html")


@login_required
def settlement_commitment(request, pk: int):
    """The provider's 信用承诺书, for printing, signing and stamping."""
    return _paper(request, pk, "frontend/voucher_settlement_commitment.html")
