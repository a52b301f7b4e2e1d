"""The dashboard's three tables (zones, regions, flows) as pandas DataFrames with headers in the
current language, for the CSV and XLSX exports."""

from __future__ import annotations

import math

import pandas as pd
from django.utils import translation
from django.utils.translation import gettext as _

from geo.analysis.figures import NO_LEVEL
from geo.analysis.frames import OUTSIDE
from geo.models import Zone
from sharing.catalogue.models import Platform

# --- Labels (the page, the charts and the exports show the same) ---------------------------


def local_name(row: dict, key: str = "name") -> str:
    """The English name (``<key>_en``) on English pages when there is one, else the name."""
    english = row.get(f"{key}_en")
    return english if english and translation.get_language().startswith("en") else row[key]


def zone_label(row: dict, *, local: bool = False) -> str:
    """A zone's (or region's) row: its name, in the page's language when ``local``."""
    if row["code"] == OUTSIDE:
        return _("分区外（含无位置）")
    return local_name(row) if local else row["name"]


def zone_kind_label(kind: str) -> str:
    return str(Zone.Kind(kind).label) if kind else ""


def level_labels() -> dict[str, str]:
    return {**{k: str(v) for k, v in Platform.Level.choices}, NO_LEVEL: _("未定级")}


def kind_labels() -> dict[str, str]:
    return {k: str(v) for k, v in Platform.Kind.choices}


# --- Tables ----------------------------------------------------------------------------------


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
                _("分区"): zone_label(row),
                _("类型"): zone_kind_label(row["kind"]),
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


def _cell(value):
    """Plain Python values (no numpy), None for gaps; portal.spreadsheets guards the text."""
    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def table_rows(frame: pd.DataFrame):
    """A table as spreadsheet rows: the headers, then each record."""
    yield [str(c) for c in frame.columns]
    for record in frame.itertuples(index=False, name=None):
        yield [_cell(v) for v in record]
