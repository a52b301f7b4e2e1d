"""The layout map pages. They serve the last good build and never wait for a new one."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from geo import basemaps
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
    html = path.read_bytes()
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    # Folium writes its map as inline scripts and styles: this page gets a policy of its own
    # that allows exactly those blocks, by hash, and nothing else inline.
    response["Content-Security-Policy"] = frame_policy(html, key=(str(path), len(html)))
    return response


_INLINE = re.compile(rb"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)


def _inline_hashes(html: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """sha256 sources for each inline <script> (without src) and <style> block, as CSP
    compares them: over the exact text between the tags."""
    scripts, styles = [], []
    for match in _INLINE.finditer(html):
        tag, attributes, body = match.group(1).lower(), match.group(2), match.group(3)
        if tag == b"script" and re.search(rb"\bsrc\s*=", attributes):
            continue
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        (scripts if tag == b"script" else styles).append(f"'sha256-{digest}'")
    return tuple(dict.fromkeys(scripts)), tuple(dict.fromkeys(styles))


# The built files change a few times a day; their hashes are kept per file, size and content
# digest so a page view costs one sha256 of the file, not a parse.
_policies: dict[tuple, str] = {}


def tile_sources() -> list[str]:
    """The current basemap's tile servers as CSP sources ({s} subdomains as a wildcard)."""
    sources = []
    for tiles in basemaps.current().tiles:
        parts = urlsplit(tiles.url)
        host = parts.netloc
        if "{s}" in host:
            host = "*." + host.split(".", 1)[1]
        sources.append(f"{parts.scheme}://{host}")
    return sorted(set(sources))


def frame_policy(html: bytes, *, key: tuple = ()) -> str:
    images = tuple(tile_sources())
    cache_key = (*key, images, hashlib.sha256(html).digest())
    policy = _policies.get(cache_key)
    if policy is None:
        if len(_policies) > 16:
            _policies.clear()
        policy = _policies[cache_key] = _frame_policy(html, images)
    return policy


def _frame_policy(html: bytes, tile_hosts: tuple[str, ...]) -> str:
    scripts, styles = _inline_hashes(html)
    images = " ".join(["'self'", "data:", *tile_hosts])
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", *scripts]),
        " ".join(["style-src 'self'", *styles]),
        # Leaflet's popups, tooltips and the legend carry style="..." attributes.
        "style-src-attr 'unsafe-inline'",
        f"img-src {images}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'none'",
        # Shown inside /map/ on this site only (X-Frame-Options: SAMEORIGIN says the same).
        "frame-ancestors 'self'",
    ]
    return "; ".join(directives)
