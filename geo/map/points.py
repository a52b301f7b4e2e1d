"""The layout map's platform points in a compact encoding, drawn by a small local script.

As GeoJSON (one Feature per platform, with its popup's HTML) a point cost ~300 bytes of the
page, 3 MB with 10,000 platforms. Here each point is five numbers and its name:

    [dx, dy, detail, dpk, name]

in one flat array per layer (a kind's located or approximate points), in id order:
``dx``/``dy`` the change of longitude/latitude from the previous point in 1e-5 degrees (about a
metre, the rounding geo.map.geometry applies), ``dpk`` the change of id, ``detail`` an index
into a table of the popup's second line (kind, level, region, "approximate": a few dozen
distinct strings), ``name`` the name. frontend/static/frontend/layoutmap.js turns them back
into circle markers with the same style, tooltip and popup as before.

Every text is HTML-escaped here, as in the rest of the map: the script puts the name, the
detail and the link into innerHTML, as Folium's popups did.
"""

from __future__ import annotations

from html import escape

import folium
from django.urls import reverse
from django.utils.translation import gettext as _
from folium.template import Template

from geo.map.data import MapData
from geo.map.geometry import shift_coords
from geo.map.style import KIND_COLOURS
from portal.accounts.models import Confidence
from sharing.catalogue.models import Platform

SCRIPT = "frontend/layoutmap.js"
_SCALE = 100_000  # 1e-5 degrees: geo.map.geometry rounds to 5 decimals
_PK = 987654321  # a stand-in id, to cut the platform page's URL around it


def _style(colour: str, dashed: bool) -> dict:
    # What folium.CircleMarker(...) wrote for each GeoJSON layer before.
    style = {
        "radius": 6,
        "color": "#333333" if dashed else "#ffffff",
        "weight": 1,
        "fill": True,
        "fillColor": colour,
        "fillOpacity": 0.45 if dashed else 0.9,
    }
    if dashed:
        style["dashArray"] = "2 2"
    return style


def encode(data: MapData, shift, english: bool) -> tuple[list[str], dict]:
    """The kinds (in layer order) and the payload the script reads."""
    level_labels = dict(Platform.Level.choices)
    kind_labels = dict(Platform.Kind.choices)
    approximate = escape(_("近似位置"))
    details: dict[str, int] = {}
    # (kind, level, region, approximate) -> index in details: a few dozen, each made once (a
    # translation and escapes per platform were half the build's time with 10,000).
    detail_of: dict[tuple, int] = {}
    # kind -> (located, approximate) -> rows (pk, x, y, detail, name)
    by_kind: dict[str, tuple[list, list]] = {k: ([], []) for k in kind_labels}
    for platform in data.platforms:
        approx = Confidence.is_approximate(platform.confidence)
        key = (platform.kind, platform.level, platform.region, platform.region_en, approx)
        detail = detail_of.get(key)
        if detail is None:
            parts = [
                escape(str(kind_labels.get(platform.kind, platform.kind))),
                escape(str(level_labels.get(platform.level, ""))),
                escape((platform.region_en if english else "") or platform.region or ""),
                approximate if approx else "",
            ]
            text = "，".join(part for part in parts if part)
            detail = detail_of[key] = details.setdefault(text, len(details))
        lon, lat = shift_coords([platform.lon, platform.lat], shift)
        by_kind.setdefault(platform.kind, ([], []))[approx].append(
            (platform.pk, round(lon * _SCALE), round(lat * _SCALE), detail, escape(platform.name))
        )
    styles: list[dict] = []
    groups = []
    for index, (kind, halves) in enumerate(by_kind.items()):
        colour = KIND_COLOURS.get(kind, "#555555")
        for dashed, rows in enumerate(halves):
            if not rows:
                continue
            styles.append(_style(colour, bool(dashed)))
            flat: list = []
            x = y = pk = 0
            for row_pk, row_x, row_y, detail, name in sorted(rows, key=lambda r: r[0]):
                flat += [row_x - x, row_y - y, detail, row_pk - pk, name]
                x, y, pk = row_x, row_y, row_pk
            groups.append([index, len(styles) - 1, flat])
    # The map is a frame of /map/: the platform's page opens in the whole tab.
    before, after = reverse("frontend:platform", args=[_PK]).split(str(_PK))
    payload = {
        "d": list(details),
        "s": styles,
        "g": groups,
        "l": [escape(before), escape(after), escape(_("平台详情与仪器"))],
    }
    return list(by_kind), payload


def decode(payload: dict) -> list[dict]:
    """The points back from a payload, as the script reads them (for tests and checks)."""
    points = []
    for index, style, flat in payload["g"]:
        x = y = pk = 0
        for i in range(0, len(flat), 5):
            x, y, pk = x + flat[i], y + flat[i + 1], pk + flat[i + 3]
            points.append(
                {
                    "group": index,
                    "style": payload["s"][style],
                    "lon": x / _SCALE,
                    "lat": y / _SCALE,
                    "pk": pk,
                    "name": flat[i + 4],
                    "detail": payload["d"][flat[i + 2]],
                }
            )
    return points


class PlatformPoints(folium.MacroElement):
    """Hands the payload and the kinds' layer groups to layoutmap.js (loaded by the page)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        mbPlatformPoints([{{ this.layer_names|join(", ") }}], {{ this.payload|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, layers: list[folium.FeatureGroup], payload: dict):
        super().__init__()
        self._name = "PlatformPoints"
        self.layer_names = [layer.get_name() for layer in layers]
        self.payload = payload
