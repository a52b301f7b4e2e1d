"""Technology exchange pages, deals: the broker's pipeline board and one inquiry, carried
through its stages to a registered contract."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import forms_tech
from frontend.views.tech.common import act, domain_error_to_form, tech_render
from portal.errors import DomainError, Forbidden
from sharing.techmarket import rules, selectors, services
from sharing.techmarket.models import Inquiry

# The board's columns, left to right; closed inquiries last.
BOARD = [
    Inquiry.Stage.NEW,
    Inquiry.Stage.CONTACTED,
    Inquiry.Stage.NDA_SIGNED,
    Inquiry.Stage.NEGOTIATING,
    Inquiry.Stage.CONTRACT_SIGNED,
    Inquiry.Stage.CONTRACT_REGISTERED,
    Inquiry.Stage.CLOSED,
]
BOARD_CARDS = 50


@login_required
def pipeline(request):
    """Brokers (their own inquiries), coordinators and administrators (all): a board of
    stages, the oldest card of each column first."""
    user = request.user
    if not rules.may_see_pipeline(user=user):
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
                "label": Inquiry.Stage(stage).label,
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
    next_stage = rules.next_stage(inquiry)
    if next_stage and rules.may_advance_inquiry(user=user, inquiry=inquiry, to=next_stage):
        next_stage = None
    forms = forms or {}
    contract = getattr(inquiry, "contract", None) if _has_contract(inquiry) else None
    return tech_render(
        request,
        "inquiry_detail.html",
        {
            "inquiry": inquiry,
            "transitions": list(inquiry.transitions.select_related("by")),
            "contract": contract,
            "carrier": rules.is_carrier(user=user, inquiry=inquiry),
            "next_stage": Inquiry.Stage(next_stage) if next_stage else None,
            "can_close": rules.may_close_inquiry(user=user, inquiry=inquiry) is None,
            "can_contract": rules.may_record_contract(user=user, inquiry=inquiry) is None,
            "can_register": rules.may_register_contract(user=user, inquiry=inquiry) is None,
            "close_form": forms.get("close") or forms_tech.InquiryCloseForm(),
            "contract_form": forms.get("contract")
            or forms_tech.ContractForm(initial={"signed_on": timezone.localdate()}),
            "register_form": forms.get("register")
            or forms_tech.RegisterForm(initial={"registered_on": timezone.localdate()}),
            "St": Inquiry.Stage,
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
                success=_("已推进到“%(stage)s”。")
                % {"stage": Inquiry.Stage(form.cleaned_data["to"]).label},
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
