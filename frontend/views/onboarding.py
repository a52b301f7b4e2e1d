"""Onboarding pages: sign-up and e-mail confirmation, my account (verification and where I am
recognised), the verification queue of organisation administrators and coordinators, an
organisation administrator's members, and the recognition agreements coordinators keep.

Plain POST forms with CSRF; the services of portal.accounts decide, and a refusal is shown
with the form kept."""

from __future__ import annotations

import math

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.accounts import onboarding, rules, verifications
from portal.accounts.api_onboarding import links, proof_response, sign_up_answer, sign_up_from
from portal.accounts.models import (
    Organisation,
    RecognitionAgreement,
    RecognitionScope,
    Region,
    User,
    Verification,
)
from portal.accounts.selectors import user_recognition
from portal.accounts.services import recognition_agreement_save
from portal.errors import DomainError
from portal.text import ControlCharacterValidator
from portal.throttles import RegisterThrottle

ONE_LINE = [ControlCharacterValidator(multiline=False)]
ROLE_CHOICES = [
    ("researcher", gettext_lazy("研究人员")),
    ("firm", gettext_lazy("企业用户")),
    ("technology_owner", gettext_lazy("成果持有方")),
]


class RegisterForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    real_name = forms.CharField(label=gettext_lazy("真实姓名"), max_length=150, validators=ONE_LINE)
    mobile = forms.CharField(label=gettext_lazy("手机号"), max_length=32, validators=ONE_LINE)
    email = forms.CharField(label=gettext_lazy("电子邮箱"), max_length=254, validators=ONE_LINE)
    password = forms.CharField(
        label=gettext_lazy("密码"), max_length=128, widget=forms.PasswordInput(render_value=True)
    )
    region = forms.ModelChoiceField(
        label=gettext_lazy("所在地区"), queryset=Region.objects.all(), to_field_name="code"
    )
    role = forms.ChoiceField(label=gettext_lazy("申请角色"), choices=ROLE_CHOICES)
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("所属机构"),
        queryset=Organisation.objects.filter(awaiting_verification=False).select_related("region"),
        required=False,
        empty_label=gettext_lazy("（不在列表中：填写下面的新机构）"),
    )
    new_organisation_name = forms.CharField(
        label=gettext_lazy("新机构名称"), max_length=200, required=False, validators=ONE_LINE
    )
    new_organisation_uscc = forms.CharField(
        label=gettext_lazy("新机构统一社会信用代码"), max_length=32, required=False
    )
    new_organisation_kind = forms.ChoiceField(
        label=gettext_lazy("新机构类型"),
        choices=[("", "—"), *Organisation.Kind.choices],
        required=False,
    )
    organisation_admin = forms.BooleanField(
        label=gettext_lazy("申请成为本机构的机构管理员（由绵碚协调员审核）"), required=False
    )
    staff_number = forms.CharField(
        label=gettext_lazy("工号或学号"), max_length=32, required=False, validators=ONE_LINE
    )
    proof = forms.FileField(
        label=gettext_lazy("证明材料（可选，PDF、JPEG 或 PNG，5 MB 以内）"), required=False
    )


def _field_errors(form: forms.Form, error: DomainError) -> None:
    for field, problems in (error.fields or {}).items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.fields:
        form.add_error(None, error.message)


def register(request):
    """Anyone signs up; the answer never says whether the e-mail address was known."""
    form = RegisterForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        throttle = RegisterThrottle()
        if not throttle.allow_request(request, None):
            seconds = max(1, math.ceil(throttle.wait() or 0))
            message = _("请求过于频繁，请 %(seconds)s 秒后再试。") % {"seconds": seconds}
            response = render(request, "frontend/throttled.html", {"message": message}, status=429)
            response["Retry-After"] = str(seconds)
            return response
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                onboarding.registration_submit(
                    sign_up=sign_up_from(data), request=request, **links(request)
                )
            except DomainError as error:
                _field_errors(form, error)
            else:
                return render(request, "frontend/register_sent.html", {"message": sign_up_answer()})
    return render(
        request, "frontend/register.html", {"form": form}, status=400 if form.errors else 200
    )


def register_confirm(request, token: str):
    """GET shows a button (mail scanners that open links do not use them up); POST confirms."""
    if request.method == "POST":
        try:
            onboarding.email_confirm(token=token, request=request)
        except DomainError as error:
            return render(
                request, "frontend/register_confirm.html", {"error": error.message}, status=400
            )
        messages.success(
            request, _("邮箱已确认。请登录；所属机构认证通过后即可预约、提出意向和发布。")
        )
        return redirect("frontend:login")
    return render(request, "frontend/register_confirm.html", {"token": token})


@login_required
def me(request):
    user = request.user
    refusal = rules.account_refusal(user=user)
    return render(
        request,
        "frontend/me.html",
        {
            "person": user,
            "refusal": refusal.message if refusal else "",
            "recognition": user_recognition(user=user),
            "scope_labels": dict(RecognitionScope.choices),
        },
    )


# --- Verifications ------------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("不予通过的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[ControlCharacterValidator(multiline=True)],
    )


def _decider(request) -> None:
    if rules.may_see_verifications(user=request.user) is not None:
        raise PermissionDenied(_("只有机构管理员、绵碚协调员和管理员可以审核认证申请。"))


@login_required
def verification_queue(request):
    _decider(request)
    pending = verifications.verification_list(user=request.user).order_by("created_at", "pk")
    decided = (
        verifications.verification_list(user=request.user, status=None)
        .exclude(status=Verification.Status.PENDING)
        .order_by("-decided_at")[:20]
    )
    return render(
        request,
        "frontend/verifications.html",
        {
            "pending": pending,
            "decided": decided,
            "reject_form": RejectForm(),
            "members": verifications.member_list(user=request.user),
            "is_org_admin": rules.is_organisation_admin(request.user),
        },
    )


def _verification(request, pk: int) -> Verification:
    verification = (
        Verification.objects.select_related("user", "organisation", "organisation__region")
        .filter(pk=pk)
        .first()
    )
    if verification is None or not rules.visible_to(user=request.user, verification=verification):
        raise Http404
    return verification


@login_required
@require_POST
def verification_decide(request, pk: int, action: str):
    _decider(request)
    verification = _verification(request, pk)
    try:
        if action == "approve":
            verifications.verification_approve(
                user=request.user, verification=verification, request=request
            )
            messages.success(
                request, _("已通过 %(name)s 的申请。") % {"name": verification.user.username}
            )
        elif action == "reject":
            form = RejectForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            verifications.verification_reject(
                user=request.user, verification=verification, reason=reason, request=request
            )
            messages.success(
                request, _("已驳回 %(name)s 的申请。") % {"name": verification.user.username}
            )
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("frontend:verifications")


@login_required
def verification_proof(request, pk: int):
    verification = _verification(request, pk)
    if not verification.proof:
        raise Http404
    return proof_response(verification)


@login_required
@require_POST
def member_action(request, pk: int, action: str):
    member = User.objects.filter(pk=pk).first()
    if member is None or rules.may_manage_member(user=request.user, member=member) is not None:
        raise Http404
    try:
        if action == "deactivate":
            verifications.member_deactivate(user=request.user, member=member, request=request)
            messages.success(request, _("已停用 %(name)s 的账号。") % {"name": member.username})
        elif action == "manager-role":
            verifications.manager_role_request(user=request.user, member=member, request=request)
            messages.success(
                request,
                _("已为 %(name)s 申请仪器管理员角色，等待绵碚协调员审核。")
                % {"name": member.username},
            )
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("frontend:verifications")


# --- Recognition agreements ---------------------------------------------------------------------


class AgreementForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("协议名称"), max_length=200, validators=ONE_LINE)
    region_a = forms.ModelChoiceField(label=gettext_lazy("地区甲"), queryset=Region.objects.all())
    region_b = forms.ModelChoiceField(label=gettext_lazy("地区乙"), queryset=Region.objects.all())
    starts_on = forms.DateField(
        label=gettext_lazy("生效日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("终止日期（可空）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("互认范围"),
        choices=RecognitionScope.choices,
        widget=forms.CheckboxSelectMultiple,
    )


@login_required
def recognition(request, pk: int | None = None):
    """Everyone signed in reads the agreements; coordinators add and change them here."""
    agreement = None
    if pk is not None:
        agreement = RecognitionAgreement.objects.filter(pk=pk).first()
        if agreement is None:
            raise Http404
    may_keep = rules.may_keep_agreements(user=request.user) is None
    if request.method == "POST" and not may_keep:
        raise PermissionDenied(_("只有绵碚协调员和管理员可以维护互认协议。"))
    initial = None
    if agreement is not None:
        initial = {
            "title": agreement.title,
            "region_a": agreement.region_a,
            "region_b": agreement.region_b,
            "starts_on": agreement.starts_on,
            "ends_on": agreement.ends_on,
            "scopes": agreement.scopes,
        }
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            recognition_agreement_save(
                user=request.user, agreement=agreement, request=request, **form.cleaned_data
            )
        except DomainError as error:
            _field_errors(form, error)
        else:
            messages.success(request, _("互认协议已保存。"))
            return redirect("frontend:recognition")
    agreements = RecognitionAgreement.objects.select_related("region_a", "region_b").order_by(
        "-starts_on", "pk"
    )
    return render(
        request,
        "frontend/recognition.html",
        {
            "agreements": agreements,
            "agreement": agreement,
            "form": form if may_keep else None,
            "scope_labels": dict(RecognitionScope.choices),
        },
        status=400 if form.errors else 200,
    )
