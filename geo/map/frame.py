"""The Content Security Policy the built layout map is served with.

Folium writes its map as inline scripts and styles: the frame gets a policy of its own that
allows exactly those blocks, by hash, and nothing else inline; images may come from the
current basemap's tile servers (geo.map.basemaps).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from geo.map import basemaps

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
