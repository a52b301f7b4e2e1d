"""The home page says what to do next; the platforms page shows zones and counts, not raw
coordinates, with filters."""

import pytest
from django.contrib.gis.geos import Point

from demo.loader import REGIONS
from geo.zones_build import zones_load
from portal.accounts.services import region_upsert
from sharing.catalogue.models import Platform
from sharing.catalogue.places import places_load
from tests.factories import InstrumentFactory, PlatformFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def layout(db):
    for region in REGIONS:
        region_upsert(**region)
    places_load()
    zones_load()


def test_home_offers_a_search_box_and_the_next_step_of_each_visitor(client):
    page = client.get("/").content.decode()
    assert 'action="/instruments/"' in page and 'name="q"' in page
    for link in ('href="/instruments/"', 'href="/tech/"', "/tech/needs/new/", "/map/"):
        assert link in page
    assert "获取账号" in page
    client.force_login(UserFactory())
    assert "获取账号" not in client.get("/").content.decode()


def test_home_in_english_says_the_same(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Find an instrument" in page and "Get an account" in page


def test_platforms_show_zones_and_live_instrument_counts_not_coordinates(client, layout):
    swu_park = Platform.objects.get(name="北碚国家大学科技园")
    InstrumentFactory(platform=swu_park)
    InstrumentFactory(platform=swu_park)
    InstrumentFactory(platform=swu_park, withdrawn_at="2026-01-01T00:00:00+08:00")
    page = client.get("/platforms/").content.decode()
    assert "环西南大学创新生态圈" in page
    assert f'href="/instruments/?platform={swu_park.pk}">2</a>' in page
    assert f"{swu_park.location.y:.3f}" not in page


def test_platforms_filter_by_region_kind_and_zone(client, layout):
    outside = PlatformFactory(name="区外测试平台", location=Point(106.9, 30.2, srid=4326))
    ring = client.get("/platforms/", {"zone": "swu-ring"}).content.decode()
    assert "北碚国家大学科技园" in ring and outside.name not in ring
    mianyang = client.get("/platforms/", {"region": "mianyang"}).content.decode()
    assert "北碚国家大学科技园" not in mianyang
    parks = client.get("/platforms/", {"kind": "industrial_park"}).content.decode()
    assert "四川军民融合大型科学仪器共享平台重庆中心" not in parks


def test_a_filter_that_is_not_a_choice_is_a_400_with_the_form(client, layout):
    response = client.get("/platforms/", {"kind": "<script>"})
    assert response.status_code == 400
    assert b"<script>" not in response.content
