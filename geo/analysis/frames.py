"""The dashboard's layers as (Geo)DataFrames: zones, platforms and instruments read from PostGIS
with ``geopandas.read_postgis`` through an SQLAlchemy engine on psycopg 3; bookings and voucher
entries read already grouped per instrument (sharing.bookings.selectors), so each point layer
needs one spatial join (``gpd.sjoin``, predicate ``within``) to reach the zones."""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd
import sqlalchemy
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from geo.models import Zone
from sharing.bookings.selectors import (
    completed_usage_by_instrument,
    voucher_net_by_instrument,
    year_bounds,
)
from sharing.catalogue.models import Instrument, Platform

WGS84 = "EPSG:4326"
# The row of the points inside no zone (or without a location).
OUTSIDE = "outside"


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


def read_frames(year: int) -> dict[str, pd.DataFrame]:
    """The five layers of one year: zones, platforms, instruments (not withdrawn before the
    year began; placed at their platform when they have no location), bookings and vouchers."""
    start, _end = year_bounds(year)
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
    bookings = completed_usage_by_instrument(year=year)
    vouchers = voucher_net_by_instrument(year=year)
    with engine().connect() as conn:
        frames = {
            "zones": _read_geo(zones, conn),
            "platforms": _read_geo(platforms, conn),
            "instruments": _read_geo(instruments, conn),
            "bookings": _read(bookings, conn),
            "vouchers": _read(vouchers, conn),
        }
    return frames


def in_zones(points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
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
