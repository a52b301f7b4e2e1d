"""Technology exchange pages, listings: browse and search, a listing by tier with the firm's
interest and the owner's actions, the owner's editor, and the reviewer's queue.

Pages read through sharing.techmarket.selectors and write only through its services; a
service's refusal comes back as a message, or next to the field it names. What a person may
see is asked of the same selectors the API uses, so the page and the API cannot disagree.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import forms_tech
from portal.accounts.models import Role
from portal.errors import DomainError, Forbidden, RuleBroken
from sharing.techmarket import selectors, services
from sharing.techmarket.models import (
    Inquiry,
    ListingFile,
    Match,
    TechListing,
    TechNeed,
    TransferMode,
)

PAGE_SIZE = 20


# --- Shared helpers (also used by the deals pages) -------------------------------------------


def has_any(user, *roles) -> bool:
    return user.is_authenticated and (
        user.is_superuser or any(user.has_role(r) for r in (*roles, Role.ADMINISTRATOR))
    )


def tech_nav(user) -> list[dict]:
    """The exchange's own tabs, only those the person can open."""
    items = [{"key": "browse", "url": reverse("frontend:tech"), "label": _("成果检索")}]
    if not user.is_authenticated:
        return items
    if has_any(user, Role.TECHNOLOGY_OWNER):
        items.append(
            {"key": "mine", "url": reverse("frontend:tech") + "?mine=on", "label": _("本单位成果")}
        )
        items.append(
            {"key": "new", "url": reverse("frontend:tech-listing-new"), "label": _("填报成果")}
        )
    if has_any(user, Role.FIRM, Role.BROKER, Role.COORDINATOR):
        items.append(
            {"key": "needs", "url": reverse("frontend:tech-needs"), "label": _("技术需求")}
        )
    if has_any(user, Role.REVIEWER):
        items.append({"key": "review", "url": reverse("frontend:tech-review"), "label": _("审查")})
    if has_any(user, Role.BROKER, Role.COORDINATOR):
        items.append(
            {"key": "pipeline", "url": reverse("frontend:tech-pipeline"), "label": _("经纪看板")}
        )
    items.append(
        {"key": "contracts", "url": reverse("frontend:tech-contracts"), "label": _("合同登记")}
    )
    items.append(
        {"key": "services", "url": reverse("frontend:tech-services"), "label": _("中心服务")}
    )
    return items


def tech_render(request, template: str, context: dict, *, tab: str = "", status: int = 200):
    context = {"tech_nav": tech_nav(request.user), "tech_tab": tab, **context}
    return render(request, f"frontend/tech/{template}", context, status=status)


def domain_error_to_form(form, exc: Exception, *, aliases: dict | None = None) -> None:
    """Put a service's refusal next to the fields it names; what names no field of the form
    goes above it. Keeps the posted values: the form stays bound."""
    aliases = aliases or {}
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        general = [] if fields else list(exc.messages)
    else:
        fields = exc.fields or {}
        general = [exc.message]
        # A rule named after a field (signed_on, expires_on…) belongs next to that field.
        if not fields and exc.rule in form.fields:
            fields, general = {exc.rule: [exc.message]}, []
    for name, errors in fields.items():
        target = aliases.get(name, name)
        texts = [str(e) for e in errors if str(e)] or [exc.message]
        if target in form.fields:
            for text in texts:
                form.add_error(target, text)
        else:
            label = _field_label(name)
            for text in texts:
                form.add_error(None, f"{label}{text}" if label else text)
    for text in general:
        if text not in form.non_field_errors():
            form.add_error(None, text)


def _field_label(name: str) -> str:
    try:
        return f"{TechListing._meta.get_field(name).verbose_name}："
    except FieldDoesNotExist:
        return ""


def act(request, action, *, success: str) -> bool:
    """Run one service call for a button; its refusal becomes a message (Forbidden a 403)."""
    try:
        action()
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    except DjangoValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return False
    messages.success(request, success)
    return True


def _listing_or_404(request, pk: int) -> TechListing:
    try:
        return selectors.listing_get(user=request.user, pk=pk)
    except TechListing.DoesNotExist:
        raise Http404 from None


MODE_LABELS = dict(TransferMode.choices)


def transfer_labels(listing: TechListing) -> list[str]:
    return [str(MODE_LABELS.get(m, m)) for m in listing.transfer_modes]


# --- Browse ------------------------------------------------------------------------------------


def listing_list(request):
    """Public: published listings (anonymous visitors see public ones, as teasers). Pages by
    offset and one extra row, never a COUNT."""
    form = forms_tech.ListingSearchForm(request.GET or None)
    listings, has_next, page = [], False, 1
    try:
        page = max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        region = data.get("region")
        mine = bool(data.get("mine")) and request.user.is_authenticated
        qs = selectors.listing_search(
            user=request.user,
            q=data.get("q") or None,
            hightech_field=data.get("hightech_field") or None,
            industry_section=data.get("industry_section") or None,
            region=region.code if region else None,
            trl_min=data.get("trl_min"),
            trl_max=data.get("trl_max"),
            transfer_mode=data.get("transfer_mode") or None,
            mine=mine,
        )
        if not (data.get("q") or "").strip():
            qs = qs.order_by("-published_at", "-id") if not mine else qs.order_by("-id")
        rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        has_next = len(rows) > PAGE_SIZE
        listings = rows[:PAGE_SIZE]
        for listing in listings:
            listing.mode_labels = transfer_labels(listing)
    query = request.GET.copy()
    query.pop("page", None)
    member = request.user.is_authenticated
    return tech_render(
        request,
        "listing_list.html",
        {
            "form": form,
            "listings": listings,
            "member": member,
            "page": page,
            "prev_query": _page_query(query, page - 1) if page > 1 else None,
            "next_query": _page_query(query, page + 1) if has_next else None,
            "is_owner_role": has_any(request.user, Role.TECHNOLOGY_OWNER),
        },
        tab="mine" if request.GET.get("mine") else "browse",
    )


def _page_query(query, page: int) -> str:
    query = query.copy()
    query["page"] = str(page)
    return query.urlencode()


# --- One listing -------------------------------------------------------------------------------


def listing_detail(request, pk: int):
    """By tier: a teaser for anyone, the details for members, documents and contact at the
    full tier. Listings the person may not know exist are 404."""
    listing = _listing_or_404(request, pk)
    return _listing_page(request, listing)


MATCHES_SHOWN = 20


def match_view(match: Match) -> dict:
    """The score as a percentage, and the reasons' texts, strongest contribution first."""
    reasons = []
    for name, part in (match.reasons or {}).items():
        if not isinstance(part, dict):
            continue
        text = str(part.get("text") or "").strip()
        if not text:
            continue
        try:
            weight = float(part.get("score", 0)) * float(part.get("weight", 1))
        except (TypeError, ValueError):
            weight = 0.0
        reasons.append({"component": name, "text": text, "weight": weight})
    reasons.sort(key=lambda r: -r["weight"])
    return {
        "listing": match.listing,
        "need": match.need,
        "score": match.score,
        "percent": round(match.score * 100),
        "reasons": reasons,
    }


def _matched_needs(user, listing, is_owner: bool) -> list[dict] | None:
    """For the owner, brokers and coordinators: the needs matched to the listing, with why."""
    if not selectors.may_see_matches(user=user, owner=is_owner):
        return None
    rows = (
        Match.objects.filter(listing=listing, need__in=TechNeed.objects.for_user(user))
        .select_related("listing", "need__region", "need__organisation")
        .order_by("-score", "id")[:MATCHES_SHOWN]
    )
    return [match_view(m) for m in rows]


def _listing_page(request, listing, *, interest_form=None, status: int = 200):
    user = request.user
    tier = selectors.listing_tier(user=user, listing=listing)
    files = selectors.files_visible(tier=tier, files=listing.files.all())
    is_owner = (
        services.listing_is_owner(user=user, listing=listing) if user.is_authenticated else False
    )
    inquiry = None
    can_inquire = False
    if (
        user.is_authenticated
        and user.has_role(Role.FIRM)
        and user.organisation_id
        and user.organisation_id != listing.organisation_id
        and listing.status == TechListing.Status.PUBLISHED
    ):
        inquiry = (
            Inquiry.objects.filter(listing=listing, firm_id=user.organisation_id)
            .exclude(stage=Inquiry.Stage.CLOSED)
            .first()
        )
        can_inquire = inquiry is None or inquiry.nda_accepted_at is None
    reviews = list(listing.reviews.select_related("reviewer")) if tier == selectors.FULL else []
    return tech_render(
        request,
        "listing_detail.html",
        {
            "listing": listing,
            "tier": tier,
            "member": tier in (selectors.MEMBER, selectors.FULL),
            "full": tier == selectors.FULL,
            "images": [f for f in files if f.kind == ListingFile.Kind.IMAGE],
            "documents": [f for f in files if f.kind == ListingFile.Kind.DOCUMENT],
            "patents": list(listing.patents.all()) if tier != selectors.TEASER else [],
            "transfer_modes": transfer_labels(listing),
            "is_owner": is_owner,
            "reviews": reviews,
            "inquiry": inquiry,
            "can_inquire": can_inquire,
            "interest_form": interest_form or forms_tech.InterestForm(),
            "close_form": forms_tech.CloseListingForm(),
            "S": TechListing.Status,
            "is_reviewer": has_any(user, Role.REVIEWER),
            "matched_needs": _matched_needs(user, listing, is_owner)
            if user.is_authenticated
            else None,
        },
        status=status,
    )


@login_required
@require_POST
def listing_interest(request, pk: int):
    """A firm expresses interest; with the NDA accepted it sees documents and contact."""
    listing = _listing_or_404(request, pk)
    form = forms_tech.InterestForm(request.POST)
    if not form.is_valid():
        return _listing_page(request, listing, interest_form=form, status=400)
    try:
        inquiry = services.inquiry_create(
            user=request.user,
            listing=listing,
            message=form.cleaned_data["message"],
            nda_accepted=form.cleaned_data["nda_accepted"],
        )
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        domain_error_to_form(form, exc)
        return _listing_page(request, listing, interest_form=form, status=400)
    if inquiry.nda_accepted_at:
        messages.success(request, _("意向已提交，您已接受保密条款，现在可以查看文档和联系方式。"))
    else:
        messages.success(request, _("意向已提交，技术经纪人会与您联系。"))
    return redirect("frontend:tech-listing", pk=listing.pk)


@login_required
@require_POST
def listing_action(request, pk: int, action: str):
    """The owner's buttons: submit, withdraw, close."""
    listing = _listing_or_404(request, pk)
    user = request.user
    if action == "submit":
        try:
            services.listing_submit(user=user, listing=listing)
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except RuleBroken as exc:
            # Incomplete: the editor, with what is missing next to each field.
            messages.error(request, exc.message)
            form = _listing_form(listing, error=exc)
            return _editor_page(request, listing, form, _patents(listing), status=400)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已提交审查。"))
    elif action == "withdraw":
        act(
            request,
            lambda: services.listing_withdraw(user=user, listing=listing),
            success=_("已撤回为草稿。"),
        )
    elif action == "close":
        form = forms_tech.CloseListingForm(request.POST)
        form.is_valid()
        act(
            request,
            lambda: services.listing_close(
                user=user, listing=listing, transferred=form.cleaned_data.get("transferred", False)
            ),
            success=_("成果已关闭。"),
        )
    else:
        raise Http404
    return redirect("frontend:tech-listing", pk=pk)


# --- The owner's editor ------------------------------------------------------------------------


@login_required
def listing_new(request):
    if not has_any(request.user, Role.TECHNOLOGY_OWNER):
        raise PermissionDenied
    return _editor(request, None)


@login_required
def listing_edit(request, pk: int):
    listing = _listing_or_404(request, pk)
    if not (services.listing_is_owner(user=request.user, listing=listing) or has_any(request.user)):
        raise PermissionDenied
    if listing.status != TechListing.Status.DRAFT:
        messages.error(request, _("只有草稿可以修改；请先撤回或等待退回。"))
        return redirect("frontend:tech-listing", pk=pk)
    return _editor(request, listing)


KEY_POINT_ALIASES = {"key_points": "key_point_1", "file": "document"}


def _editor(request, listing: TechListing | None):
    user = request.user
    if request.method != "POST":
        return _editor_page(request, listing, _listing_form(listing), _patents(listing))

    form = forms_tech.ListingForm(request.POST, request.FILES)
    patents = forms_tech.patent_formset(request.POST)
    if not (form.is_valid() & patents.is_valid()):
        return _editor_page(request, listing, form, patents, status=400)
    data = form.listing_data()
    patent_rows = forms_tech.patents_from(patents)
    try:
        with transaction.atomic():
            if listing is None:
                listing = services.listing_create(user=user, data=data, patents=patent_rows)
            else:
                listing = services.listing_update(
                    user=user, listing=listing, data=data, patents=patent_rows
                )
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except (DomainError, DjangoValidationError) as exc:
        domain_error_to_form(form, exc, aliases=KEY_POINT_ALIASES)
        return _editor_page(request, listing, form, patents, status=400)

    # The draft is saved; files and submission may still be refused, each where it belongs.
    failed = False
    for kind in ("image", "document"):
        upload = form.cleaned_data.get(kind)
        if not upload:
            continue
        try:
            services.listing_file_add(user=user, listing=listing, upload=upload, kind=kind)
        except DomainError as exc:
            failed = True
            for text in (exc.fields or {}).get("file", [exc.message]):
                form.add_error(kind, text)
    if not failed and "submit" in request.POST:
        try:
            services.listing_submit(user=user, listing=listing)
        except DomainError as exc:
            failed = True
            domain_error_to_form(form, exc, aliases=KEY_POINT_ALIASES)
    if failed:
        messages.warning(request, _("草稿已保存，但有以下问题需要处理。"))
        listing.refresh_from_db()
        return _editor_page(request, listing, form, patents, status=400)
    if "submit" in request.POST:
        messages.success(request, _("已保存并提交审查。"))
    else:
        messages.success(request, _("草稿已保存。"))
    return redirect("frontend:tech-listing", pk=listing.pk)


def _listing_form(listing: TechListing | None, *, error=None):
    """The editor's form filled from the listing; with a service's refusal shown on it (the
    form stays unbound, so the stored values are what the fields show)."""
    form = forms_tech.ListingForm(
        initial=forms_tech.ListingForm.initial_from(listing) if listing else None
    )
    if error is not None:
        form._errors, form.cleaned_data = ErrorDict(), {}
        domain_error_to_form(form, error, aliases=KEY_POINT_ALIASES)
    return form


def _patents(listing: TechListing | None):
    return forms_tech.patent_formset(patents=listing.patents.all() if listing else ())


def _editor_page(request, listing, form, patents, *, status: int = 200):
    return tech_render(
        request,
        "listing_edit.html",
        {
            "listing": listing,
            "form": form,
            "patents": patents,
            "files": list(listing.files.all()) if listing else [],
            "action": (
                reverse("frontend:tech-listing-edit", args=[listing.pk])
                if listing
                else reverse("frontend:tech-listing-new")
            ),
        },
        tab="new" if listing is None else "mine",
        status=status,
    )


# --- The reviewer's queue ----------------------------------------------------------------------


@login_required
def review_queue(request):
    """Reviewers: listings submitted or in review (their own organisation's left out), and
    needs waiting for the light review."""
    if not request.user.has_role(Role.REVIEWER):
        raise PermissionDenied
    return tech_render(
        request,
        "review_queue.html",
        {
            "listings": list(selectors.review_queue(user=request.user)[:200]),
            "needs": list(selectors.need_review_queue(user=request.user)[:200]),
            "decision_form": forms_tech.ListingDecisionForm(),
            "S": TechListing.Status,
        },
        tab="review",
    )


@login_required
@require_POST
def review_start(request, pk: int):
    listing = _listing_or_404(request, pk)
    act(
        request,
        lambda: services.listing_review_start(user=request.user, listing=listing),
        success=_("已开始审查：%(title)s") % {"title": listing.title},
    )
    return redirect("frontend:tech-review")


@login_required
@require_POST
def review_decide(request, pk: int):
    listing = _listing_or_404(request, pk)
    form = forms_tech.ListingDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审查结论。"))
        return redirect("frontend:tech-review")
    data = form.cleaned_data
    approve = data["decision"] == "approve"
    act(
        request,
        lambda: services.listing_decide(
            user=request.user,
            listing=listing,
            decision=data["decision"],
            reason=data["reason"],
            secrecy_checked=data["secrecy_checked"],
            export_control_checked=data["export_control_checked"],
            confidentiality=(
                TechListing.Confidentiality.INTERNAL if data["members_only"] else None
            ),
        ),
        success=(_("已通过并发布：%(title)s") if approve else _("已退回修改：%(title)s"))
        % {"title": listing.title},
    )
    return redirect("frontend:tech-review")
