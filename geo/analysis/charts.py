"""The dashboard's charts, drawn on the server as PNG with matplotlib (Agg, no pyplot state) in
Noto Sans CJK SC, so Chinese labels need no font on the reader's machine and no script at all.

Each function takes the figures of ``geo.analysis.figures.dashboard_figures`` and returns PNG bytes;
labels are in the current language.
"""

from __future__ import annotations

import functools
import io
import logging
import textwrap
import threading

from django.utils import translation
from django.utils.translation import gettext as _
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from geo.analysis.frames import OUTSIDE
from geo.analysis.tables import kind_labels, local_name, zone_kind_label

logger = logging.getLogger(__name__)

CJK_FAMILY = "Noto Sans CJK SC"
# The portal's colours (portal.css) first, then quiet ones.
COLOURS = ["#1f4e79", "#b3261e", "#c9a227", "#2e7d5b", "#6a4c93", "#5b6776", "#8fb3d9"]
DPI = 100
WRAP = 8  # characters of a zone name per line under the bars
_lock = threading.Lock()  # rc_context changes process-wide settings


@functools.cache
def cjk_font_family() -> str | None:
    """The CJK family matplotlib knows (installed by provisioning: fonts-noto-cjk), or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in (CJK_FAMILY, "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei"):
        if name in names:
            return name
    logger.warning("no CJK font found for the dashboard charts; Chinese labels will not show")
    return None


def _rc() -> dict:
    family = cjk_font_family()
    return {
        "font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
    }


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _english() -> bool:
    return translation.get_language().startswith("en")


def _zone_name(row: dict) -> str:
    """The kind (一圈) over the name, wrapped: long zone names would run into each other."""
    if row["code"] == OUTSIDE:
        return _("分区外")
    text = local_name(row)
    name = "\n".join(textwrap.wrap(text, WRAP if not _english() else 2 * WRAP)) if text else ""
    kind = zone_kind_label(row["kind"])
    return f"{kind}\n{name}" if kind else name


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#5b6776")
    ax.set_xticks([])
    ax.set_yticks([])


def zones_chart(figures: dict) -> bytes:
    """Per zone: platforms stacked by kind; hours of bookings, same-region and cross-region."""
    rows = figures["zones"]
    names = [_zone_name(r) for r in rows]
    positions = list(range(len(rows)))
    with _lock, rc_context(_rc()):
        fig = Figure(figsize=(10, 4.6), layout="constrained")
        left, right = fig.subplots(1, 2)

        bottom = [0] * len(rows)
        for colour, (kind, label) in zip(COLOURS, kind_labels().items(), strict=False):
            values = [r["platforms_by_kind"][kind] for r in rows]
            if any(values):
                left.bar(positions, values, bottom=bottom, color=colour, label=label)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        left.set_title(_("各分区平台数（按类型）"))
        left.set_xticks(positions, names, fontsize=8)
        left.set_ylabel(_("平台数"))
        left.yaxis.set_major_locator(MaxNLocator(integer=True))
        if any(bottom):
            left.margins(y=0.3)  # headroom for the legend
            left.legend(fontsize=8, frameon=False, ncols=2)
        else:
            _empty(left, _("暂无平台"))

        local = [r["hours"] - r["cross_region_hours"] for r in rows]
        cross = [r["cross_region_hours"] for r in rows]
        right.bar(positions, local, color=COLOURS[0], label=_("本地区机时"))
        right.bar(positions, cross, bottom=local, color=COLOURS[1], label=_("跨地区机时"))
        right.set_title(_("各分区预约机时（%(year)s 年）") % {"year": figures["year"]})
        right.set_xticks(positions, names, fontsize=8)
        right.set_ylabel(_("小时"))
        if any(r["hours"] for r in rows):
            right.margins(y=0.2)
            right.legend(fontsize=8, frameon=False)
        else:
            _empty(right, _("本年度暂无已完成的预约"))
        return _png(fig)


def flows_chart(figures: dict) -> bytes:
    """Bookings and hours per direction (requester's region → instrument's region)."""
    flows = figures["flows"]
    labels = [
        f"{local_name(f, 'from_name') or _('未知')} → {local_name(f, 'to_name') or _('未知')}"
        for f in reversed(flows)
    ]
    colours = [COLOURS[1] if f["cross_region"] else COLOURS[0] for f in reversed(flows)]
    positions = list(range(len(flows)))
    with _lock, rc_context(_rc()):
        fig = Figure(figsize=(10, max(2.4, 0.6 * len(flows) + 1.4)), layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True)
        for ax, key, title in (
            (left, "bookings", _("预约数")),
            (right, "hours", _("机时（小时）")),
        ):
            values = [f[key] for f in reversed(flows)]
            if flows:
                bars = ax.barh(positions, values, color=colours)
                ax.bar_label(bars, fmt="%g", padding=3, fontsize=8)
                ax.set_yticks(positions, labels)
                if key == "bookings":
                    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                ax.margins(x=0.15)
            else:
                _empty(ax, _("本年度暂无已完成的预约"))
            ax.set_title(title)
        fig.suptitle(
            _("绵碚双向流动（需求方地区 → 仪器所在地区，%(year)s 年；红色为跨地区）")
            % {"year": figures["year"]}
        )
        return _png(fig)


CHARTS = {"zones": zones_chart, "flows": flows_chart}
