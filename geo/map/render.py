"""The layout map as one HTML page, drawn with Folium from what geo.map.data read.

Rules the HTML keeps:
- every script and stylesheet is served by the portal (Folium's CDN defaults are replaced);
  only map tiles come from another host, and the layers draw without them;
- every text that reaches a popup, tooltip or label is HTML-escaped here (Folium's popups
  and tooltips put values into innerHTML);
- platforms are points in a compact encoding (geo.map.points) drawn as circle markers by a
  local script, never one Marker object or one GeoJSON Feature per point;
- coordinates are WGS-84 except with the Gaode basemap, where they are shifted to GCJ-02
  while rendering (geo.map.basemaps).
"""

from __future__ import annotations

from html import escape

import folium
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _

from geo.map import basemaps, points
from geo.map import geometry as shapes
from geo.map.controls import Control, MetricScale, Views, compact_json, style_element
from geo.map.data import MapData, Place
from geo.map.style import (
    FLOW_COLOUR,
    MAP_CSS,
    NODE_COLOURS,
    ZONE_COLOURS,
    legend_html,
)
from geo.models import Zone
from sharing.catalogue.models import Platform

LEAFLET_JS = "vendor/leaflet-1.9.4/leaflet.js"
LEAFLET_CSS = "vendor/leaflet-1.9.4/leaflet.css"
# Above this many platforms the vectors are drawn on a canvas, which stays smooth with 10,000.
CANVAS_ABOVE = 3000


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
        control_scale=False,  # MetricScale below: kilometres only
        prefer_canvas=len(data.platforms) > CANVAS_ABOVE,
    )
    # Everything from the portal: Leaflet is vendored; Folium's jQuery, Bootstrap and
    # Font-Awesome are not needed by the elements used here (no folium.Popup, no icons).
    m.default_js = [("leaflet", static(LEAFLET_JS)), ("mb_points", static(points.SCRIPT))]
    m.default_css = [("leaflet_css", static(LEAFLET_CSS))]
    root = m.get_root()
    root.header.add_child(style_element(MAP_CSS), name="mb_css")
    m.add_child(MetricScale())

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

    beibei_points = _add_zones(m, data, shift)
    beibei_points += _add_nodes(m, data, shift)
    _add_platforms(m, data, shift, english)
    _add_flows(m, data, shift, english)
    _add_views(m, data, shift, beibei_points)

    m.add_child(Control(legend_html(data), "bottomright", "mb-legend"))
    folium.LayerControl(collapsed=False).add_to(m)
    with compact_json():
        return root.render()


def _add_zones(m: folium.Map, data: MapData, shift) -> list[tuple[float, float]]:
    """Zones: one layer each, styled apart, the plan's text in the popup. Returns the points
    they are drawn with (all in Beibei)."""
    kind_labels = dict(Zone.Kind.choices)
    points: list[tuple[float, float]] = []
    for zone in data.zones:
        colour = ZONE_COLOURS.get(zone.kind, "#555555")
        geometry = {
            "type": zone.geometry["type"],
            "coordinates": shapes.shift_coords(zone.geometry["coordinates"], shift),
        }
        points.extend(shapes.flatten(geometry["coordinates"]))
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
            shapes.collection([feature]),
            name=escape(label),
            style_function=lambda _f, style=style: style,
            highlight_function=lambda _f: {"weight": 5, "fillOpacity": 0.3},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            popup=folium.GeoJsonPopup(fields=["title", "plan"], labels=False, max_width=380),
        ).add_to(m)
    return points


def _place_label(place: Place) -> str:
    text = escape(f"{place.name_zh} {place.name_en}")
    if place.approximate:
        text += f" <em>（{escape(_('近似位置'))}）</em>"
    return text


def _add_nodes(m: folium.Map, data: MapData, shift) -> list[tuple[float, float]]:
    """The plan's nodes: corridor nodes, its links, the belt's ends. Returns Beibei's."""
    beibei_points = []
    node_features = []
    for place in data.nodes:
        point = shapes.point(place.lon, place.lat, shift)
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
        shapes.collection(node_features),
        name=escape(_("规划节点（走廊节点、连接点、产业带两端）")),
        marker=folium.CircleMarker(
            radius=8, color="#222222", weight=2, fill=True, fill_opacity=0.9
        ),
        tooltip=folium.GeoJsonTooltip(fields=["n"], labels=False) if node_features else None,
    ).add_to(m)
    return beibei_points


def _add_platforms(m: folium.Map, data: MapData, shift, english: bool) -> None:
    """One layer per kind in the layer control; its points (located ones, and dashed the
    approximate ones) in the compact encoding of geo.map.points, drawn by layoutmap.js.
    Never a Marker per point, nor a GeoJSON Feature per point in the page."""
    platform_kinds = dict(Platform.Kind.choices)
    kinds, payload = points.encode(data, shift, english)
    counts = {kind: 0 for kind in kinds}
    for platform in data.platforms:
        counts[platform.kind] += 1
    groups = []
    for kind in kinds:
        group = folium.FeatureGroup(
            name=escape(f"{platform_kinds.get(kind, kind)}（{counts[kind]}）"),
            show=bool(counts[kind]),
        )
        group.add_to(m)
        groups.append(group)
    m.add_child(points.PlatformPoints(groups, payload))


def _add_flows(m: folium.Map, data: MapData, shift, english: bool) -> None:
    """The year's completed cross-region bookings between the cities, one curve per direction,
    thicker with more, ending in an arrowhead at the instrument's city."""
    flow_features = []
    most = max((flow.count for flow in data.flows), default=0)
    for flow in data.flows:
        source, target = data.anchors.get(flow.source), data.anchors.get(flow.target)
        if source is None or target is None:
            continue
        a = tuple(shapes.shift_coords([source[2], source[3]], shift))
        b = tuple(shapes.shift_coords([target[2], target[3]], shift))
        text = _(
            "%(source)s → %(target)s：%(year)s 年 %(count)s 次跨地区预约（已完成），%(hours)s 机时"
        ) % {
            "source": (source[1] if english else "") or source[0],
            "target": (target[1] if english else "") or target[0],
            "year": data.year,
            "count": flow.count,
            "hours": f"{flow.hours:g}",
        }
        line = shapes.arc(a, b)
        style = {"color": FLOW_COLOUR, "weight": round(2 + 10 * flow.count / most, 1)}
        flow_features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {"t": escape(text), "style": {**style, "opacity": 0.75}},
            }
        )
        flow_features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": shapes.arrowhead(line)},
                "properties": {
                    "t": escape(text),
                    "style": {
                        "color": FLOW_COLOUR,
                        "weight": 1,
                        "fillColor": FLOW_COLOUR,
                        "fillOpacity": 0.9,
                    },
                },
            }
        )
    total = sum(flow.count for flow in data.flows)
    folium.GeoJson(
        shapes.collection(flow_features),
        name=escape(
            _("跨地区预约流向（%(year)s 年，%(count)s 次）") % {"year": data.year, "count": total}
        ),
        tooltip=(
            folium.GeoJsonTooltip(fields=["t"], labels=False, sticky=True)
            if flow_features
            else None
        ),
    ).add_to(m)


def _add_views(m: folium.Map, data: MapData, shift, beibei_points: list) -> None:
    """The buttons for Beibei, Mianyang and both, and the first view (Beibei)."""

    def places_in(region: str) -> list[tuple[float, float]]:
        return [
            tuple(shapes.shift_coords([p.lon, p.lat], shift))
            for p in data.places
            if p.region == region
        ]

    mianyang_points = places_in("mianyang")
    if not beibei_points:
        beibei_points = places_in("beibei")
    beibei = shapes.bounds(beibei_points, 0.01)
    mianyang = shapes.bounds(mianyang_points, 0.04)
    both = shapes.bounds(beibei_points + mianyang_points, 0.15)
    views = []
    if beibei:
        views.append({"key": "beibei", "label": _("北碚"), "bounds": beibei})
    if mianyang:
        views.append({"key": "mianyang", "label": _("绵阳"), "bounds": mianyang})
    if beibei and mianyang:
        views.append({"key": "both", "label": _("两地全景"), "bounds": both})
    m.add_child(Views(views))
    if beibei:
        m.fit_bounds(beibei)
