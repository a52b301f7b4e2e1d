"""Technology exchange pages, needs: a firm's needs and their editor, a need with the listings
matched to it (and a broker's link of one to the need), the reviewer's light review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import forms_tech
from frontend.views.tech.common import (
    MATCHES_SHOWN,
    act,
    domain_error_to_form,
    match_view,
    mode_labels,
    refused,
    tech_render,
)
from portal.errors import DomainError, Forbidden
from sharing.techmarket import rules, selectors, services
from sharing.techmarket.models import TechListing, TechNeed


def _need_or_404(request, pk: int) -> TechNeed:
    try:
        return selectors.need_get(user=request.user, pk=pk)
    except TechNeed.DoesNotExist:
        raise Http404 from None


# --- Needs -------------------------------------------------------------------------------------


@login_required
def need_list(request):
    """A firm's own needs; brokers and coordinators see the published ones."""
    user = request.user
    firm = rules.may_create_need(user=user) is None
    if firm:
        needs = selectors.need_list(user=user, mine=True)
        mine = True
    elif rules.may_list_needs(user=user):
        needs = selectors.need_list(user=user)
        mine = False
    else:
        raise PermissionDenied
    return tech_render(
        request,
        "need_list.html",
        {
            "needs": list(needs.order_by("-id")[:200]),
            "mine": mine,
            "can_create": firm,
        },
        tab="needs",
    )


@login_required
def need_new(request):
    if rules.may_create_need(user=request.user) is not None:
        raise PermissionDenied
    return _need_editor(request, None)


@login_required
def need_edit(request, pk: int):
    need = _need_or_404(request, pk)
    refusal = rules.may_edit_need(user=request.user, need=need)
    if answer := refused(request, refusal, "frontend:tech-need", pk):
        return answer
    return _need_editor(request, need)


def _need_editor(request, need: TechNeed | None):
    user = request.user
    initial = (
        {name: getattr(need, name) for name in forms_tech.NeedForm.base_fields} if need else None
    )
    form = forms_tech.NeedForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            # Saved and submitted together, or neither: a refused submission leaves no draft.
            with transaction.atomic():
                if need is None:
                    need = services.need_create(user=user, data=form.cleaned_data)
                else:
                    need = services.need_update(user=user, need=need, data=form.cleaned_data)
                if "submit" in request.POST:
                    services.need_submit(user=user, need=need)
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except (DomainError, DjangoValidationError) as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(
                request,
                _("需求已提交审核。") if "submit" in request.POST else _("需求草稿已保存。"),
            )
            return redirect("frontend:tech-need", pk=need.pk)
    return tech_render(
        request,
        "need_edit.html",
        {
            "form": form,
            "need": need,
            "action": (
                reverse("frontend:tech-need-edit", args=[need.pk])
                if need
                else reverse("frontend:tech-need-new")
            ),
        },
        tab="needs",
        status=400 if request.method == "POST" else 200,
    )


@login_required
def need_detail(request, pk: int):
    """The need and, for its firm, brokers and coordinators, the listings matched to it with
    why each was matched."""
    need = _need_or_404(request, pk)
    user = request.user
    sees_matches = rules.may_see_need_matches(user=user, need=need) is None
    matches = []
    if sees_matches:
        rows = selectors.matches_for_need(user=user, need=need).select_related("listing__region")
        matches = [match_view(m) for m in rows[:MATCHES_SHOWN]]
    can = {
        "edit": rules.may_edit_need(user=user, need=need) is None,
        "submit": rules.may_submit_need(user=user, need=need) is None,
        "close": rules.may_close_need(user=user, need=need) is None,
        "link": rules.may_link(user=user, need=need) is None,
    }
    return tech_render(
        request,
        "need_detail.html",
        {
            "need": need,
            "owner": rules.need_is_owner(user=user, need=need),
            "can": can,
            "sees_matches": sees_matches,
            "matches": matches,
            "cooperation": mode_labels(need.cooperation_modes),
            "S": TechNeed.Status,
        },
        tab="needs",
    )


@login_required
@require_POST
def need_action(request, pk: int, action: str):
    need = _need_or_404(request, pk)
    user = request.user
    if action == "submit":
        act(
            request,
            lambda: services.need_submit(user=user, need=need),
            success=_("需求已提交审核。"),
        )
    elif action == "close":
        act(request, lambda: services.need_close(user=user, need=need), success=_("需求已关闭。"))
    elif action == "decide":
        form = forms_tech.NeedDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择审核结论。"))
        else:
            approve = form.cleaned_data["decision"] == "approve"
            act(
                request,
                lambda: services.need_decide(
                    user=user, need=need, approve=approve, note=form.cleaned_data["note"]
                ),
                success=_("需求已发布。") if approve else _("需求已退回。"),
            )
        return redirect("frontend:tech-review")
    elif action == "link":
        # Not a number is the same as a listing that is not there (or not visible): 404.
        raw = request.POST.get("listing", "")
        if not (raw.isascii() and raw.isdigit()):
            raise Http404
        listing = TechListing.objects.for_user(user).filter(pk=int(raw)).first()
        if listing is None:
            raise Http404
        if act(
            request,
            lambda: services.inquiry_link(user=user, listing=listing, need=need),
            success=_("已撮合，意向已进入看板。"),
        ):
            return redirect("frontend:tech-pipeline")
    else:
        raise Http404
    return redirect("frontend:tech-need", pk=pk)
