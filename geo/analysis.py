"""Zone and region figures for the coordinators' dashboard, computed with GeoPandas.

Platforms, instruments and zones are read from PostGIS with ``geopandas.read_postgis`` through
an SQLAlchemy engine on psycopg 3 and joined spatially (``gpd.sjoin``, predicate ``within``);
bookings and voucher entries are read already grouped per instrument (and requester region) and
reach the zones through their instrument, so there is one spatial join per point layer.

The definitions are those of ``sharing.bookings.indicators`` (reference/instrument-fields.md):

- a booking counts when it is completed, in the Asia/Shanghai calendar year in which it starts;
- its hours are check-in to check-out when both were recorded, the booked time otherwise;
- it is cross-region when the requester's organisation lies in another region than the
  instrument (a requester without an organisation is not counted as cross-region);
- a region's share rate (共享率) is its external service hours (requester outside the owning
  organisation) over its hours, its utilisation (利用率) its hours over the yearly base
  (settings.INDICATOR_YEARLY_BASE_HOURS) times its instruments: the figures of
  ``indicators(level="region")``, computed here from the same expressions in the one booking
  read (that function's per-row instrument count is slow on thousands of bookings);
- voucher use is the redemptions minus the refunds (in 元) of the year's bookings, whatever
  their status (a cancelled booking's refund cancels its redemption);
- an instrument counts unless it was withdrawn before the year began; its place is its own
  location, or its platform's when it has none;
- a platform or instrument inside two zones counts in both; those inside none (or without a
  location) are in the row ``outside``;
- a region's platforms and instruments are those whose region it is; its bookings are those of
  its instruments (where the service was given); the flows go from the requester's region to the
  instrument's.

``dashboard_figures(year)`` returns plain dicts and lists (JSON-able, cached in the Django cache
for ten minutes per year; computed anyway when the cache cannot be reached);
``dashboard_tables(figures)`` turns them into pandas DataFrames with headers in the current
language, for the exports.
"""

from __future__ import annotations

import functools
import logging
import math

import geopandas as gpd
import pandas as pd
import sqlalchemy
from django.core.cache import cache
from django.db import connections
from django.db.models import Case, Count, DurationField, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from geo.models import Zone
from portal.accounts.models import Region
from sharing.bookings.indicators import (
    EXTERNAL,
    HOURS,
    ZERO,
    year_bounds,
    yearly_base_hours,
)
from sharing.bookings.models import Booking, VoucherEntry
from sharing.catalogue.models import Instrument, Platform

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
# UTM 48N: metres in both Beibei and Mianyang.
METRIC = "EPSG:32648"
CACHE_SECONDS = 10 * 60
CACHE_VERSION = 1
OUTSIDE = "outside"
UNKNOWN_REGION = "unknown"
NO_LEVEL = "none"


# --- The engine ----------------------------------------------------------------------------


def engine() -> sqlalchemy.engine.Engine:
    """An SQLAlchemy engine on psycopg 3 for Django's default database, one per process (and
    per database: a test run points Django at its own test database)."""
    db = connections["default"].settings_dict
    return _engine(
        db.get("USER") or None,
        db.get("PASSWORD") or None,
        db.get("HOST") or None,
        int(db["PORT"]) if db.get("PORT") else None,
        db["NAME"],
        int((db.get("OPTIONS") or {}).get("connect_timeout", 5)),
    )


@functools.lru_cache(maxsize=4)
def _engine(user, password, host, port, name, connect_timeout) -> sqlalchemy.engine.Engine:
    url = sqlalchemy.engine.URL.create(
        "postgresql+psycopg",
        username=user,
        password=password,
        host=host,
        port=port,
        database=name,
    )
    return sqlalchemy.create_engine(
        url,
        pool_size=2,
        max_overflow=2,
        pool_pre_ping=True,
        pool_recycle=600,
        connect_args={"connect_timeout": connect_timeout},
    )


def _sql(qs: QuerySet) -> tuple[str, tuple]:
    """The ORM's SQL and parameters for a queryset, run through the SQLAlchemy engine (psycopg
    takes the same %s placeholders Django writes)."""
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _read_geo(qs: QuerySet, conn) -> gpd.GeoDataFrame:
    sql, params = _sql(qs)
    return gpd.read_postgis(sql, conn, geom_col="geom", crs=WGS84, params=params)


def _read(qs: QuerySet, conn) -> pd.DataFrame:
    sql, params = _sql(qs)
    return pd.read_sql(sql, conn, params=params)


# --- Reading -------------------------------------------------------------------------------


def _frames(year: int) -> dict[str, pd.DataFrame]:
    start, end = year_bounds(year)
    zones = Zone.objects.order_by("kind").values(
        "id", "code", "kind", "name", "name_en", geom=F("geometry")
    )
    platforms = Platform.objects.order_by().values(
        "id", "kind", "level", "region_id", geom=F("location")
    )
    instruments = (
        Instrument.objects.filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=start))
        .order_by()
        .values(
            "id", "region_id", "original_value", geom=Coalesce("location", "platform__location")
        )
    )
    bookings = (
        Booking.objects.filter(
            status=Booking.Status.COMPLETED,
            period__startswith__gte=start,
            period__startswith__lt=end,
        )
        .order_by()
        .values(
            "instrument_id",
            region_id=F("instrument__region_id"),
            requester_region_id=F("requester__organisation__region_id"),
        )
        .annotate(
            bookings=Count("pk"),
            duration=Sum(HOURS, output_field=DurationField()),
            external=Sum(
                Case(When(EXTERNAL, then=HOURS), default=ZERO), output_field=DurationField()
            ),
        )
    )
    vouchers = (
        VoucherEntry.objects.filter(
            booking__period__startswith__gte=start, booking__period__startswith__lt=end
        )
        .order_by()
        .values(
            instrument_id=F("booking__instrument_id"), region_id=F("booking__instrument__region_id")
        )
        .annotate(net=Sum("amount"))
    )
    with engine().connect() as conn:
        frames = {
            "zones": _read_geo(zones, conn),
            "platforms": _read_geo(platforms, conn),
            "instruments": _read_geo(instruments, conn),
            "bookings": _read(bookings, conn),
            "vouchers": _read(vouchers, conn),
        }
    return frames


def _in_zones(points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per (point, zone) it lies in, plus one row with zone ``outside`` for each point
    that lies in none or has no location."""
    located = points[points.geometry.notna() & ~points.geometry.is_empty]
    joined = gpd.sjoin(
        located, zones[["code", zones.geometry.name]], how="inner", predicate="within"
    )
    inside = pd.DataFrame(joined.drop(columns=[points.geometry.name, "index_right"]))
    inside = inside.rename(columns={"code": "zone"})
    outside = pd.DataFrame(
        points[~points["id"].isin(inside["id"])].drop(columns=points.geometry.name)
    )
    outside["zone"] = OUTSIDE
    return pd.concat([inside, outside], ignore_index=True)


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


def compute(year: int) -> dict:
    """The dashboard's figures for one year (no cache)."""
    frames = _frames(year)
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

    platforms_z = _in_zones(frames["platforms"], zones)
    instruments_z = _in_zones(frames["instruments"], zones)
    area = zones.set_index("code").geometry.to_crs(METRIC).area / 1_000_000

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


# --- Tables (exports) ----------------------------------------------------------------------


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
