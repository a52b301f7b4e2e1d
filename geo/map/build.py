"""Builds the 一圈一廊一带 layout map and keeps the last good one on disk.

The map is built once per language into MEDIA_ROOT/maps/ (``layout.html`` for the default
language, ``layout.<lang>.html`` for the others, ``layout.json`` with when and what), each
file written to a temporary name and renamed over the old one, so a reader sees either the old
map or the new one, and a build that fails leaves the old map in place.

The package: data.py reads what the map shows, render.py draws it with Folium (geometry.py,
style.py, controls.py, basemaps.py; the platforms in points.py's compact encoding, drawn by
frontend/static/frontend/layoutmap.js), frame.py is the policy the built page is served with,
tasks.py asks for builds (debounced) and runs them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from geo.map import basemaps
from geo.map.data import read_map_data

logger = logging.getLogger(__name__)

# --- where the files live ------------------------------------------------------------------


def maps_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "maps"


def layout_path(language: str | None = None) -> Path:
    language = (language or settings.LANGUAGE_CODE).lower()
    if language == settings.LANGUAGE_CODE.lower():
        return maps_dir() / "layout.html"
    return maps_dir() / f"layout.{language}.html"


def meta_path() -> Path:
    return maps_dir() / "layout.json"


def read_meta() -> dict | None:
    try:
        return json.loads(meta_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def built_file(language: str | None) -> Path | None:
    """The built map in ``language``, else in the default language, else None."""
    for path in (layout_path(language), layout_path()):
        if path.is_file():
            return path
    return None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # a public web page, read by the web server
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- the build -------------------------------------------------------------------------------


def render_map(data, basemap, language: str) -> str:
    """geo.map.render, imported at the first build: Folium takes about a second to import, which
    every web worker and every `make run` paid for on start (through the map views and the
    checks in demo.prepare) without building anything."""
    from geo.map.render import render_map as render

    return render(data, basemap, language)


def build_layout_map(year: int | None = None) -> dict:
    """Read, render every language, then replace the files. Raises on failure, old files stay.
    The flows are those of ``year``, this year by default."""
    started = time.perf_counter()
    data = read_map_data(year)
    basemap = basemaps.current()
    pages = {code: render_map(data, basemap, code) for code, _name in settings.LANGUAGES}
    by_kind: dict[str, int] = {}
    for platform in data.platforms:
        by_kind[platform.kind] = by_kind.get(platform.kind, 0) + 1
    meta = {
        "built_at": timezone.now().isoformat(timespec="seconds"),
        "basemap": basemap.name,
        "seconds": round(time.perf_counter() - started, 3),
        "bytes": {code: len(page.encode()) for code, page in pages.items()},
        "counts": {
            "zones": len(data.zones),
            "nodes": len(data.nodes),
            "platforms": len(data.platforms),
            "platforms_by_kind": by_kind,
            "cross_region_bookings": sum(flow.count for flow in data.flows),
            "cross_region_hours": round(sum(flow.hours for flow in data.flows), 2),
        },
        "year": data.year,
    }
    # All pages are rendered before any file is touched: a failure above leaves the old map.
    for code, page in pages.items():
        _write_atomic(layout_path(code), page)
    _write_atomic(meta_path(), json.dumps(meta, ensure_ascii=False, indent=1))
    logger.info("layout map built in %.2f s: %s", meta["seconds"], meta["counts"])
    return meta
