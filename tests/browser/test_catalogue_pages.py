from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point

from tests.factories import OrganisationFactory, PlatformFactory, beibei
from tests.frontend.test_catalogue_pages import SCRIPT, make_instrument

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Map tiles are the one thing a page may fetch from another host.
TILE_HOSTS = ("https://tile.openstreetmap.org/",)


def _catalogue():
    swu = OrganisationFactory(
        name="西南大学",
        region=beibei(),
        location=Point(106.4201, 29.8236, srid=4326),
        location_confidence="medium",
    )
    platform = PlatformFactory(name="北碚大型仪器共享平台", host=swu, level="district")
    return make_instrument(
        platform=platform,
        name="场发射扫描电子显微镜",
        model="Sigma 500",
        manufacturer="Carl Zeiss",
        country="DE",
        original_value=Decimal("380.50"),
        specifications="分辨率 0.8 nm @ 15 kV；放大倍数 10–1,000,000×",
        functions="形貌观察、能谱成分分析",
        services="材料、生物样品的形貌表征",
        fee_text="校内 200 元/小时；校外 400 元/小时",
        rate_internal=Decimal("200"),
        rate_other_region=Decimal("400"),
        address="西南大学第一实验楼 101",
        contact_name="王老师",
        contact_phone="023-68251234",
        contact_email="sem@swu.edu.cn",
    )


def test_instrument_page_draws_its_map_from_the_portal(page, live_server, artifacts):
    instrument = _catalogue()
    page.goto(f"{live_server.url}/instruments/{instrument.pk}/")
    page.wait_for_selector(".leaflet-container")
    page.wait_for_selector(".leaflet-marker-icon")
    page.wait_for_selector(".leaflet-control-scale")
    page.wait_for_function(
        "document.querySelector('.leaflet-marker-icon').complete"
        " && document.querySelector('.leaflet-marker-icon').naturalWidth === 25"
    )
    assert page.locator(".leaflet-tooltip").inner_text() == "场发射扫描电子显微镜"
    assert page.locator("h1").inner_text() == "场发射扫描电子显微镜"
    assert "023-****1234" in page.locator(".contact-phone").inner_text()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts / "instrument-detail.png", full_page=True)
    assert [url for url in page.foreign_requests if not url.startswith(TILE_HOSTS)] == []


def test_map_label_is_text_not_html(page, live_server):
    instrument = make_instrument(
        organisation=OrganisationFactory(
            location=Point(106.43, 29.82, srid=4326), location_confidence="high"
        ),
        name=SCRIPT,
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/instruments/{instrument.pk}/")
    page.wait_for_selector(".leaflet-tooltip")
    assert page.locator(".leaflet-tooltip").inner_text() == SCRIPT
    assert page.locator(".leaflet-tooltip script").count() == 0
    assert dialogs == []


def test_map_still_draws_marker_and_scale_without_tiles(page, live_server, monkeypatch):
    from geo.map import basemaps

    dead = basemaps.Tiles("http://127.0.0.1:9/{z}/{x}/{y}.png", "")  # nothing listens there
    monkeypatch.setattr(basemaps, "OSM", basemaps.Basemap("osm", tiles=(dead,)))
    instrument = _catalogue()
    page.goto(f"{live_server.url}/instruments/{instrument.pk}/")
    page.wait_for_selector(".leaflet-marker-icon")
    page.wait_for_selector(".leaflet-control-scale-line")
    page.wait_for_selector(".minimap-no-tiles")


@pytest.mark.parametrize("path", ["/instruments/", "organisation", "platform"])
def test_catalogue_pages_load_nothing_but_tiles_from_elsewhere(page, live_server, path):
    instrument = _catalogue()
    if path == "organisation":
        path = f"/organisations/{instrument.organisation_id}/"
    elif path == "platform":
        path = f"/platforms/{instrument.platform_id}/"
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert [url for url in page.foreign_requests if not url.startswith(TILE_HOSTS)] == []
