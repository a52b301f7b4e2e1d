"""The layout map pages. They serve the last good build and never wait for a new one."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from geo.map.build import built_file, read_meta
from geo.map.frame import frame_policy
from geo.map.tasks import request_map_build
from geo.rules import may_see_dashboard

PENDING_REFRESH_SECONDS = 5


@require_safe
@never_cache
def layout_map(request):
    if built_file(translation.get_language()) is None:
        # First visit after a fresh install: ask for a build and come back shortly.
        request_map_build(countdown=0)
        return render(
            request, "frontend/map_pending.html", {"refresh_seconds": PENDING_REFRESH_SECONDS}
        )
    meta = read_meta() or {}
    built_at = meta.get("built_at")
    return render(
        request,
        "frontend/map.html",
        {
            "built_at": datetime.fromisoformat(built_at) if built_at else None,
            "counts": meta.get("counts", {}),
            "may_see_dashboard": request.user.is_authenticated
            and may_see_dashboard(request.user) is None,
        },
    )


@require_safe
@xframe_options_sameorigin
def layout_map_frame(request):
    path = built_file(translation.get_language())
    if path is None:
        raise Http404("layout map not built yet")
    html = path.read_bytes()
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    # Folium writes its map as inline scripts and styles: this page gets a policy of its own
    # that allows exactly those blocks, by hash, and nothing else inline.
    response["Content-Security-Policy"] = frame_policy(html, key=(str(path), len(html)))
    return response
