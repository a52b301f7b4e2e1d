"""Coordinates for the layout map's GeoJSON: rounded to about a metre, shifted into the
basemap's frame (geo.map.basemaps), and the shapes drawn from them (bounds, flow arcs)."""

from __future__ import annotations


def _r(value: float) -> float:
    return round(value, 5)  # about a metre


def shift_coords(coords, shift):
    if coords and isinstance(coords[0], (int, float)):
        lon, lat = shift(coords[0], coords[1])
        return [_r(lon), _r(lat)]
    return [shift_coords(part, shift) for part in coords]


def point(lon: float, lat: float, shift) -> dict:
    return {"type": "Point", "coordinates": shift_coords([lon, lat], shift)}


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def bounds(points: list[tuple[float, float]], pad: float) -> list[list[float]] | None:
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return [
        [_r(min(lats) - pad), _r(min(lons) - pad)],
        [_r(max(lats) + pad), _r(max(lons) + pad)],
    ]


def flatten(coords) -> list[tuple[float, float]]:
    if coords and isinstance(coords[0], (int, float)):
        return [(coords[0], coords[1])]
    out: list[tuple[float, float]] = []
    for part in coords:
        out.extend(flatten(part))
    return out


def arc(a: tuple[float, float], b: tuple[float, float], steps: int = 32) -> list[list[float]]:
    """A gentle curve from a to b bending to the left of the direction of travel, so the two
    directions between the same cities are drawn apart."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 - dy * 0.12, (y0 + y1) / 2 + dx * 0.12
    points = []
    for i in range(steps + 1):
        t = i / steps
        x = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
        y = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
        points.append([_r(x), _r(y)])
    return points


def arrowhead(line: list[list[float]], length: float = 0.05) -> list[list[list[float]]]:
    """A small triangle (a Polygon's coordinates) whose tip is the line's last point, pointing
    along its last segment: the direction of a flow. Degrees of longitude are narrowed by the
    cosine of the latitude, so the triangle is not stretched."""
    import math

    (x0, y0), (x1, y1) = line[-2], line[-1]
    squeeze = math.cos(math.radians(y1))
    dx, dy = (x1 - x0) * squeeze, y1 - y0
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm
    bx, by = -ux * length, -uy * length  # back from the tip
    wx, wy = -uy * length * 0.45, ux * length * 0.45  # half the base, across
    left = [_r(x1 + (bx + wx) / squeeze), _r(y1 + by + wy)]
    right = [_r(x1 + (bx - wx) / squeeze), _r(y1 + by - wy)]
    tip = [_r(x1), _r(y1)]
    return [[tip, left, right, tip]]
