"""The spatial API: GeoJSON zones and platforms (read back with GDAL), locate, nearest
instruments, zone figures, and the API's one error shape for bad input."""

import json
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pyogrio
import pytest
from django.contrib.gis.geos import Point

from demo.loader import REGIONS
from geo.zones_build import zones_load
from portal.accounts.services import region_upsert
from sharing.catalogue.models import Platform
from sharing.catalogue.places import places_load
from tests.factories import InstrumentFactory, OrganisationFactory, PlatformFactory, beibei

SWU = (106.413, 29.814)
MIANYANG = (104.679, 31.468)
BEIBEI_PLATFORMS_IN_RING = {
    "西南大学（重庆）产业技术研究院",
    "北碚国家大学科技园",
    "亿达创智广场",
    "朝阳文创大道",
    "国家两用技术交易中心重庆分中心",
    "四川军民融合大型科学仪器共享平台重庆中心",
}


@pytest.fixture
def layout(db):
    for region in REGIONS:
        region_upsert(**region)
    places_load()
    zones_load()


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return {f["properties"]["name"] for f in body["features"]}


def _error(response, status=400) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def _read_with_gdal(response, tmp_path, name: str):
    path = tmp_path / f"{name}.geojson"
    path.write_bytes(response.content)
    return pyogrio.read_dataframe(path)


# --- Zones -----------------------------------------------------------------------------------


def test_zones_are_a_feature_collection_gdal_reads(api, layout, tmp_path):
    response = api.get("/api/geo/zones/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == [
        "swu-ring",
        "smart-corridor",
        "shuitu-caijia-belt",
    ]
    ring = body["features"][0]
    assert ring["geometry"]["type"] == "MultiPolygon"
    assert ring["properties"]["kind_label"] == "一圈"
    assert ring["properties"]["description"].startswith("依托西南大学科研技术")

    frame = _read_with_gdal(response, tmp_path, "zones")
    assert len(frame) == 3
    assert frame.crs.to_epsg() == 4326
    assert set(frame.geom_type) == {"MultiPolygon"}
    assert set(frame["kind"]) == {"ring", "corridor", "belt"}
    assert frame.geometry.is_valid.all()


# --- Platforms ---------------------------------------------------------------------------------


def test_platforms_are_geojson_with_what_a_popup_needs(api, layout, tmp_path):
    response = api.get("/api/geo/platforms/")
    body = response.json()
    assert body["next"] is None
    assert len(body["features"]) == Platform.objects.exclude(location=None).count() == 10
    centre = next(
        f for f in body["features"] if f["properties"]["name"].endswith("共享平台重庆中心")
    )
    assert centre["geometry"] == {"type": "Point", "coordinates": [106.427, 29.823]}
    props = centre["properties"]
    assert props["kind"] == "sharing_platform" and props["kind_label"] == "共享平台"
    assert props["level"] == "provincial" and props["level_label"] == "省级"
    assert props["host"] == "四川军民融合大型科学仪器共享平台重庆中心"
    assert props["region"] == "beibei" and props["region_name"] == "北碚"
    assert props["location_confidence"] == "low" and props["location_approximate"] is True
    assert props["location_confidence_label"] == "近似位置"
    assert props["distance_m"] is None

    frame = _read_with_gdal(response, tmp_path, "platforms")
    assert len(frame) == 10
    assert set(frame.geom_type) == {"Point"}
    assert "location_approximate" in frame.columns


def test_ogrinfo_reads_the_platforms(api, layout, tmp_path):
    path = tmp_path / "platforms.geojson"
    path.write_bytes(api.get("/api/geo/platforms/?region=mianyang").content)
    result = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True
    )
    assert "Feature Count: 2" in result.stdout
    assert "Geometry: Point" in result.stdout


def test_platforms_filter_by_kind_region_and_zone(api, layout):
    parks = _names(api.get("/api/geo/platforms/?kind=industrial_park"))
    assert parks == {
        "亿达创智广场",
        "朝阳文创大道",
        "高新区歇马拓展园（智能传感器特色产业基地）",
        "重庆市工业互联网产业生态园",
        "绵阳高新技术产业开发区",
    }
    assert _names(api.get("/api/geo/platforms/?region=mianyang")) == {
        "绵阳高新技术产业开发区",
        "四川军民融合大型科学仪器共享平台",
    }
    assert _names(api.get("/api/geo/platforms/?region=510700")) == _names(
        api.get("/api/geo/platforms/?region=mianyang")
    )
    assert _names(api.get("/api/geo/platforms/?zone=swu-ring")) == BEIBEI_PLATFORMS_IN_RING
    assert _names(api.get("/api/geo/platforms/?zone=shuitu-caijia-belt")) == {
        "重庆市工业互联网产业生态园"
    }
    corridor = _names(api.get("/api/geo/platforms/?zone=smart-corridor&kind=industrial_park"))
    assert "高新区歇马拓展园（智能传感器特色产业基地）" in corridor
    assert "重庆市工业互联网产业生态园" not in corridor


def test_platforms_in_a_bbox(api, layout):
    around_mianyang = _names(api.get("/api/geo/platforms/?in_bbox=104.5,31.3,104.9,31.6"))
    assert around_mianyang == {"绵阳高新技术产业开发区", "四川军民融合大型科学仪器共享平台"}
    shuitu = _names(api.get("/api/geo/platforms/?in_bbox=106.48,29.73,106.53,29.82"))
    assert shuitu == {"重庆市工业互联网产业生态园"}
    assert _names(api.get("/api/geo/platforms/?in_bbox=0,0,1,1")) == set()


def test_platforms_within_a_distance_in_metres(api, layout):
    response = api.get("/api/geo/platforms/?point=106.413,29.814&dist=1500")
    features = response.json()["features"]
    by_name = {f["properties"]["name"]: f["properties"]["distance_m"] for f in features}
    # 656 m and 1239 m from the campus centre (UTM 48N); the next platform is 1681 m away.
    assert set(by_name) == {"西南大学（重庆）产业技术研究院", "北碚国家大学科技园"}
    assert 640 < by_name["西南大学（重庆）产业技术研究院"] < 670
    assert 1220 < by_name["北碚国家大学科技园"] < 1260
    wider = _names(api.get("/api/geo/platforms/?point=106.413,29.814&dist=1700"))
    assert "四川军民融合大型科学仪器共享平台重庆中心" in wider
    far = api.get("/api/geo/platforms/?point=104.679,31.468&dist=1100&region=mianyang")
    assert {
        f["properties"]["name"]: round(f["properties"]["distance_m"])
        for f in far.json()["features"]
    } == {"绵阳高新技术产业开发区": 674, "四川军民融合大型科学仪器共享平台": 1069}
    # The Mianyang government and the Beibei centre are 247.6 km apart on the spheroid.
    near_miss = _names(api.get("/api/geo/platforms/?point=104.679,31.468&dist=247000"))
    assert "四川军民融合大型科学仪器共享平台重庆中心" not in near_miss
    reach = _names(api.get("/api/geo/platforms/?point=104.679,31.468&dist=248000"))
    assert "四川军民融合大型科学仪器共享平台重庆中心" in reach


def test_platform_pages_follow_next_without_gaps(api, layout):
    seen: list[int] = []
    url = "/api/geo/platforms/?limit=3"
    pages = 0
    while url:
        body = api.get(url).json()
        seen += [f["id"] for f in body["features"]]
        assert len(body["features"]) <= 3
        url = body["next"]
        if url:
            assert parse_qs(urlparse(url).query)["limit"] == ["3"]
        pages += 1
    assert pages == 4
    assert seen == sorted(seen) and len(set(seen)) == 10


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("in_bbox=1,2,3", "in_bbox"),
        ("in_bbox=a,b,c,d", "in_bbox"),
        ("in_bbox=106,29,200,30", "in_bbox"),
        ("in_bbox=107,29,106,30", "in_bbox"),
        ("in_bbox=nan,29,106,30", "in_bbox"),
        ("point=106.4,29.8", "dist"),
        ("dist=100", "point"),
        ("point=106.4&dist=100", "point"),
        ("point=106.4,99&dist=100", "point"),
        ("point=106.4,29.8&dist=-1", "dist"),
        ("point=106.4,29.8&dist=nan", "dist"),
        ("kind=castle", "kind"),
        ("zone=atlantis", "zone"),
        ("region=Not%20a%20region", "region"),
        ("limit=0", "limit"),
        ("limit=5001", "limit"),
        ("after=-1", "after"),
    ],
)
def test_bad_platform_filters_are_400_in_the_one_error_shape(api, layout, query, field):
    error = _error(api.get(f"/api/geo/platforms/?{query}"))
    assert error["code"] == "invalid"
    assert field in error["fields"], error


def test_a_platform_name_with_markup_comes_back_as_plain_json_text(api, layout, tmp_path):
    name = "<img src=x onerror=alert(1)>"
    PlatformFactory(name=name, location=Point(106.42, 29.82, srid=4326))
    response = api.get("/api/geo/platforms/?in_bbox=106.419,29.819,106.421,29.821")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["features"][0]["properties"]["name"] == name
    assert json.dumps(name) in response.content.decode()
    frame = _read_with_gdal(response, tmp_path, "markup")
    assert list(frame["name"]) == [name]


# --- Locate ------------------------------------------------------------------------------------


def test_locate_names_the_zones_holding_a_point(api, layout):
    body = api.get("/api/geo/locate/", {"lon": SWU[0], "lat": SWU[1]}).json()
    assert body["lon"] == SWU[0] and body["lat"] == SWU[1]
    kinds = [z["kind"] for z in body["zones"]]
    # The campus is the ring's centre, and 天生 (the corridor's node) is built around it.
    assert kinds == ["ring", "corridor"]
    assert body["zones"][0]["name"] == "环西南大学创新生态圈"
    assert body["zones"][0]["code"] == "swu-ring"
    belt = api.get("/api/geo/locate/?lon=106.522&lat=29.812").json()["zones"]
    assert [z["code"] for z in belt] == ["shuitu-caijia-belt"]
    assert (
        api.get("/api/geo/locate/", {"lon": MIANYANG[0], "lat": MIANYANG[1]}).json()["zones"] == []
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "lon=106.4",
        "lat=29.8",
        "lon=181&lat=29.8",
        "lon=106.4&lat=-91",
        "lon=abc&lat=29.8",
        "lon=nan&lat=29.8",
        "lon=106.4&lat=inf",
    ],
)
def test_locate_refuses_bad_coordinates(api, layout, query):
    assert _error(api.get(f"/api/geo/locate/?{query}"))["code"] == "invalid"


# --- Nearest instruments -------------------------------------------------------------------------


def _instrument(lon, lat, **fields):
    return InstrumentFactory(location=Point(lon, lat, srid=4326), **fields)


def test_nearest_instruments_come_nearest_first_with_metres(api, db):
    org = OrganisationFactory(region=beibei())
    far = _instrument(106.45, 29.85, organisation=org, name="远处的仪器")
    near = _instrument(106.414, 29.814, organisation=org, name="近处的仪器")
    middle = _instrument(106.42, 29.82, organisation=org, category_code="020101")
    _instrument(106.4131, 29.8141, organisation=org, withdrawn_at=datetime(2025, 1, 1, tzinfo=UTC))
    InstrumentFactory(organisation=org, location=None)

    body = api.get("/api/geo/nearest-instruments/", {"lon": SWU[0], "lat": SWU[1]}).json()
    ids = [row["id"] for row in body["results"]]
    assert ids == [near.id, middle.id, far.id]
    distances = [row["distance_m"] for row in body["results"]]
    assert distances == sorted(distances)
    assert 90 < distances[0] < 100  # 0.001° of longitude at 29.8° N is about 96.7 m
    assert body["results"][0]["location"] == {"lon": 106.414, "lat": 29.814}
    assert body["results"][0]["organisation"] == org.name

    only_02 = api.get(f"/api/geo/nearest-instruments/?lon={SWU[0]}&lat={SWU[1]}&category=02")
    assert [row["id"] for row in only_02.json()["results"]] == [middle.id]
    one = api.get(f"/api/geo/nearest-instruments/?lon={SWU[0]}&lat={SWU[1]}&limit=1")
    assert [row["id"] for row in one.json()["results"]] == [near.id]


def test_nearest_is_ranked_in_metres_not_degrees(api, db):
    """At 29.8° N a degree of longitude is 14 % shorter than one of latitude: an instrument
    0.0100° east (966 m) is nearer than twenty at 0.0090–0.0095° north (998–1054 m), although
    the index ranks those first in degrees."""
    org = OrganisationFactory(region=beibei())
    lon, lat = 106.5, 29.8
    for step in range(20):
        _instrument(lon, lat + 0.0090 + step * 0.000025, organisation=org)
    east = _instrument(lon + 0.0100, lat, organisation=org)
    body = api.get(f"/api/geo/nearest-instruments/?lon={lon}&lat={lat}&limit=1").json()
    assert [row["id"] for row in body["results"]] == [east.id]
    assert 960 < body["results"][0]["distance_m"] < 972


def test_nearest_is_an_index_backed_knn_query(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from geo.selectors import instruments_nearest

    point = Point(*SWU, srid=4326)
    with CaptureQueriesContext(connection) as queries:
        instruments_nearest(point=point, category="01", limit=5)
    sql = queries.captured_queries[0]["sql"]
    assert "<->" in sql and "LIMIT" in sql
    # The plan orders by the GiST index (on a tiny table the planner would rather sort).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # KNN on the spheroid's geography index: exact in metres in one scan.
    assert "Index Scan using instrument_location_geography" in plan, plan
    assert "Order By: ((location)::geography <->" in plan, plan


@pytest.mark.parametrize(
    "query",
    [
        "lon=106.4",
        "lon=106.4&lat=95",
        "lon=x&lat=29.8",
        "lon=106.4&lat=29.8&limit=101",
        "lon=106.4&lat=29.8&limit=0",
        "lon=106.4&lat=29.8&category=1",
    ],
)
def test_nearest_refuses_bad_input(api, db, query):
    assert _error(api.get(f"/api/geo/nearest-instruments/?{query}"))["code"] == "invalid"


# --- Zone figures ----------------------------------------------------------------------------


def test_zone_stats_count_platforms_and_instruments(api, layout):
    org = OrganisationFactory(region=beibei())
    park = Platform.objects.get(place_key="bb_unisci_park")
    _instrument(106.414, 29.815, organisation=org, original_value=Decimal("120.50"))
    InstrumentFactory(organisation=org, platform=park, location=None, original_value=10)
    _instrument(106.52, 29.81, organisation=org, original_value=Decimal("999"))  # in the belt
    _instrument(
        106.415,
        29.815,
        organisation=org,
        original_value=5,
        withdrawn_at=datetime(2025, 1, 1, tzinfo=UTC),
    )

    body = api.get("/api/geo/zones/swu-ring/stats/").json()
    assert body["zone"]["code"] == "swu-ring" and body["zone"]["kind"] == "ring"
    assert body["platforms"]["total"] == len(BEIBEI_PLATFORMS_IN_RING)
    by_kind = {row["kind"]: row["count"] for row in body["platforms"]["by_kind"]}
    assert by_kind == {
        "sharing_platform": 2,
        "new_rd_institute": 1,
        "incubator": 1,
        "industrial_park": 2,
    }
    by_level = {row["level"]: (row["label"], row["count"]) for row in body["platforms"]["by_level"]}
    assert by_level["national"] == ("国家级", 2)
    assert by_level["provincial"] == ("省级", 1)
    assert by_level[""][1] == 3
    assert body["instruments"] == {"count": 2, "original_value_total": "130.50"}

    belt = api.get("/api/geo/zones/shuitu-caijia-belt/stats/").json()
    assert belt["instruments"] == {"count": 1, "original_value_total": "999.00"}


def test_stats_of_an_unknown_zone_is_404(api, layout):
    assert _error(api.get("/api/geo/zones/atlantis/stats/"), 404)["code"] == "not_found"


def test_the_geo_api_is_read_only(api, layout):
    for url in ("/api/geo/zones/", "/api/geo/platforms/", "/api/geo/locate/?lon=1&lat=1"):
        assert api.post(url, {}).status_code == 405
