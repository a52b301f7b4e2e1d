from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from sharing.catalogue import rules
from sharing.catalogue.feed_import.jobs import import_jobs_visible
from sharing.catalogue.models import FeedSource


@login_required
def instrument_import(request):
    """Instrument managers and administrators: upload a feed and watch it import."""
    user = request.user
    if refusal := rules.may_import(user):
        raise PermissionDenied(refusal.message)
    # Sources are named to those who may import by them, and to nobody else.
    by_source = rules.may_import_by_source(user) is None
    return render(
        request,
        "frontend/instrument_import.html",
        {
            "jobs": import_jobs_visible(user=user).order_by("-created_at")[:10],
            "by_source": by_source,
            "sources": FeedSource.objects.all() if by_source else [],
        },
    )
