"""The layout map's look: the colours of zones, nodes, platform kinds and flows, the page's
style sheet and the legend (HTML escaped here; it goes into innerHTML)."""

from __future__ import annotations

from html import escape

from django.utils.translation import gettext as _

from geo.map.data import MapData, flow_definitions
from geo.models import Zone
from sharing.catalogue.models import Platform

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


def legend_html(data: MapData) -> str:
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
    # What the flows count, the same words as under the dashboard's figures.
    total = sum(flow.count for flow in data.flows)
    rows.append(
        '<div class="note mb-flow-count">'
        + escape(
            _("%(year)s 年 %(count)s 次跨地区预约，箭头指向仪器所在地区。")
            % {"year": data.year, "count": total}
        )
        + "</div>"
    )
    rows.extend(
        f'<div class="note mb-definition">{escape(text)}</div>' for text in flow_definitions()
    )
    rows.append(
        '<div class="row"><span class="dot dash"></span>'
        f"{escape(_('虚线：近似位置，仅供参考'))}</div>"
    )
    return "".join(rows)
