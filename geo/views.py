"""The layout map pages. They serve the last good build and never wait for a new one."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from geo.map_build import layout_path, read_meta
from geo.tasks import request_map_build

PENDING_REFRESH_SECONDS = 5


def _built_file():
    """The built map in the page's language, else in the default language, else None."""
    for path in (layout_path(translation.get_language()), layout_path()):
        if path.is_file():
            return path
    return None


@require_safe
@never_cache
def layout_map(request):
    if _built_file() is None:
        # First visit after a fresh install: ask for a build and come back shortly.
        request_map_build(countdown=0)
        return render(request, "geo/map_pending.html", {"refresh_seconds": PENDING_REFRESH_SECONDS})
    meta = read_meta() or {}
    built_at = meta.get("built_at")
    return render(
        request,
        "geo/map.html",
        {
            "built_at": datetime.fromisoformat(built_at) if built_at else None,
            "counts": meta.get("counts", {}),
        },
    )


@require_safe
@xframe_options_sameorigin
def layout_map_frame(request):
    path = _built_file()
    if path is None:
        raise Http404("layout map not built yet")
    response = HttpResponse(path.read_bytes(), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
