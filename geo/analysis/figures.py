"""The dashboard's figures for one year, per zone, per region, per flow and in total, from the
frames of geo.analysis.frames (definitions: geo.analysis), cached ten minutes per year."""

from __future__ import annotations

import logging
import math

import pandas as pd
from django.core.cache import cache

from geo.analysis.frames import OUTSIDE, in_zones, read_frames
from geo.models import Zone
from portal.accounts.models import Region
from sharing.bookings.selectors import yearly_base_hours
from sharing.catalogue.models import Platform

logger = logging.getLogger(__name__)

# UTM 48N: metres in both Beibei and Mianyang.
METRIC = "EPSG:32648"
CACHE_SECONDS = 10 * 60
CACHE_VERSION = 1
UNKNOWN_REGION = "unknown"
NO_LEVEL = "none"


# --- Figures -------------------------------------------------------------------------------


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _num(value, digits: int = 2) -> float:
    value = float(value or 0)
    return 0.0 if math.isnan(value) else round(value, digits)


def _usage(b: pd.DataFrame, v: pd.DataFrame) -> dict:
    """Bookings, hours, cross-region share and voucher use of some bookings and the voucher
    entries of the same group."""
    cross = b[b["cross"]]
    n, hours = int(b["bookings"].sum()), float(b["hours"].sum())
    n_cross, hours_cross = int(cross["bookings"].sum()), float(cross["hours"].sum())
    used = -float(v["net"].sum())
    return {
        "bookings": n,
        "hours": _num(hours),
        "cross_region_bookings": n_cross,
        "cross_region_hours": _num(hours_cross),
        "cross_region_share_bookings": _share(n_cross, n),
        "cross_region_share_hours": _share(round(hours_cross, 6), round(hours, 6)),
        "voucher_use": _num(used) + 0.0,  # never -0.0
    }


def _platform_counts(platforms: pd.DataFrame) -> dict:
    by_kind = platforms["kind"].value_counts()
    by_level = platforms["level"].replace("", NO_LEVEL).value_counts()
    return {
        "platforms": len(platforms),
        "platforms_by_kind": {k: int(by_kind.get(k, 0)) for k in Platform.Kind.values},
        "platforms_by_level": {
            k: int(by_level.get(k, 0)) for k in [*Platform.Level.values, NO_LEVEL]
        },
    }


def _instrument_figures(instruments: pd.DataFrame) -> dict:
    return {
        "instruments": len(instruments),
        "original_value": _num(instruments["original_value"].fillna(0).astype(float).sum()),
    }


def _overlaps(zones) -> dict[str, list[dict]]:
    """For each zone, the zones it shares ground with (more than a touch): what lies there
    counts in both, so the page says so."""
    metric = zones.set_index("code").geometry.to_crs(METRIC)
    names = {z.code: (z.name, z.name_en) for z in zones.itertuples()}
    found: dict[str, list[dict]] = {}
    for code, shape in metric.items():
        for other, other_shape in metric.items():
            if other != code and shape.intersection(other_shape).area > 1.0:
                name, name_en = names[other]
                found.setdefault(code, []).append({"code": other, "name": name, "name_en": name_en})
    return found


def compute(year: int) -> dict:
    """The dashboard's figures for one year (no cache)."""
    frames = read_frames(year)
    zones = frames["zones"]
    regions = {r.pk: r for r in Region.objects.all()}
    region_code = {pk: r.code for pk, r in regions.items()}

    bookings = frames["bookings"]
    bookings["requester_region_id"] = bookings["requester_region_id"].astype("Int64")
    for column, duration in (("hours", "duration"), ("external_hours", "external")):
        bookings[column] = (
            pd.to_timedelta(bookings[duration]).dt.total_seconds().fillna(0.0) / 3600.0
        )
    bookings["region_id"] = bookings["region_id"].astype("Int64")
    bookings["cross"] = (
        bookings["requester_region_id"].notna()
        & (bookings["requester_region_id"] != bookings["region_id"])
    ).astype(bool)
    vouchers = frames["vouchers"]
    vouchers["net"] = vouchers["net"].astype(float)

    platforms_z = in_zones(frames["platforms"], zones)
    instruments_z = in_zones(frames["instruments"], zones)
    area = zones.set_index("code").geometry.to_crs(METRIC).area / 1_000_000

    overlaps = _overlaps(zones)
    zone_rows = []
    # In the plan's order: 一圈, 一廊, 一带.
    order = {kind: i for i, kind in enumerate(Zone.Kind.values)}
    zone_keys = sorted(
        ((z.code, z.kind, z.name, z.name_en) for z in zones.itertuples()),
        key=lambda z: (order.get(z[1], len(order)), z[0]),
    )
    for code, kind, name, name_en in [*zone_keys, (OUTSIDE, "", "", "")]:
        p = platforms_z[platforms_z["zone"] == code]
        i = instruments_z[instruments_z["zone"] == code]
        row = {
            "code": code,
            "kind": kind,
            "name": name,
            "name_en": name_en,
            "area_km2": _num(area.get(code), 1) if code != OUTSIDE else None,
            "overlaps": overlaps.get(code, []),
            **_platform_counts(p),
            **_instrument_figures(i),
            **_usage(
                bookings[bookings["instrument_id"].isin(i["id"])],
                vouchers[vouchers["instrument_id"].isin(i["id"])],
            ),
        }
        zone_rows.append(row)

    instruments_all = frames["instruments"]
    base = float(yearly_base_hours())
    region_rows = []
    for pk, region in regions.items():
        p = frames["platforms"][frames["platforms"]["region_id"] == pk]
        i = instruments_all[instruments_all["region_id"] == pk]
        region_bookings = bookings[bookings["region_id"] == pk]
        usage = _usage(region_bookings, vouchers[vouchers["region_id"] == pk])
        # The sharing indicators' share rate and utilisation (sharing.bookings.indicators,
        # same expressions), rounded as there: from hours to the hundredth.
        external = _num(region_bookings["external_hours"].sum())
        region_rows.append(
            {
                "code": region.code,
                "name": region.name,
                "name_en": region.name_en,
                **_platform_counts(p),
                **_instrument_figures(i),
                **usage,
                "external_hours": external,
                "share_rate": _share(external, usage["hours"]),
                "utilisation": _share(usage["hours"], base * len(i)),
            }
        )
    flows = []
    grouped = (
        bookings.assign(requester_region_id=bookings["requester_region_id"].fillna(-1))
        .groupby(["requester_region_id", "region_id"], dropna=False)[["bookings", "hours"]]
        .sum()
    )
    for (source, target), values in grouped.iterrows():
        source = int(source)
        flows.append(
            {
                "from": region_code.get(source, UNKNOWN_REGION),
                "from_name": regions[source].name if source in regions else "",
                "from_name_en": regions[source].name_en if source in regions else "",
                "to": region_code.get(int(target), UNKNOWN_REGION),
                "to_name": regions[int(target)].name if int(target) in regions else "",
                "to_name_en": regions[int(target)].name_en if int(target) in regions else "",
                "bookings": int(values["bookings"]),
                "hours": _num(values["hours"]),
                "cross_region": source in regions and source != int(target),
            }
        )
    flows.sort(key=lambda f: (not f["cross_region"], f["from"], f["to"]))

    return {
        "year": year,
        "zones": zone_rows,
        "regions": region_rows,
        "flows": flows,
        "totals": {
            "platforms": len(frames["platforms"]),
            "instruments": len(instruments_all),
            **_usage(bookings, vouchers),
        },
    }


def _cache_key(year: int) -> str:
    return f"geo:dashboard:v{CACHE_VERSION}:{year}"


def dashboard_figures(year: int) -> dict:
    """The figures for one year, from the cache when they were computed in the last ten
    minutes. A cache that cannot be reached is passed by: the figures are computed anyway."""
    key = _cache_key(year)
    try:
        cached = cache.get(key)
    except Exception:  # Redis down or unreachable: compute without it.
        logger.warning("dashboard cache unreachable; computing the figures", exc_info=True)
        cached = None
    if cached is not None:
        return cached
    figures = compute(year)
    try:
        cache.set(key, figures, CACHE_SECONDS)
    except Exception:
        logger.warning("dashboard cache unreachable; figures not kept", exc_info=True)
    return figures
