"""Technology exchange pages, listings: browse and search, a listing by tier with the firm's
interest and the owner's actions, and the owner's editor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import forms_tech
from frontend.views.tech.common import (
    MATCHES_SHOWN,
    PAGE_SIZE,
    act,
    domain_error_to_form,
    match_view,
    mode_labels,
    refused,
    tech_render,
)
from portal.errors import DomainError, Forbidden, RuleBroken
from sharing.techmarket import rules, selectors, services
from sharing.techmarket.models import Inquiry, ListingFile, TechListing


def listing_or_404(request, pk: int) -> TechListing:
    try:
        return selectors.listing_get(user=request.user, pk=pk)
    except TechListing.DoesNotExist:
        raise Http404 from None


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
            listing.mode_labels = mode_labels(listing.transfer_modes)
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
            "is_owner_role": rules.may_create_listing(user=request.user) is None,
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
    listing = listing_or_404(request, pk)
    return _listing_page(request, listing)


def _matched_needs(user, listing) -> list[dict] | None:
    """For the owner, brokers and coordinators: the needs matched to the listing, with why."""
    if rules.may_see_listing_matches(user=user, listing=listing) is not None:
        return None
    rows = selectors.matches_for_listing(user=user, listing=listing).select_related(
        "need__region", "need__organisation"
    )
    return [match_view(m) for m in rows[:MATCHES_SHOWN]]


def _inquiry_of_firm(user, listing) -> Inquiry | None:
    """The live inquiry of the person's firm on the listing, when it may inquire at all."""
    if rules.may_inquire(user=user, listing=listing) is not None:
        return None
    return (
        Inquiry.objects.filter(listing=listing, firm_id=user.organisation_id)
        .exclude(stage=Inquiry.Stage.CLOSED)
        .first()
    )


def _allowed(refusal) -> bool:
    return refusal is None


def _listing_page(request, listing, *, interest_form=None, status: int = 200):
    user = request.user
    tier = rules.listing_tier(user=user, listing=listing)
    files = rules.files_visible(tier=tier, files=listing.files.all())
    inquiry = _inquiry_of_firm(user, listing)
    # A firm may inquire; once it has, what is left is to accept the confidentiality terms.
    can_inquire = _allowed(rules.may_inquire(user=user, listing=listing)) and (
        inquiry is None or inquiry.nda_accepted_at is None
    )
    reviews = list(listing.reviews.select_related("reviewer")) if tier == rules.FULL else []
    can = {
        "edit": _allowed(rules.may_edit_listing(user=user, listing=listing)),
        "submit": _allowed(rules.may_submit_listing(user=user, listing=listing)),
        "withdraw": _allowed(rules.may_withdraw_listing(user=user, listing=listing)),
        "close": _allowed(rules.may_close_listing(user=user, listing=listing)),
        "review": _allowed(rules.may_start_review(user=user, listing=listing))
        or _allowed(rules.may_decide_listing(user=user, listing=listing)),
    }
    return tech_render(
        request,
        "listing_detail.html",
        {
            "listing": listing,
            "tier": tier,
            "member": tier in (rules.MEMBER, rules.FULL),
            "full": tier == rules.FULL,
            "images": [f for f in files if f.kind == ListingFile.Kind.IMAGE],
            "documents": [f for f in files if f.kind == ListingFile.Kind.DOCUMENT],
            "patents": list(listing.patents.all()) if tier != rules.TEASER else [],
            "transfer_modes": mode_labels(listing.transfer_modes),
            "is_owner": rules.listing_is_owner(user=user, listing=listing),
            "can": can,
            "reviews": reviews,
            "inquiry": inquiry,
            "can_inquire": can_inquire,
            "interest_form": interest_form or forms_tech.InterestForm(),
            "close_form": forms_tech.CloseListingForm(),
            "S": TechListing.Status,
            "matched_needs": _matched_needs(user, listing),
        },
        status=status,
    )


@login_required
@require_POST
def listing_interest(request, pk: int):
    """A firm expresses interest; with the NDA accepted it sees documents and contact."""
    listing = listing_or_404(request, pk)
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
    listing = listing_or_404(request, pk)
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
    if rules.may_create_listing(user=request.user) is not None:
        raise PermissionDenied
    return _editor(request, None)


@login_required
def listing_edit(request, pk: int):
    listing = listing_or_404(request, pk)
    refusal = rules.may_edit_listing(user=request.user, listing=listing)
    if answer := refused(request, refusal, "frontend:tech-listing", pk):
        return answer
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
