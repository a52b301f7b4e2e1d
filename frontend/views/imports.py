from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from portal.accounts.models import Role
from sharing.catalogue.feed_import.jobs import may_import_by_source
from sharing.catalogue.models import FeedSource, ImportJob


@login_required
def instrument_import(request):
    """Instrument managers and administrators: upload a feed and watch it import."""
    user = request.user
    if not (user.has_role(Role.INSTRUMENT_MANAGER) or user.has_role(Role.ADMINISTRATOR)):
        raise PermissionDenied
    jobs = (
        ImportJob.objects.all()
        if user.has_role(Role.ADMINISTRATOR)
        else (ImportJob.objects.filter(created_by=user))
    )
    return render(
        request,
        "frontend/instrument_import.html",
        {
            "jobs": jobs.order_by("-created_at")[:10],
            # Sources are named to those who may import by them, and to nobody else.
            "by_source": may_import_by_source(user),
            "sources": FeedSource.objects.all() if may_import_by_source(user) else [],
        },
    )
