"""Builds the 一圈一廊一带 layout map with Folium and keeps the last good one on disk.

The map is built once per language into MEDIA_ROOT/maps/ (``layout.html`` for the default
language, ``layout.<lang>.html`` for the others, ``layout.json`` with when and what), each
file written to a temporary name and renamed over the old one, so a reader sees either the old
map or the new one, and a build that fails leaves the old map in place.

Rules the HTML keeps:
- every script and stylesheet is served by the portal (Folium's CDN defaults are replaced);
  only map tiles come from another host, and the layers draw without them;
- every text that reaches a popup, tooltip or label is HTML-escaped here (Folium's popups
  and tooltips put values into innerHTML);
- points are GeoJSON layers (one per platform kind), never one Marker object per point;
- coordinates are WGS-84 except with the Gaode basemap, where they are shifted to GCJ-02
  while rendering (geo.basemaps).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from html import escape
from pathlib import Path

import folium
from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from folium.template import Template

from geo import basemaps
from geo.map_data import MapData, Place, read_map_data
from geo.models import Zone
from sharing.catalogue.models import Platform

logger = logging.getLogger(__name__)

LEAFLET_JS = "vendor/leaflet-1.9.4/leaflet.js"
LEAFLET_CSS = "vendor/leaflet-1.9.4/leaflet.css"
# Above this many platforms the vectors are drawn on a canvas, which stays smooth with 10,000.
CANVAS_ABOVE = 3000

ZONE_COLOURS = {
    Zone.Kind.RING: "#d7301f",
    Zone.Kind.CORRIDOR: "#2171b5",
    Zone.Kind.BELT: "#238b45",
}
KIND_COLOURS = {
    Platform.Kind.SHARING_PLATFORM: "#7b3294",
    Platform.Kind.KEY_LABORATORY: "#0571b0",
    Platform.Kind.ENGINEERING_CENTRE: "#1a9641",
    Platform.Kind.INCUBATOR: "#e66101",
    Platform.Kind.NEW_RD_INSTITUTE: "#a6611a",
    Platform.Kind.INDUSTRIAL_PARK: "#d01c8b",
}
NODE_COLOURS = {"corridor_node": "#2171b5", "corridor_link": "#6baed6", "belt_node": "#238b45"}
FLOW_COLOUR = "#54278f"


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


def build_layout_map() -> dict:
    """Read, render every language, then replace the files. Raises on failure, old files stay."""
    started = time.perf_counter()
    data = read_map_data()
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
        },
    }
    # All pages are rendered before any file is touched: a failure above leaves the old map.
    for code, page in pages.items():
        _write_atomic(layout_path(code), page)
    _write_atomic(meta_path(), json.dumps(meta, ensure_ascii=False, indent=1))
    logger.info("layout map built in %.2f s: %s", meta["seconds"], meta["counts"])
    return meta


# --- rendering -------------------------------------------------------------------------------


def _r(value: float) -> float:
    return round(value, 5)  # about a metre


def _shift_coords(coords, shift):
    if coords and isinstance(coords[0], (int, float)):
        lon, lat = shift(coords[0], coords[1])
        return [_r(lon), _r(lat)]
    return [_shift_coords(part, shift) for part in coords]


def _point(lon: float, lat: float, shift) -> dict:
    return {"type": "Point", "coordinates": _shift_coords([lon, lat], shift)}


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _bounds(points: list[tuple[float, float]], pad: float) -> list[list[float]] | None:
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return [
        [_r(min(lats) - pad), _r(min(lons) - pad)],
        [_r(max(lats) + pad), _r(max(lons) + pad)],
    ]


def _flatten(coords) -> list[tuple[float, float]]:
    if coords and isinstance(coords[0], (int, float)):
        return [(coords[0], coords[1])]
    out: list[tuple[float, float]] = []
    for part in coords:
        out.extend(_flatten(part))
    return out


def _arc(a: tuple[float, float], b: tuple[float, float], steps: int = 32) -> list[list[float]]:
    """A gentle curve from a to b bending to the left of the direction of travel, so the two
    directions between the same cities are drawn apart."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 - dy * 0.12, (y0 + y1) / 2 + dx * 0.12
    points = []
    for i in range(steps + 1):
        t = i / steps
        x = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
        y = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
        points.append([_r(x), _r(y)])
    return points


def _place_label(place: Place) -> str:
    text = escape(f"{place.name_zh} {place.name_en}")
    if place.approximate:
        text += f" <em>（{escape(_('近似位置'))}）</em>"
    return text


def _style_element(css: str) -> folium.Element:
    return folium.Element(f"<style>{css}</style>")


MAP_CSS = """
html, body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
  system-ui, sans-serif; }
.leaflet-container { background: #eef2f3; }
.mb-legend, .mb-views { background: rgba(255,255,255,.94); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; line-height: 1.5; }
.mb-legend h4 { margin: 0 0 4px; font-size: 13px; }
.mb-legend .row { display: flex; align-items: center; gap: 6px; white-space: nowrap; }
.mb-legend .sw { display: inline-block; width: 14px; height: 10px; border: 2px solid;
  opacity: .9; }
.mb-legend .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  border: 1px solid #333; }
.mb-legend .dash { border-style: dashed; background: transparent !important; }
.mb-legend .line { display: inline-block; width: 18px; height: 0; border-top: 4px solid; }
.mb-legend .note { color: #555; max-width: 16em; white-space: normal; }
.mb-views button { display: block; width: 100%; margin: 2px 0; padding: 3px 8px; font: inherit;
  cursor: pointer; border: 1px solid #bbb; background: #fff; border-radius: 3px; }
.mb-views button:hover { background: #f0f0f0; }
.mb-plan { max-height: 14em; overflow: auto; }
.leaflet-control-layers-expanded { font-size: 12px; line-height: 1.4; padding: 4px 8px; }
"""


class _Control(folium.MacroElement):
    """A Leaflet control whose content is HTML made (and escaped) in this module."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str, css_class: str):
        super().__init__()
        self._name = "Control"
        self.html = html
        self.position = position
        self.css_class = css_class


class _Views(folium.MacroElement):
    """Buttons that fit the map to Beibei, to Mianyang, or to both (about 300 km apart)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var views = {{ this.views|tojson }};
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "mb-views leaflet-bar");
                views.forEach(function (view) {
                    var button = L.DomUtil.create("button", "mb-view", div);
                    button.type = "button";
                    button.textContent = view.label;
                    button.dataset.view = view.key;
                    L.DomEvent.on(button, "click", function (event) {
                        L.DomEvent.stop(event);
                        map.fitBounds(view.bounds);
                    });
                });
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            control.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, views: list[dict]):
        super().__init__()
        self._name = "Views"
        self.views = views


@contextmanager
def _compact_json():
    """Folium embeds GeoJSON with Jinja's ``tojson``: sorted keys, ", " and ": " separators,
    every non-ASCII character as \\uXXXX (six bytes where UTF-8 needs three for a Chinese
    character). With 10,000 platforms that is a third of the page. For this render, write
    compact JSON with characters as themselves; ``tojson`` still escapes <, >, & and '."""
    # One Jinja environment serves every Folium template (and the two controls here).
    policies = folium.GeoJson._template.environment.policies
    previous = policies["json.dumps_kwargs"]
    policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "separators": (",", ":"),
        "ensure_ascii": False,
    }
    try:
        yield
    finally:
        policies["json.dumps_kwargs"] = previous


def render_map(data: MapData, basemap: basemaps.Basemap, language: str) -> str:
    with translation.override(language):
        return _render(data, basemap)


def _render(data: MapData, basemap: basemaps.Basemap) -> str:
    shift = basemaps.shifter(basemap)
    # Region names as stored are Chinese; the English map uses their English names.
    english = (translation.get_language() or "").startswith("en")
    m = folium.Map(
        location=[29.82, 106.43],
        zoom_start=11,
        tiles=None,
        control_scale=True,
        prefer_canvas=len(data.platforms) > CANVAS_ABOVE,
    )
    # Everything from the portal: Leaflet is vendored; Folium's jQuery, Bootstrap and
    # Font-Awesome are not needed by the elements used here (no folium.Popup, no icons).
    m.default_js = [("leaflet", static(LEAFLET_JS))]
    m.default_css = [("leaflet_css", static(LEAFLET_CSS))]
    root = m.get_root()
    root.header.add_child(_style_element(MAP_CSS), name="mb_css")

    for number, tiles in enumerate(basemap.tiles):
        folium.TileLayer(
            tiles=tiles.url,
            attr=tiles.attribution,
            name=f"basemap-{number}",
            subdomains=tiles.subdomains,
            max_zoom=tiles.max_zoom,
            overlay=tiles.overlay,
            control=False,
        ).add_to(m)

    kind_labels = dict(Zone.Kind.choices)
    beibei_points: list[tuple[float, float]] = []

    # Zones: one layer each, styled apart, the plan's text in the popup.
    for zone in data.zones:
        colour = ZONE_COLOURS.get(zone.kind, "#555555")
        geometry = {
            "type": zone.geometry["type"],
            "coordinates": _shift_coords(zone.geometry["coordinates"], shift),
        }
        beibei_points.extend(_flatten(geometry["coordinates"]))
        label = f"{kind_labels.get(zone.kind, zone.kind)} {zone.name}"
        plan = escape(zone.description).replace("\n", "<br>") or escape(_("暂无规划原文"))
        feature = {
            "type": "Feature",
            "id": zone.code,
            "geometry": geometry,
            "properties": {
                "label": escape(label),
                "title": f"<strong>{escape(label)}</strong><br>{escape(zone.name_en)}",
                "plan": f'<div class="mb-plan">{plan}</div>',
            },
        }
        style = {"color": colour, "weight": 3, "fillColor": colour, "fillOpacity": 0.18}
        folium.GeoJson(
            _collection([feature]),
            name=escape(label),
            style_function=lambda _f, style=style: style,
            highlight_function=lambda _f: {"weight": 5, "fillOpacity": 0.3},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            popup=folium.GeoJsonPopup(fields=["title", "plan"], labels=False, max_width=380),
        ).add_to(m)

    # The plan's nodes: corridor nodes, its links, the belt's ends.
    node_features = []
    for place in data.nodes:
        point = _point(place.lon, place.lat, shift)
        if place.region == "beibei":
            beibei_points.append(tuple(point["coordinates"]))
        style = {"fillColor": NODE_COLOURS.get(place.kind, "#777777")}
        if place.approximate:
            style.update(dashArray="3 3", fillOpacity=0.45)
        node_features.append(
            {
                "type": "Feature",
                "geometry": point,
                "properties": {"n": _place_label(place), "style": style},
            }
        )
    folium.GeoJson(
        _collection(node_features),
        name=escape(_("规划节点（走廊节点、连接点、产业带两端）")),
        marker=folium.CircleMarker(
            radius=8, color="#222222", weight=2, fill=True, fill_opacity=0.9
        ),
        tooltip=folium.GeoJsonTooltip(fields=["n"], labels=False) if node_features else None,
    ).add_to(m)

    # Platforms: one layer per kind in the layer control, holding one GeoJSON layer for the
    # located points and one (dashed) for the approximate ones. Never a Marker per point.
    level_labels = dict(Platform.Level.choices)
    platform_kinds = dict(Platform.Kind.choices)
    approximate = escape(_("近似位置"))
    by_kind: dict[str, tuple[list[dict], list[dict]]] = {k: ([], []) for k in platform_kinds}
    for platform in data.platforms:
        approx = platform.confidence == "low"
        details = [
            escape(str(platform_kinds.get(platform.kind, platform.kind))),
            escape(str(level_labels.get(platform.level, ""))),
            escape((platform.region_en if english else "") or platform.region or ""),
            approximate if approx else "",
        ]
        by_kind.setdefault(platform.kind, ([], []))[approx].append(
            {
                "type": "Feature",
                "geometry": _point(platform.lon, platform.lat, shift),
                "properties": {
                    "n": escape(platform.name),
                    "d": "，".join(part for part in details if part),
                },
            }
        )
    for kind, (located, approximated) in by_kind.items():
        colour = KIND_COLOURS.get(kind, "#555555")
        count = len(located) + len(approximated)
        group = folium.FeatureGroup(
            name=escape(f"{platform_kinds.get(kind, kind)}（{count}）"), show=bool(count)
        )
        for features, dashed in ((located, False), (approximated, True)):
            if not features:
                continue
            marker = folium.CircleMarker(
                radius=6,
                color="#333333" if dashed else "#ffffff",
                weight=1,
                fill=True,
                fill_color=colour,
                fill_opacity=0.45 if dashed else 0.9,
                dash_array="2 2" if dashed else None,
            )
            folium.GeoJson(
                _collection(features),
                control=False,
                marker=marker,
                tooltip=folium.GeoJsonTooltip(fields=["n"], labels=False),
                popup=folium.GeoJsonPopup(fields=["n", "d"], labels=False),
            ).add_to(group)
        group.add_to(m)

    # Cross-region bookings between the cities, one curve per direction, thicker with more.
    flow_features = []
    most = max((flow.count for flow in data.flows), default=0)
    for flow in data.flows:
        source, target = data.anchors.get(flow.source), data.anchors.get(flow.target)
        if source is None or target is None:
            continue
        a = tuple(_shift_coords([source[2], source[3]], shift))
        b = tuple(_shift_coords([target[2], target[3]], shift))
        text = _("%(source)s → %(target)s：%(count)s 次跨地区预约") % {
            "source": (source[1] if english else "") or source[0],
            "target": (target[1] if english else "") or target[0],
            "count": flow.count,
        }
        flow_features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": _arc(a, b)},
                "properties": {
                    "t": escape(text),
                    "style": {
                        "color": FLOW_COLOUR,
                        "weight": round(2 + 10 * flow.count / most, 1),
                        "opacity": 0.75,
                    },
                },
            }
        )
    total = sum(flow.count for flow in data.flows)
    folium.GeoJson(
        _collection(flow_features),
        name=escape(_("跨地区预约流向（%(count)s）") % {"count": total}),
        tooltip=(
            folium.GeoJsonTooltip(fields=["t"], labels=False, sticky=True)
            if flow_features
            else None
        ),
    ).add_to(m)

    # Views: Beibei, Mianyang, both.
    mianyang_points = [
        tuple(_shift_coords([p.lon, p.lat], shift)) for p in data.places if p.region == "mianyang"
    ]
    if not beibei_points:
        beibei_points = [
            tuple(_shift_coords([p.lon, p.lat], shift)) for p in data.places if p.region == "beibei"
        ]
    beibei = _bounds(beibei_points, 0.01)
    mianyang = _bounds(mianyang_points, 0.04)
    both = _bounds(beibei_points + mianyang_points, 0.15)
    views = []
    if beibei:
        views.append({"key": "beibei", "label": _("北碚"), "bounds": beibei})
    if mianyang:
        views.append({"key": "mianyang", "label": _("绵阳"), "bounds": mianyang})
    if beibei and mianyang:
        views.append({"key": "both", "label": _("两地全景"), "bounds": both})
    m.add_child(_Views(views))
    if beibei:
        m.fit_bounds(beibei)

    m.add_child(_Control(_legend_html(data), "bottomright", "mb-legend"))
    folium.LayerControl(collapsed=False).add_to(m)
    with _compact_json():
        return root.render()


def _legend_html(data: MapData) -> str:
    kind_labels = dict(Zone.Kind.choices)
    rows = [f"<h4>{escape(_('图例'))}</h4>"]
    for zone in data.zones:
        colour = ZONE_COLOURS.get(zone.kind, "#555555")
        rows.append(
            f'<div class="row"><span class="sw" style="border-color:{colour};'
            f'background:{colour}33"></span>'
            f"{escape(str(kind_labels.get(zone.kind, zone.kind)))} {escape(zone.name)}</div>"
        )
    rows.append(
        f'<div class="row"><span class="dot" style="background:{NODE_COLOURS["corridor_node"]}">'
        f"</span>{escape(_('规划节点'))}</div>"
    )
    for kind, label in Platform.Kind.choices:
        rows.append(
            f'<div class="row"><span class="dot" style="background:{KIND_COLOURS[kind]}"></span>'
            f"{escape(str(label))}</div>"
        )
    rows.append(
        f'<div class="row"><span class="line" style="border-color:{FLOW_COLOUR}"></span>'
        f"{escape(_('跨地区预约（线越粗，次数越多）'))}</div>"
    )
    rows.append(
        '<div class="row"><span class="dot dash"></span>'
        f"{escape(_('虚线：近似位置，仅供参考'))}</div>"
    )
    return "".join(rows)


__all__ = ["build_layout_map", "layout_path", "meta_path", "read_meta", "render_map"]
