"""Spatial reads: which zones hold a point, what lies in a zone, what is nearest, zone figures.

Geometries are stored in WGS-84 (EPSG:4326) with GiST indexes. Index-backed operators work in
degrees (``&&``, ``@``, ``ST_DWithin`` on geometry, KNN ``<->``); every distance shown or
compared against a number of metres is measured on the spheroid with ``geography``. A zone's
members are found by a spatial query, never by a stored key.
"""

import math
from dataclasses import dataclass

from django.contrib.gis.db.models import FloatField
from django.contrib.gis.db.models.functions import GeoFunc
from django.contrib.gis.geos import Point
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from geo.models import Zone
from portal.errors import NotFound
from sharing.catalogue.models import Instrument, Platform
from sharing.catalogue.selectors import instrument_search

WGS84 = 4326
# Metres per degree on WGS-84: the least along a meridian (at the equator) and along the equator.
_M_PER_DEG_LAT_MIN = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0
# Nearest instruments: candidates fetched per round by KNN before checking in metres.
# Sphere and spheroid distances differ by under 0.5 %: a few spare rows settle near-ties.
_KNN_SPARE = 5


class GeographyKNN(GeoFunc):
    """``a::geography <-> b::geography``: the KNN operator the geography GiST index serves."""

    output_field = FloatField()
    arity = 2
    geom_param_pos = (0, 1)
    template = "(%(expressions)s::geography)"
    arg_joiner = "::geography <-> "


class GeographyDistance(GeoFunc):
    """``ST_Distance(a::geography, b::geography)``: metres on the WGS-84 spheroid."""

    output_field = FloatField()
    arity = 2
    geom_param_pos = (0, 1)
    template = "ST_Distance(%(expressions)s::geography)"
    arg_joiner = "::geography, "


def wgs84_point(lon: float, lat: float) -> Point:
    return Point(lon, lat, srid=WGS84)


def degrees_within(*, lat: float, metres: float) -> float | None:
    """A distance in degrees that every point within ``metres`` of a point at ``lat`` lies
    within (for an index-backed ST_DWithin on geometry before the exact test in metres).
    None near the poles, where no useful bound exists."""
    dlat = metres / _M_PER_DEG_LAT_MIN
    top = abs(lat) + dlat
    if top >= 89.0:
        return None
    dlon = metres / (_M_PER_DEG_LON_EQUATOR * math.cos(math.radians(top)))
    return math.hypot(dlat, dlon) * 1.01


# --- Zones ---------------------------------------------------------------------------------


def _plan_order() -> Case:
    """一圈, 一廊, 一带: the plan's own order."""
    return Case(
        *[When(kind=kind, then=Value(i)) for i, kind in enumerate(Zone.Kind.values)],
        default=Value(len(Zone.Kind.values)),
    )


def zone_list() -> QuerySet[Zone]:
    return Zone.objects.order_by(_plan_order(), "code")


def zone_get(*, code: str) -> Zone:
    zone = Zone.objects.filter(code=code).first()
    if zone is None:
        raise NotFound(_("分区不存在。"))
    return zone


def zone_containing(point: Point) -> QuerySet[Zone]:
    """The zones that contain ``point`` (on the boundary counts); zones may overlap, so there
    can be several. Uses the geometry's GiST index."""
    return Zone.objects.filter(geometry__intersects=point).order_by(_plan_order(), "code")


def zone_exists(code: str) -> bool:
    return Zone.objects.filter(code=code).exists()


# --- Platforms -----------------------------------------------------------------------------


def _platforms() -> QuerySet[Platform]:
    return Platform.objects.select_related("region", "host")


def platforms_in_zone(zone: Zone) -> QuerySet[Platform]:
    return _platforms().filter(location__intersects=zone.geometry)


def _in_zone(code: str) -> Exists:
    # One query: the zone's geometry is read in a subquery, matched against each location.
    return Exists(Zone.objects.filter(code=code, geometry__intersects=OuterRef("location")))


def platform_geo_search(
    *,
    kind: str | None = None,
    region: str | None = None,
    zone: str | None = None,
    near: Point | None = None,
    within_m: float | None = None,
) -> QuerySet[Platform]:
    """Platforms with a location, matching every given filter.

    ``region`` is a Region code or adcode; ``zone`` a Zone code (spatial containment);
    ``near`` with ``within_m`` keeps platforms within that many metres of the point, and each
    row then carries ``distance_m``.
    """
    qs = _platforms().filter(location__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(Q(region__code=region) | Q(region__adcode=region))
    if zone:
        qs = qs.filter(_in_zone(zone))
    if near is not None:
        qs = qs.annotate(distance_m=GeographyDistance("location", near))
        if within_m is not None:
            bound = degrees_within(lat=near.y, metres=within_m)
            if bound is not None:
                qs = qs.filter(location__dwithin=(near, bound))
            qs = qs.filter(distance_m__lte=within_m)
    return qs


# --- Nearest instruments -------------------------------------------------------------------


def instruments_nearest(
    *, point: Point, category: str | None = None, limit: int = 10
) -> list[Instrument]:
    """The ``limit`` live instruments with a location nearest to ``point``, nearest first,
    each with ``distance_m`` (metres on the spheroid).

    One KNN scan of the geography index (``ORDER BY location::geography <-> point``, metres on
    the sphere); a few spare rows are taken so that the final order, on the spheroid, cannot
    miss one the sphere ranked just behind.
    """
    rows = list(
        instrument_search(user=None, category=category)
        .filter(location__isnull=False)
        .annotate(distance_m=GeographyDistance("location", point))
        .order_by(GeographyKNN("location", point))[: limit + _KNN_SPARE]
    )
    return sorted(rows, key=lambda i: (i.distance_m, i.id))[:limit]


# --- Zone figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneStats:
    zone: Zone
    platforms_total: int
    platforms_by_kind: list[dict]
    platforms_by_level: list[dict]
    instruments_count: int
    instruments_original_value: object  # Decimal, 万元


def _counted(rows, field: str, labels: dict) -> list[dict]:
    return [
        {field: row[field], "label": str(labels.get(row[field], _("未定"))), "count": row["n"]}
        for row in rows
    ]


def instruments_in_zone(zone: Zone) -> QuerySet[Instrument]:
    """Live instruments in the zone: by their own location, or by their platform's when they
    have none."""
    return instrument_search(user=None).filter(
        Q(location__intersects=zone.geometry)
        | Q(location__isnull=True, platform__location__intersects=zone.geometry)
    )


def zone_stats(zone: Zone) -> ZoneStats:
    platforms = platforms_in_zone(zone)
    by_kind = platforms.order_by("kind").values("kind").annotate(n=Count("id"))
    by_level = platforms.order_by("level").values("level").annotate(n=Count("id"))
    figures = instruments_in_zone(zone).aggregate(n=Count("id"), value=Sum("original_value"))
    kinds = _counted(by_kind, "kind", dict(Platform.Kind.choices))
    return ZoneStats(
        zone=zone,
        platforms_total=sum(row["count"] for row in kinds),
        platforms_by_kind=kinds,
        platforms_by_level=_counted(by_level, "level", dict(Platform.Level.choices)),
        instruments_count=figures["n"],
        instruments_original_value=figures["value"] or 0,
    )
