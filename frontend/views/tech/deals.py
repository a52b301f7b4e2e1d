"""Technology exchange pages, deals: a firm's needs and their matches, the reviewer's light
review of needs, the broker's pipeline board and one inquiry, the contract register with
技术合同成交额 per region, and the centre's services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import forms_tech
from frontend.views.tech.listings import (
    MATCHES_SHOWN,
    MODE_LABELS,
    act,
    domain_error_to_form,
    has_any,
    match_view,
    tech_render,
)
from portal import spreadsheets
from portal.accounts.models import Role
from portal.errors import DomainError, Forbidden
from sharing.techmarket import selectors, services
from sharing.techmarket.models import (
    Inquiry,
    Match,
    ServiceRequest,
    TechListing,
    TechNeed,
)

St = Inquiry.Stage
# The board's columns, left to right; closed inquiries last.
BOARD = [
    St.NEW,
    St.CONTACTED,
    St.NDA_SIGNED,
    St.NEGOTIATING,
    St.CONTRACT_SIGNED,
    St.CONTRACT_REGISTERED,
    St.CLOSED,
]
BOARD_CARDS = 50


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
    if has_any(user, Role.FIRM):
        needs = selectors.need_list(user=user, mine=True)
        mine = True
    elif has_any(user, Role.BROKER, Role.COORDINATOR):
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
            "can_create": has_any(user, Role.FIRM),
        },
        tab="needs",
    )


@login_required
def need_new(request):
    if not has_any(request.user, Role.FIRM):
        raise PermissionDenied
    return _need_editor(request, None)


@login_required
def need_edit(request, pk: int):
    need = _need_or_404(request, pk)
    if not (services.need_is_owner(user=request.user, need=need) or has_any(request.user)):
        raise PermissionDenied
    if need.status != TechNeed.Status.DRAFT:
        messages.error(request, _("只有草稿可以修改；请先等待审核，退回后即可修改。"))
        return redirect("frontend:tech-need", pk=pk)
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
    owner = services.need_is_owner(user=user, need=need)
    sees_matches = selectors.may_see_matches(user=user, owner=owner)
    matches = []
    if sees_matches:
        rows = (
            Match.objects.filter(need=need, listing__in=TechListing.objects.for_user(user))
            .select_related("listing__region")
            .order_by("-score", "id")[:MATCHES_SHOWN]
        )
        matches = [match_view(m) for m in rows]
    return tech_render(
        request,
        "need_detail.html",
        {
            "need": need,
            "owner": owner,
            "sees_matches": sees_matches,
            "matches": matches,
            "cooperation": [str(MODE_LABELS.get(m, m)) for m in need.cooperation_modes],
            "can_link": has_any(user, Role.BROKER) and need.status == TechNeed.Status.PUBLISHED,
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


# --- The broker's pipeline ---------------------------------------------------------------------


@login_required
def pipeline(request):
    """Brokers (their own inquiries), coordinators and administrators (all): a board of
    stages, the oldest card of each column first."""
    user = request.user
    if not has_any(user, Role.BROKER, Role.COORDINATOR):
        raise PermissionDenied
    board = selectors.pipeline(user=user)
    now = timezone.now()
    columns = []
    for stage in BOARD:
        cards = board.get(stage, [])
        for card in cards:
            card.age_days = (now - card.created_at).days
        columns.append(
            {
                "stage": stage,
                "label": St(stage).label,
                "cards": cards[:BOARD_CARDS],
                "more": max(0, len(cards) - BOARD_CARDS),
                "count": len(cards),
            }
        )
    return tech_render(request, "pipeline.html", {"columns": columns}, tab="pipeline")


def _inquiry_or_404(request, pk: int) -> Inquiry:
    inquiry = (
        Inquiry.objects.for_user(request.user)
        .select_related("listing__organisation", "need", "firm", "broker", "created_by")
        .filter(pk=pk)
        .first()
    )
    if inquiry is None:
        raise Http404
    return inquiry


@login_required
def inquiry_detail(request, pk: int):
    """The parties of an inquiry: its stage history and what this person may do next."""
    return _inquiry_page(request, _inquiry_or_404(request, pk))


def _inquiry_page(request, inquiry: Inquiry, *, forms: dict | None = None, status: int = 200):
    user = request.user
    carrier = inquiry.broker_id == user.pk or has_any(user)
    is_firm = inquiry.created_by_id == user.pk or (
        user.organisation_id == inquiry.firm_id and user.has_role(Role.FIRM)
    )
    next_stage = services.NEXT_STAGE.get(inquiry.stage)
    closable = inquiry.stage not in (St.CLOSED, St.CONTRACT_REGISTERED, St.CONTRACT_SIGNED)
    forms = forms or {}
    contract = getattr(inquiry, "contract", None) if _has_contract(inquiry) else None
    return tech_render(
        request,
        "inquiry_detail.html",
        {
            "inquiry": inquiry,
            "transitions": list(inquiry.transitions.select_related("by")),
            "contract": contract,
            "carrier": carrier,
            "next_stage": St(next_stage) if next_stage else None,
            "can_close": closable and (carrier or is_firm),
            "can_contract": carrier and inquiry.stage == St.NEGOTIATING,
            "can_register": carrier and inquiry.stage == St.CONTRACT_SIGNED,
            "close_form": forms.get("close") or forms_tech.InquiryCloseForm(),
            "contract_form": forms.get("contract")
            or forms_tech.ContractForm(initial={"signed_on": timezone.localdate()}),
            "register_form": forms.get("register")
            or forms_tech.RegisterForm(initial={"registered_on": timezone.localdate()}),
            "St": St,
        },
        tab="pipeline",
        status=status,
    )


def _has_contract(inquiry: Inquiry) -> bool:
    try:
        inquiry.contract  # noqa: B018 - a reverse one-to-one raises when absent
    except Inquiry.contract.RelatedObjectDoesNotExist:
        return False
    return True


INQUIRY_FORMS = {
    "close": forms_tech.InquiryCloseForm,
    "contract": forms_tech.ContractForm,
    "register": forms_tech.RegisterForm,
}


@login_required
@require_POST
def inquiry_action(request, pk: int, action: str):
    inquiry = _inquiry_or_404(request, pk)
    user = request.user
    if action == "advance":
        form = forms_tech.AdvanceForm(request.POST)
        if form.is_valid():
            act(
                request,
                lambda: services.inquiry_advance(
                    user=user,
                    inquiry=inquiry,
                    to=form.cleaned_data["to"],
                    note=form.cleaned_data["note"],
                ),
                success=_("已推进到“%(stage)s”。") % {"stage": St(form.cleaned_data["to"]).label},
            )
        else:
            # The stage comes from a hidden field; only a stale or forged page gets here.
            messages.error(request, _("无效的操作，请刷新页面后重试。"))
        return redirect("frontend:tech-inquiry", pk=pk)
    if action not in INQUIRY_FORMS:
        raise Http404
    form = INQUIRY_FORMS[action](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        calls = {
            "close": lambda: services.inquiry_close(
                user=user, inquiry=inquiry, reason=data["reason"], note=data["note"]
            ),
            "contract": lambda: services.contract_record(
                user=user,
                inquiry=inquiry,
                contract_type=data["contract_type"],
                amount=data["amount"],
                signed_on=data["signed_on"],
            ),
            "register": lambda: services.contract_register(
                user=user,
                inquiry=inquiry,
                registration_number=data["registration_number"],
                registered_on=data["registered_on"],
            ),
        }
        done = {
            "close": _("意向已关闭。"),
            "contract": _("合同已登记签订。"),
            "register": _("合同已认定登记。"),
        }
        try:
            calls[action]()
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except (DomainError, DjangoValidationError) as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, done[action])
            return redirect("frontend:tech-inquiry", pk=pk)
    return _inquiry_page(request, inquiry, forms={action: form}, status=400)


# --- Contracts ---------------------------------------------------------------------------------


def _year(request) -> int | None:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@login_required
def contracts(request):
    """The register (parties see their own; brokers, coordinators, administrators all) and
    技术合同成交额 per region from registered contracts."""
    year = _year(request)
    rows = selectors.contract_register_rows(user=request.user)
    if year:
        rows = rows.filter(signed_on__year=year)
    this_year = timezone.localdate().year
    return tech_render(
        request,
        "contracts.html",
        {
            "contracts": list(rows[:500]),
            "turnover": selectors.contract_turnover_by_region(year=year),
            "year": year,
            "years": list(range(this_year, this_year - 6, -1)),
        },
        tab="contracts",
    )


@login_required
def contracts_csv(request):
    """The register as CSV, UTF-8 with a BOM so that Excel opens the Chinese text."""
    year = _year(request)
    rows = selectors.contract_register_rows(user=request.user)
    if year:
        rows = rows.filter(signed_on__year=year)
    response = HttpResponse(
        spreadsheets.csv_stream(_contract_rows(rows)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="tech-contracts-{stamp}.csv"'
    return response


def _contract_rows(contracts):
    yield [
        _("成果名称"),
        _("合同类型"),
        _("成交额（万元）"),
        _("卖方（技术输出）"),
        _("买方（技术吸纳）"),
        _("签订日期"),
        _("认定登记编号"),
        _("登记日期"),
    ]
    for c in contracts.iterator(chunk_size=500):
        yield [
            c.inquiry.listing.title,
            c.get_contract_type_display(),
            f"{c.amount:.2f}",
            c.seller.name,
            c.buyer.name,
            c.signed_on,
            c.registration_number,
            c.registered_on,
        ]


# --- The centre's services ---------------------------------------------------------------------


SERVICE_NEXT = {
    ServiceRequest.Status.REQUESTED: ServiceRequest.Status.ACCEPTED,
    ServiceRequest.Status.ACCEPTED: ServiceRequest.Status.IN_PROGRESS,
    ServiceRequest.Status.IN_PROGRESS: ServiceRequest.Status.COMPLETED,
}


@login_required
def service_list(request):
    """Anyone signed in with an organisation requests a service and follows it; brokers see
    every request and move it on."""
    user = request.user
    form = forms_tech.ServiceRequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.service_request_create(
                user=user,
                kind=data["kind"],
                description=data["description"],
                listing=data.get("listing"),
                need=data.get("need"),
            )
        except (DomainError, DjangoValidationError) as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, _("服务申请已提交。"))
            return redirect("frontend:tech-services")
    handler = has_any(user, Role.BROKER)
    requests = list(selectors.service_requests(user=user)[:200])
    for item in requests:
        nxt = SERVICE_NEXT.get(item.status)
        item.next_status = ServiceRequest.Status(nxt) if nxt else None
        item.cancellable = item.requester_id == user.pk and item.status not in (
            ServiceRequest.Status.COMPLETED,
            ServiceRequest.Status.CANCELLED,
        )
    return tech_render(
        request,
        "services.html",
        {
            "form": form,
            "requests": requests,
            "handler": handler,
            "completed": ServiceRequest.Status.COMPLETED,
        },
        tab="services",
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def service_advance(request, pk: int):
    item = selectors.service_requests(user=request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    form = forms_tech.ServiceAdvanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("无效的操作，请刷新页面后重试。"))
        return redirect("frontend:tech-services")
    to = form.cleaned_data["to"]
    act(
        request,
        lambda: services.service_request_advance(
            user=request.user, request=item, to=to, result=form.cleaned_data["result"]
        ),
        success=_("服务状态已更新为“%(status)s”。") % {"status": ServiceRequest.Status(to).label},
    )
    return redirect("frontend:tech-services")
