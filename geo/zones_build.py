"""The zones of 一圈一廊一带, built from the plan's nodes and kept as a versioned GeoJSON file.

The build is reproducible: the same ``data/places.csv`` and the same specs below give the same
file, byte for byte. Buffers are measured in metres in UTM 48N (EPSG:32648); the result is
stored and served in WGS-84 (EPSG:4326), coordinates rounded to 6 decimals (about 0.1 m).

Widths (why these numbers):

- ring, 3500 m around Southwest University: the farthest place the plan names for the ring
  (朝阳文创大道) lies 2.7 km from the campus centre, so 3.5 km keeps it about 0.8 km inside,
  and the circle stays in Beibei's urban core and Jinyun foothills.
- corridor, 1500 m either side of the line 歇马 → 天生 → 朝阳 → 东阳: every corridor place lies
  within 200 m of that line; 1.5 km keeps each over 1 km inside while the band stays in Beibei.
  The links to 大学城 (20 km) and 金凤 (31 km) lie in Shapingba and Jiulongpo: they are kept as
  link nodes (``role: "link"``) for the map to draw as lines, never buffered.
- belt, 1500 m either side of the line 水土 ↔ 蔡家 (8.3 km): the belt's places lie within 470 m
  of the line, so each is over 1 km inside.

The build refuses to write a file in which a place the CSV assigns to a zone (``zone_hint``)
lies less than MIN_MARGIN_M inside it, or in which a place outside Beibei lies in any zone.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPolygon, Point, Polygon
from django.db import transaction

from geo.models import Zone
from sharing.catalogue.places import PLACES_CSV, read_places

ZONES_GEOJSON = Path(settings.BASE_DIR) / "geo" / "data" / "zones.geojson"
WGS84 = 4326
UTM_48N = 32648
QUADSEGS = (
    16  # segments per quarter circle in a buffer: fixed, so output never depends on a default
)
PRECISION = 6  # decimals of a degree: about 0.1 m
MIN_MARGIN_M = 200.0
# Bumped by hand when the build's method changes; the input digest follows it.
BUILD_VERSION = "2021-2025.1"


class ZoneBuildError(Exception):
    pass


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    kind: str
    name: str
    name_en: str
    description: str
    # (place key, role) in drawing order. Roles: centre (ring), node (corridor line),
    # end (belt line), link (corridor link outside Beibei: never part of the polygon).
    nodes: tuple[tuple[str, str], ...]
    buffer_m: float


RING_TEXT = (
    "依托西南大学科研技术以及人才优势，集中创新创业资源，实施更加自主、协同、开放的校地、"
    "校企合作机制，建设一批创新创业、成果转化基地，构建起苗圃、孵化器、加速器、产业拓展的"
    "全链条孵化体系，打造创新发展“新引擎”。加快提升西南大学（重庆）产业技术研究院对技术研发"
    "团队、初创科技企业的服务能力，强化北碚国家大学科技园推动科技成果转化、培育高新技术企业、"
    "培育创新型人才功能，推进亿达创智广场为成熟企业提供产业升级、市场拓展等个性服务，推动朝阳"
    "文创大道为文化创意类企业发展提供载体和建设空间。"
)
CORRIDOR_TEXT = (
    "立足西部（重庆）科学城北碚园区，以东阳、朝阳、天生、歇马为节点，串点为线，联动大学城、"
    "金凤，高标准打造西部（重庆）科学城北碚智慧科技走廊。东阳街道以重庆蚕业科学技术研究院为"
    "依托，建设蚕桑博览园，推动蚕桑科技成果转化应用。朝阳街道基于朝阳文创大道，加快促进科技"
    "与文化深度融合，全面提升文化科技创新能力。天生街道以西南大学为核心，聚焦技术策源、技术"
    "研发等功能，强化基础研究、应用基础研究及技术研发服务能力。高新区歇马拓展园建设传感器特色"
    "产业基地，加快高新技术产业发展，强化与沙坪坝、九龙坡等地科技交流合作与产业互补，加强"
    "“五区”联动，打造产业创新主战场，高标准打造西部（重庆）科学城北碚园区。强化与绵阳等成渝"
    "地区双城经济圈城市协作创新，共建共享共用科技协同平台，发展成为创新协作桥头堡。"
)
BELT_TEXT = (
    "依托两江新区北碚板块的技术优势，厚植一批高新技术企业，推动两江新区北碚板块发展成为高新"
    "技术产业承接带。在两江水土新城打造“先进制造基地板块”，推进先进制造业资源聚集，着力将"
    "两江水土新城打造成为高新技术产业创新高地。突显蔡家智慧新城作为高新区与两江新区联结点的"
    "地位，围绕创新驱动打造成为大院大所聚集地，推动科技创新成果产业集聚。依托工业互联网生态园，"
    "重点开展工业互联网与大数据技术研发，推动一批信息技术产业聚集，着力壮大数字经济和实体经济"
    "融合发展新动能，加快构建现代产业体系，集中力量建设“智造重镇”和“智慧名城”，有效激发市场"
    "主体活力。"
)

SPECS: tuple[ZoneSpec, ...] = (
    ZoneSpec(
        code="swu-ring",
        kind=Zone.Kind.RING,
        name="环西南大学创新生态圈",
        name_en="Southwest University Innovation Ecosystem Ring",
        description=RING_TEXT,
        nodes=(("swu", "centre"),),
        buffer_m=3500,
    ),
    ZoneSpec(
        code="smart-corridor",
        kind=Zone.Kind.CORRIDOR,
        name="西部（重庆）科学城北碚智慧科技走廊",
        name_en="Western (Chongqing) Science City Beibei Smart Technology Corridor",
        description=CORRIDOR_TEXT,
        nodes=(
            ("xiema", "node"),
            ("tiansheng", "node"),
            ("chaoyang", "node"),
            ("dongyang", "node"),
            ("university_town", "link"),
            ("jinfeng", "link"),
        ),
        buffer_m=1500,
    ),
    ZoneSpec(
        code="shuitu-caijia-belt",
        kind=Zone.Kind.BELT,
        name="水土-蔡家高新技术产业带",
        name_en="Shuitu–Caijia High-tech Industry Belt",
        description=BELT_TEXT,
        nodes=(("shuitu", "end"), ("caijia", "end")),
        buffer_m=1500,
    ),
)
DRAWN_ROLES = ("centre", "node", "end")


# --- Build ---------------------------------------------------------------------------------


def _projected(row: dict) -> Point:
    point = Point(float(row["lon"]), float(row["lat"]), srid=WGS84)
    point.transform(UTM_48N)
    return point


def _shape(spec: ZoneSpec, places: dict[str, dict]) -> GEOSGeometry:
    """The spec's nodes in metres: one point (centre) or a line through them in order."""
    drawn = [_projected(places[key]) for key, role in spec.nodes if role in DRAWN_ROLES]
    if len(drawn) == 1:
        return drawn[0]
    return LineString([p.coords for p in drawn], srid=UTM_48N)


def _round_ring(ring, *, clockwise: bool) -> list[list[float]]:
    coords = [[round(x, PRECISION), round(y, PRECISION)] for x, y in ring]
    # Shoelace: positive area is counter-clockwise.
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(coords))
    if (area < 0) != clockwise:
        coords.reverse()
    return coords


def _geojson_coordinates(geometry: MultiPolygon) -> list:
    """RFC 7946 orientation: exterior rings counter-clockwise, holes clockwise."""
    return [
        [_round_ring(ring, clockwise=index > 0) for index, ring in enumerate(polygon.coords)]
        for polygon in geometry
    ]


def _zone_geometry(spec: ZoneSpec, places: dict[str, dict]) -> MultiPolygon:
    buffered = _shape(spec, places).buffer(spec.buffer_m, quadsegs=QUADSEGS)
    buffered.transform(WGS84)
    if isinstance(buffered, Polygon):
        buffered = MultiPolygon(buffered, srid=WGS84)
    return buffered


def _node(row: dict, role: str) -> dict:
    return {
        "key": row["key"],
        "role": role,
        "name": row["name_zh"],
        "name_en": row["name_en"],
        "lon": float(row["lon"]),
        "lat": float(row["lat"]),
        "confidence": row["confidence"],
    }


def _digest(specs, places: dict[str, dict]) -> str:
    used = sorted({key for spec in specs for key, _role in spec.nodes})
    payload = {
        "build": BUILD_VERSION,
        "quadsegs": QUADSEGS,
        "precision": PRECISION,
        "specs": [asdict(spec) for spec in specs],
        "places": [[key, places[key]["lon"], places[key]["lat"]] for key in used],
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _check(features: list[dict], rows: list[dict]) -> None:
    """Refuse a build in which a zone misses its own places or takes in a place outside Beibei."""
    geometries = {
        f["properties"]["kind"]: GEOSGeometry(json.dumps(f["geometry"]), srid=WGS84)
        for f in features
    }
    for kind, geometry in geometries.items():
        if not geometry.valid:
            raise ZoneBuildError(f"{kind}: invalid geometry ({geometry.valid_reason})")
    projected = {kind: g.transform(UTM_48N, clone=True) for kind, g in geometries.items()}
    for row in rows:
        point = _projected(row)
        hint = row.get("zone_hint") or ""
        if hint in projected:
            margin = projected[hint].boundary.distance(point)
            if not projected[hint].contains(point) or margin < MIN_MARGIN_M:
                raise ZoneBuildError(
                    f"{row['key']} should lie at least {MIN_MARGIN_M:.0f} m inside the {hint}"
                )
        if row["region"] != "beibei":
            inside = [kind for kind, g in projected.items() if g.intersects(point)]
            if inside:
                raise ZoneBuildError(f"{row['key']} lies outside Beibei but inside {inside}")


def zones_build(*, places_path: Path = PLACES_CSV, specs=SPECS) -> dict:
    """The zones as a GeoJSON FeatureCollection (a dict), built from the places file."""
    rows = read_places(places_path)
    places = {row["key"]: row for row in rows}
    missing = sorted({k for s in specs for k, _r in s.nodes} - places.keys())
    if missing:
        raise ZoneBuildError(f"places missing from {places_path.name}: {', '.join(missing)}")
    version = f"{BUILD_VERSION}-{_digest(specs, places)}"
    features = []
    for spec in specs:
        geometry = _zone_geometry(spec, places)
        features.append(
            {
                "type": "Feature",
                "id": spec.code,
                "properties": {
                    "code": spec.code,
                    "kind": str(spec.kind),
                    "name": spec.name,
                    "name_en": spec.name_en,
                    "description": spec.description,
                    "nodes": [_node(places[key], role) for key, role in spec.nodes],
                    "buffer_m": spec.buffer_m,
                    "version": version,
                },
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": _geojson_coordinates(geometry),
                },
            }
        )
    _check(features, rows)
    return {
        "type": "FeatureCollection",
        "name": "beibei_layout_zones",
        "version": version,
        "source": "data/places.csv; 北碚区科技创新“十四五”规划 第二章",
        "features": features,
    }


def zones_dumps(collection: dict) -> str:
    return json.dumps(collection, ensure_ascii=False, indent=1) + "\n"


def zones_write(*, output: Path = ZONES_GEOJSON, places_path: Path = PLACES_CSV) -> bool:
    """Write the built zones to ``output``; True when the file changed."""
    text = zones_dumps(zones_build(places_path=places_path))
    if output.exists() and output.read_text(encoding="utf-8") == text:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return True


# --- Load ----------------------------------------------------------------------------------


def _multipolygon(geometry: dict) -> MultiPolygon:
    geom = GEOSGeometry(json.dumps(geometry), srid=WGS84)
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom, srid=WGS84)
    if not isinstance(geom, MultiPolygon):
        raise ZoneBuildError(f"a zone must be a (Multi)Polygon, not {geom.geom_type}")
    if not geom.valid:
        raise ZoneBuildError(f"invalid zone geometry: {geom.valid_reason}")
    return geom


@transaction.atomic
def zones_load(*, path: Path = ZONES_GEOJSON) -> dict[str, int]:
    """Create or update one Zone per feature of the GeoJSON file, matched by code.

    Idempotent: a row that already matches the file is not written. Zones absent from the
    file are left alone. Returns the counts created, updated and unchanged.
    """
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    if collection.get("type") != "FeatureCollection":
        raise ZoneBuildError("the zones file must hold a GeoJSON FeatureCollection")
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for feature in collection["features"]:
        props = feature["properties"]
        values = {
            "kind": props["kind"],
            "name": props["name"],
            "name_en": props.get("name_en", ""),
            "description": props.get("description", ""),
            "nodes": props.get("nodes", []),
            "version": props.get("version") or collection.get("version", ""),
        }
        geometry = _multipolygon(feature["geometry"])
        # By code; a zone whose code was changed in the file is found again by its kind.
        zone = (
            Zone.objects.select_for_update().filter(code=props["code"]).first()
            or Zone.objects.select_for_update().filter(kind=values["kind"]).first()
        )
        if zone is None:
            Zone.objects.create(code=props["code"], geometry=geometry, **values)
            counts["created"] += 1
            continue
        values["code"] = props["code"]
        same = all(getattr(zone, name) == value for name, value in values.items())
        if same and zone.geometry.equals_exact(geometry, tolerance=1e-9):
            counts["unchanged"] += 1
            continue
        for name, value in values.items():
            setattr(zone, name, value)
        zone.geometry = geometry
        zone.save()
        counts["updated"] += 1
    return counts
