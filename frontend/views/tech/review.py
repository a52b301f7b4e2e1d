"""Technology exchange pages, review: the reviewer's queue of listings and needs, and the
secrecy and export-control decision on a listing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import forms_tech
from frontend.views.tech.common import act, tech_render
from frontend.views.tech.listings import listing_or_404
from sharing.techmarket import rules, selectors, services
from sharing.techmarket.models import TechListing


@login_required
def review_queue(request):
    """Reviewers: listings submitted or in review (their own organisation's left out), and
    needs waiting for the light review."""
    if rules.may_see_review_queue(user=request.user) is not None:
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
    listing = listing_or_404(request, pk)
    act(
        request,
        lambda: services.listing_review_start(user=request.user, listing=listing),
        success=_("已开始审查：%(title)s") % {"title": listing.title},
    )
    return redirect("frontend:tech-review")


@login_required
@require_POST
def review_decide(request, pk: int):
    listing = listing_or_404(request, pk)
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
