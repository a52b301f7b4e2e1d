"""What the layout map shows, read from the database and data/places.csv, in WGS-84.

Only public facts: zones, plan nodes, platform names, kinds, levels and regions, and booking
counts between regions. No person, contact or booking detail reaches the map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import F, FloatField, Func
from django.utils import timezone

from geo.models import Zone
from portal.accounts.models import Confidence, Region
from sharing.bookings.selectors import cross_region_flows, figure_definitions
from sharing.catalogue.models import Platform
from sharing.catalogue.places import PLACES_CSV
from sharing.catalogue.places import read_places as read_place_rows

# The plan's nodes drawn on the map: the corridor's nodes, its links, and the belt's ends.
NODE_KINDS = ("corridor_node", "corridor_link", "belt_node")


@dataclass(frozen=True)
class Place:
    key: str
    name_zh: str
    name_en: str
    kind: str
    region: str
    lon: float
    lat: float
    confidence: str

    @property
    def approximate(self) -> bool:
        return Confidence.is_approximate(self.confidence)


@dataclass(frozen=True)
class ZoneShape:
    code: str
    kind: str
    name: str
    name_en: str
    description: str
    geometry: dict  # GeoJSON MultiPolygon, WGS-84


@dataclass(frozen=True)
class PlatformPoint:
    name: str
    kind: str
    level: str
    region: str  # region name
    region_en: str
    confidence: str
    lon: float
    lat: float
    pk: int = 0


@dataclass(frozen=True)
class Flow:
    source: str  # requester's region code
    target: str  # instrument's region code
    count: int  # completed bookings of the year (sharing.bookings.indicators' definitions)
    hours: float = 0.0


@dataclass
class MapData:
    zones: list[ZoneShape] = field(default_factory=list)
    nodes: list[Place] = field(default_factory=list)
    platforms: list[PlatformPoint] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    # region code -> (name, name_en, lon, lat) for the regions a flow can join
    anchors: dict[str, tuple[str, str, float, float]] = field(default_factory=dict)
    places: list[Place] = field(default_factory=list)
    year: int = 0  # the Asia/Shanghai calendar year the flows count


def read_places(path: Path = PLACES_CSV) -> list[Place]:
    return [
        Place(
            key=row["key"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            kind=row["kind"],
            region=row["region"],
            lon=float(row["lon"]),
            lat=float(row["lat"]),
            confidence=row["confidence"],
        )
        for row in read_place_rows(path)
    ]


def read_zones() -> list[ZoneShape]:
    return [
        ZoneShape(
            code=zone.code,
            kind=zone.kind,
            name=zone.name,
            name_en=zone.name_en,
            description=zone.description,
            geometry=json.loads(zone.geometry.geojson),
        )
        for zone in Zone.objects.order_by("kind")
    ]


def read_platforms() -> list[PlatformPoint]:
    """Every located platform, coordinates taken out in SQL (no GEOS object per row)."""
    rows = (
        Platform.objects.filter(location__isnull=False)
        .annotate(
            lon=Func(F("location"), function="ST_X", output_field=FloatField()),
            lat=Func(F("location"), function="ST_Y", output_field=FloatField()),
        )
        .order_by("kind", "name")
        .values_list(
            "name",
            "kind",
            "level",
            "region__name",
            "region__name_en",
            "location_confidence",
            "lon",
            "lat",
            "pk",
        )
    )
    return [PlatformPoint(*row) for row in rows.iterator(chunk_size=5000)]


def read_flows(year: int) -> list[Flow]:
    """The year's completed cross-region bookings per direction, counted as the dashboard and
    the indicators count them (sharing.bookings.selectors, one aggregate query)."""
    return [
        Flow(source, target, n, round(hours.total_seconds() / 3600, 2) if hours else 0.0)
        for source, target, n, hours in cross_region_flows(year=year)
    ]


def flow_definitions() -> list[str]:
    """What the flows count, in the current language, for the legend."""
    definitions = figure_definitions()
    return [definitions["bookings"], definitions["cross_region"]]


def read_anchors(places: list[Place]) -> dict[str, tuple[str, str, float, float]]:
    """Each region's seat of government (``<code>_seat`` in places.csv) anchors its flows."""
    seats = {p.key: p for p in places}
    anchors = {}
    for code, name, name_en in Region.objects.values_list("code", "name", "name_en"):
        seat = seats.get(f"{code}_seat")
        if seat is not None:
            anchors[code] = (name, name_en, seat.lon, seat.lat)
    return anchors


def read_map_data(year: int | None = None) -> MapData:
    """What the map shows; its flows are those of ``year``, this year by default."""
    year = year or timezone.localdate().year
    places = read_places()
    return MapData(
        year=year,
        zones=read_zones(),
        nodes=[p for p in places if p.kind in NODE_KINDS],
        platforms=read_platforms(),
        flows=read_flows(year),
        anchors=read_anchors(places),
        places=places,
    )
