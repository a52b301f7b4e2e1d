"""The lean platforms page (geo.api.platforms.platform_features) gives, byte for byte, the answer
PlatformFeatureSerializer gives for the same page: same keys in the same order, same values,
same coordinates as GDAL writes them, same escaping, same next link, in both languages and
for every reader."""

import json
import random
from unittest import mock

import pytest
from django.contrib.gis.geos import Point
from rest_framework import generics

from geo.api.platforms import PlatformGeoApi, gdal_point_coordinates
from sharing.catalogue.models import Platform
from tests.factories import OrganisationFactory, PlatformFactory, UserFactory, beibei, mianyang

# Doubles GDAL's GeoJSON export rounds at the 15th decimal (Python's repr would not).
AWKWARD = (106.42656512399999, 31.430539650231022)


@pytest.fixture
def platforms(db):
    rng = random.Random(17)
    host = OrganisationFactory(name='依托单位 "引号" & <b>粗体</b>')
    my = mianyang()
    PlatformFactory(
        name="<script>alert('x')</script>平台",
        name_en="Line\u2028separator & <i>",
        kind=Platform.Kind.KEY_LABORATORY,
        level="national",
        host=host,
        location=Point(*AWKWARD, srid=4326),
        location_confidence="high",
        location_note="门口\n有“牌子”",
    )
    PlatformFactory(name="无位置平台", location=None, location_confidence="")
    kinds, levels = Platform.Kind.values, ["", *Platform.Level.values]
    for n in range(40):
        PlatformFactory(
            name=f"平台{n}",
            kind=kinds[n % len(kinds)],
            level=levels[n % len(levels)],
            host=host if n % 3 else None,
            region=my if n % 4 == 0 else beibei(),
            location=Point(rng.uniform(106.3, 106.6), rng.uniform(29.7, 29.9), srid=4326),
            location_confidence=["high", "medium", "low"][n % 3],
        )


def _both(client, url: str, **headers) -> tuple[bytes, bytes]:
    lean = client.get(url, **headers)
    with mock.patch.object(PlatformGeoApi, "list", generics.ListAPIView.list):
        serialized = client.get(url, **headers)
    assert lean.status_code == serialized.status_code == 200
    assert lean["Content-Type"] == serialized["Content-Type"]
    return lean.content, serialized.content


QUERIES = [
    "/api/geo/platforms/",
    "/api/geo/platforms/?limit=7",
    "/api/geo/platforms/?limit=7&after=5",
    "/api/geo/platforms/?in_bbox=106.3,29.7,106.6,29.9&limit=10",
    "/api/geo/platforms/?in_bbox=106.4,29.75,106.5,29.85",
    "/api/geo/platforms/?point=106.45,29.8&dist=8000",
    "/api/geo/platforms/?point=106.45,29.8&dist=8000&limit=3&kind=key_laboratory",
    "/api/geo/platforms/?region=mianyang",
    "/api/geo/platforms/?in_bbox=0,0,1,1",
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("url", QUERIES)
def test_the_lean_page_is_the_serializers_page(api, platforms, url, language, signed_in):
    if signed_in:
        api.force_authenticate(UserFactory())
    lean, serialized = _both(api, url, HTTP_ACCEPT_LANGUAGE=language)
    assert lean == serialized


def test_the_pages_are_not_trivially_equal(api, platforms):
    body = api.get("/api/geo/platforms/", HTTP_ACCEPT_LANGUAGE="en").json()
    first = body["features"][0]
    assert first["geometry"]["coordinates"] == [106.426565124, 31.430539650231022]
    assert first["properties"]["name"] == "<script>alert('x')</script>平台"
    assert first["properties"]["kind_label"] != "重点实验室"  # translated
    assert any(f["properties"]["distance_m"] is None for f in body["features"])
    near = api.get("/api/geo/platforms/?point=106.45,29.8&dist=8000").json()
    assert near["features"] and all(
        isinstance(f["properties"]["distance_m"], float) for f in near["features"]
    )
    paged = api.get("/api/geo/platforms/?limit=7").json()
    assert "after=" in paged["next"]


def test_gdal_coordinates_match_a_lone_points_export():
    rng = random.Random(5)
    pairs = [AWKWARD] + [(rng.uniform(-180, 180), rng.uniform(-90, 90)) for _ in range(3000)]
    pairs += [(round(x, 6), round(y, 6)) for x, y in pairs[:500]] + [(0.0, -0.0), (1e-9, 180)]
    expected = [json.loads(Point(x, y, srid=4326).geojson)["coordinates"] for x, y in pairs]
    assert gdal_point_coordinates(pairs) == expected
