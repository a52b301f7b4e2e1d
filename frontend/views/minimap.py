"""The small maps on instrument, organisation and platform pages: the layout map's basemap
(MAP_BASEMAP, geo.map.basemaps) and its frame, so a point sits where the layout map puts it."""

import dataclasses
import html
import json
from dataclasses import dataclass

from django.utils.html import strip_tags

from geo.map import basemaps


@dataclass(frozen=True)
class MapPoint:
    """What a small map shows: a point (stored, WGS-84), its label and where it came from;
    ``map_lon``/``map_lat`` are the point in the basemap's frame (GCJ-02 for 高德)."""

    lon: float
    lat: float
    label: str
    source: str
    approximate: bool = False
    map_lon: float | None = None
    map_lat: float | None = None


def point_of(owner, *, label: str, source: str) -> MapPoint | None:
    if owner is None or owner.location is None:
        return None
    return MapPoint(
        lon=owner.location.x,
        lat=owner.location.y,
        label=label,
        source=source,
        approximate=getattr(owner, "location_is_approximate", False),
    )


def _layer(tiles: basemaps.Tiles) -> dict:
    # The attribution goes in as text (minimap.js escapes it), so its markup is dropped here.
    return {
        "url": tiles.url,
        "attribution": html.unescape(strip_tags(tiles.attribution)),
        "subdomains": tiles.subdomains,
        "maxZoom": tiles.max_zoom,
    }


def minimap(point: MapPoint | None) -> dict:
    """The page context of a small map: the point shifted into the basemap's frame, and the
    basemap's tile layers as JSON for minimap.js (none with MAP_BASEMAP=none)."""
    basemap = basemaps.current()
    if point is not None:
        lon, lat = basemaps.shifter(basemap)(point.lon, point.lat)
        point = dataclasses.replace(point, map_lon=lon, map_lat=lat)
    layers = [_layer(tiles) for tiles in basemap.tiles]
    return {"point": point, "map_tiles": json.dumps(layers, ensure_ascii=False)}
