"""The dashboard's three tables (zones, regions, flows) as pandas DataFrames with headers in the
current language, for the CSV and XLSX exports."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

from geo.analysis.figures import NO_LEVEL
from geo.analysis.frames import OUTSIDE
from geo.models import Zone
from sharing.catalogue.models import Platform


def _zone_label(row: dict) -> str:
    return row["name"] if row["code"] != OUTSIDE else _("分区外（含无位置）")


def _kind_label(kind: str) -> str:
    return str(Zone.Kind(kind).label) if kind else ""


def level_labels() -> dict[str, str]:
    return {**{k: str(v) for k, v in Platform.Level.choices}, NO_LEVEL: _("未定级")}


def kind_labels() -> dict[str, str]:
    return {k: str(v) for k, v in Platform.Kind.choices}


def _metrics(row: dict) -> dict:
    return {
        _("平台数"): row["platforms"],
        **{
            _("平台·%(kind)s") % {"kind": label}: row["platforms_by_kind"][k]
            for k, label in kind_labels().items()
        },
        **{
            _("平台·%(level)s") % {"level": label}: row["platforms_by_level"][k]
            for k, label in level_labels().items()
        },
        _("仪器数"): row["instruments"],
        _("仪器原值（万元）"): row["original_value"],
        _("预约数"): row["bookings"],
        _("机时"): row["hours"],
        _("跨地区预约数"): row["cross_region_bookings"],
        _("跨地区机时"): row["cross_region_hours"],
        _("跨地区预约占比"): row["cross_region_share_bookings"],
        _("跨地区机时占比"): row["cross_region_share_hours"],
        _("创新券使用（元）"): row["voucher_use"],
    }


def dashboard_tables(figures: dict) -> dict[str, pd.DataFrame]:
    """The three tables of the dashboard as DataFrames, headers in the current language."""
    zones = pd.DataFrame(
        [
            {
                _("代号"): row["code"],
                _("分区"): _zone_label(row),
                _("类型"): _kind_label(row["kind"]),
                _("面积（平方公里）"): row["area_km2"],
                **_metrics(row),
            }
            for row in figures["zones"]
        ]
    )
    regions = pd.DataFrame(
        [
            {
                _("代号"): row["code"],
                _("地区"): row["name"],
                **_metrics(row),
                _("对外服务机时"): row["external_hours"],
                _("共享率"): row["share_rate"],
                _("利用率"): row["utilisation"],
            }
            for row in figures["regions"]
        ]
    )
    flows = pd.DataFrame(
        [
            {
                _("需求方地区"): row["from_name"] or _("未知"),
                _("仪器所在地区"): row["to_name"] or _("未知"),
                _("跨地区"): _("是") if row["cross_region"] else _("否"),
                _("预约数"): row["bookings"],
                _("机时"): row["hours"],
            }
            for row in figures["flows"]
        ],
        columns=[_("需求方地区"), _("仪器所在地区"), _("跨地区"), _("预约数"), _("机时")],
    )
    return {"zones": zones, "regions": regions, "flows": flows}


TABLES = ("zones", "regions", "flows")
