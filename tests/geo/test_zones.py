"""一圈一廊一带: the zones built from the plan's nodes, the versioned GeoJSON file, the loader."""

import csv
import io
import json
import math
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Point
from django.core.management import call_command
from django.db import connection

from demo.loader import REGIONS
from geo.models import Zone
from geo.selectors import zone_containing
from geo.zones_build import (
    SPECS,
    ZONES_GEOJSON,
    ZoneBuildError,
    zones_build,
    zones_dumps,
    zones_load,
)
from portal.accounts.models import Organisation
from portal.accounts.services import region_upsert
from sharing.catalogue.models import Platform
from sharing.catalogue.places import PLACES_CSV, places_load, read_places

PLAN = Path(settings.BASE_DIR).parent / "shared" / "reference" / "beibei-sti-plan-2021-2025.txt"


@pytest.fixture
def layout(db):
    """The real places of data/places.csv and the zones of the committed GeoJSON file."""
    for region in REGIONS:
        region_upsert(**region)
    places_load()
    zones_load()
    return {row["key"]: row for row in read_places()}


def _point(row: dict) -> Point:
    return Point(float(row["lon"]), float(row["lat"]), srid=4326)


def _kinds(point: Point) -> set[str]:
    return set(zone_containing(point).values_list("kind", flat=True))


# --- The acceptance facts ------------------------------------------------------------------


def test_southwest_university_lies_in_the_ring(layout):
    swu = Organisation.objects.get(place_key="swu")
    assert "ring" in _kinds(swu.location)


def test_the_xiema_node_lies_in_the_corridor(layout):
    assert "corridor" in _kinds(_point(layout["xiema"]))


def test_cigit_lies_in_the_belt(layout):
    cigit = Organisation.objects.get(place_key="cigit")
    assert cigit.name == "中国科学院重庆绿色智能技术研究院"
    assert "belt" in _kinds(cigit.location)


def test_no_mianyang_place_lies_in_any_zone(layout):
    mianyang = [row for row in layout.values() if row["region"] == "mianyang"]
    assert len(mianyang) >= 5
    for row in mianyang:
        assert _kinds(_point(row)) == set(), row["key"]
    # The same asked of the database rows the places became.
    for model in (Organisation, Platform):
        rows = model.objects.filter(region__code="mianyang", location__isnull=False)
        assert rows.exists()
        for row in rows:
            assert not zone_containing(row.location).exists(), row.name


# --- More of the layout ----------------------------------------------------------------------


def test_every_place_the_csv_assigns_to_a_zone_lies_in_it(layout):
    hinted = [row for row in layout.values() if row["zone_hint"]]
    assert {row["zone_hint"] for row in hinted} == {"ring", "corridor", "belt"}
    for row in hinted:
        assert row["zone_hint"] in _kinds(_point(row)), row["key"]


def test_the_corridor_links_stay_outside_every_zone(layout):
    corridor = Zone.objects.get(kind="corridor")
    links = [n["key"] for n in corridor.nodes if n["role"] == "link"]
    assert links == ["university_town", "jinfeng"]
    for key in links:
        assert _kinds(_point(layout[key])) == set(), key
    assert [n["key"] for n in corridor.nodes if n["role"] == "node"] == [
        "xiema",
        "tiansheng",
        "chaoyang",
        "dongyang",
    ]


def test_the_zones_are_valid_multipolygons_in_wgs84_with_the_plans_text(layout):
    zones = {zone.kind: zone for zone in Zone.objects.all()}
    assert set(zones) == {"ring", "corridor", "belt"}
    for zone in zones.values():
        assert isinstance(zone.geometry, MultiPolygon)
        assert zone.geometry.srid == 4326
        assert zone.geometry.valid
        assert zone.version.startswith("2021-2025.")
        assert zone.description
    assert zones["ring"].name == "环西南大学创新生态圈"
    assert zones["belt"].name == "水土-蔡家高新技术产业带"
    assert "以东阳、朝阳、天生、歇马为节点" in zones["corridor"].description
    assert "水土新城" in zones["belt"].description
    assert "西南大学（重庆）产业技术研究院" in zones["ring"].description


@pytest.mark.skipif(not PLAN.exists(), reason="the plan's text is not beside the repository")
def test_each_description_is_the_plans_own_text():
    plan = "".join(PLAN.read_text(encoding="utf-8").split())
    for spec in SPECS:
        assert spec.description in plan, spec.code
        assert spec.name.replace("-", "") in plan.replace("-", ""), spec.code


def test_buffers_are_measured_in_metres(layout):
    """The ring's area on the spheroid is that of a 3.5 km circle (within the polygon's
    approximation of it), whatever the latitude does to degrees."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, ST_Area(geometry::geography) FROM geo_zone")
        areas = dict(cursor.fetchall())
    ring = next(s for s in SPECS if s.kind == "ring")
    circle = math.pi * ring.buffer_m**2
    assert 0.99 * circle < areas["ring"] < 1.0 * circle
    corridor = next(s for s in SPECS if s.kind == "corridor")
    # Roughly length × width + the round ends; the line is about 14.4 km long.
    expected = 14_400 * 2 * corridor.buffer_m + math.pi * corridor.buffer_m**2
    assert 0.85 * expected < areas["corridor"] < 1.05 * expected


# --- The file: reproducible build, idempotent load -------------------------------------------


def test_building_twice_gives_identical_geojson():
    assert zones_dumps(zones_build()) == zones_dumps(zones_build())


def test_the_committed_file_is_the_build_of_the_committed_places():
    assert ZONES_GEOJSON.read_text(encoding="utf-8") == zones_dumps(zones_build())
    call_command("build_zones", "--check", stdout=io.StringIO())


def test_the_file_is_a_feature_collection_with_the_properties():
    collection = json.loads(ZONES_GEOJSON.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        props = feature["properties"]
        assert set(props) >= {"code", "kind", "name", "name_en", "description", "nodes", "version"}
        assert feature["geometry"]["type"] == "MultiPolygon"
        assert props["version"] == collection["version"]


def test_the_build_command_writes_the_file(tmp_path):
    output = tmp_path / "zones.geojson"
    out = io.StringIO()
    call_command("build_zones", "--output", str(output), stdout=out)
    assert "written" in out.getvalue()
    assert output.read_text(encoding="utf-8") == ZONES_GEOJSON.read_text(encoding="utf-8")
    out = io.StringIO()
    call_command("build_zones", "--output", str(output), stdout=out)
    assert "unchanged" in out.getvalue()


def test_loading_twice_is_idempotent(layout):
    before = {z.code: (z.updated_at, z.geometry.wkb) for z in Zone.objects.all()}
    assert zones_load() == {"created": 0, "updated": 0, "unchanged": 3}
    out = io.StringIO()
    call_command("load_zones", stdout=out)
    assert "0 created, 0 updated, 3 unchanged" in out.getvalue()
    after = {z.code: (z.updated_at, z.geometry.wkb) for z in Zone.objects.all()}
    assert after == before
    assert Zone.objects.count() == 3


def test_loading_restores_an_edited_zone(layout):
    ring = Zone.objects.get(kind="ring")
    ring.name = "改过的名字"
    ring.geometry = MultiPolygon(ring.geometry[0].buffer(0.01), srid=4326)
    ring.save()
    assert zones_load() == {"created": 0, "updated": 1, "unchanged": 2}
    ring.refresh_from_db()
    assert ring.name == "环西南大学创新生态圈"
    assert not ring.geometry.contains(Point(106.413 + 0.04, 29.814, srid=4326))


def _places_with(tmp_path, key: str, **changes) -> Path:
    rows = read_places(PLACES_CSV)
    for row in rows:
        if row["key"] == key:
            row.update(changes)
    path = tmp_path / "places.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_build_refuses_a_zone_that_misses_its_own_place(tmp_path):
    # CIGIT moved 5 km east of Shuitu: the belt would no longer hold it.
    path = _places_with(tmp_path, "cigit", lon="106.575")
    with pytest.raises(ZoneBuildError, match="cigit"):
        zones_build(places_path=path)


def test_the_build_refuses_a_zone_that_takes_in_a_place_outside_beibei(tmp_path):
    path = _places_with(tmp_path, "swust", lat="29.815", lon="106.415")
    with pytest.raises(ZoneBuildError, match="swust"):
        zones_build(places_path=path)


def test_a_moved_node_changes_the_version(tmp_path):
    path = _places_with(tmp_path, "dongyang", lat="29.872")
    assert zones_build(places_path=path)["version"] != zones_build()["version"]


def test_the_admin_edits_a_zone_on_the_local_map_widget(client, layout, django_user_model):
    admin = django_user_model.objects.create_superuser("zoneadmin", password="x" * 12)
    client.force_login(admin)
    ring = Zone.objects.get(kind="ring")
    html = client.get(f"/admin/geo/zone/{ring.pk}/change/").content.decode()
    assert "vendor/ol-7.2.2/ol.js" in html
    assert "cdn" not in html.lower()
    assert "环西南大学创新生态圈" in html
