"""The layout map's basemap, chosen in settings, and the coordinate shift it needs.

MAP_BASEMAP = "osm" (default) | "tianditu" (needs MAP_TIANDITU_KEY) | "gaode" | "none".

Data are stored and served in WGS-84. OpenStreetMap and 天地图 (CGCS2000, within a metre or so
of WGS-84) take them as they are. 高德 tiles are drawn in GCJ-02, so with that basemap every
overlay coordinate is shifted WGS-84 → GCJ-02 with prcoords while the map is rendered (about
480 m in Beibei); the shifted values live only in the built HTML, never in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import prcoords
from django.conf import settings

logger = logging.getLogger(__name__)

Shift = Callable[[float, float], tuple[float, float]]  # (lon, lat) -> (lon, lat)


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18
    overlay: bool = False


@dataclass(frozen=True)
class Basemap:
    name: str
    gcj02: bool = False
    tiles: tuple[Tiles, ...] = field(default_factory=tuple)


OSM = Basemap(
    "osm",
    tiles=(
        Tiles(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
            max_zoom=19,
        ),
    ),
)

GAODE = Basemap(
    "gaode",
    gcj02=True,
    tiles=(
        Tiles(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}",
            "&copy; 高德地图 AutoNavi",
            subdomains="1234",
        ),
    ),
)

NONE = Basemap("none")


def _tianditu(key: str) -> Basemap:
    def layer(name: str, overlay: bool) -> Tiles:
        return Tiles(
            f"https://t{{s}}.tianditu.gov.cn/{name}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            f"&VERSION=1.0.0&LAYER={name}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}",
            "&copy; 天地图 Tianditu",
            subdomains="01234567",
            overlay=overlay,
        )

    # Vector map plus its annotation layer (place names).
    return Basemap("tianditu", tiles=(layer("vec", False), layer("cva", True)))


def current() -> Basemap:
    name = str(getattr(settings, "MAP_BASEMAP", "osm") or "osm").lower()
    if name == "osm":
        return OSM
    if name == "gaode":
        return GAODE
    if name == "none":
        return NONE
    if name == "tianditu":
        key = getattr(settings, "MAP_TIANDITU_KEY", "")
        if key:
            return _tianditu(key)
        logger.warning("MAP_BASEMAP=tianditu needs MAP_TIANDITU_KEY; drawing without a basemap")
        return NONE
    logger.warning("unknown MAP_BASEMAP %r; using OpenStreetMap", name)
    return OSM


def _identity(lon: float, lat: float) -> tuple[float, float]:
    return lon, lat


def _wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    # Outside China GCJ-02 equals WGS-84; prcoords leaves such points alone.
    shifted = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    return shifted.lon, shifted.lat


def shifter(basemap: Basemap) -> Shift:
    """The function that turns a stored (lon, lat) into the basemap's frame."""
    return _wgs_to_gcj if basemap.gcj02 else _identity
