"""The layout map in Chromium with every request that leaves the portal blocked."""

from unittest import mock

import pytest

from geo.map import build as map_build
from geo.map import tasks
from sharing.catalogue.models import Platform
from tests.geo.test_map import XSS, make_layout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def built_map(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MAP_BASEMAP = "osm"
    # Saves in a transactional test commit and would ask Redis and Celery for a rebuild.
    with mock.patch.object(tasks.build_map, "apply_async"):
        make_layout()
    return map_build.build_layout_map()


def test_map_draws_its_layers_with_no_outside_request(page, live_server, artifacts, built_map):
    blocked, errors, dialogs = [], [], []

    def route(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/map/")
    assert page.locator("h1").inner_text() == "一圈一廊一带布局地图"
    frame = page.frame_locator("#layout-map")
    frame.locator(".leaflet-container").wait_for()
    paths = frame.locator("path.leaflet-interactive")
    paths.first.wait_for()
    # 3 zones + 8 plan nodes + 4 platforms + 2 flow curves, each an SVG path.
    assert paths.count() >= 3 + 8 + 4 + 2
    layers = frame.locator(".leaflet-control-layers-overlays label")
    assert layers.count() == 3 + 1 + 6 + 1
    labels = layers.all_inner_texts()
    assert any("环西南大学创新生态圈" in text for text in labels)
    assert any("孵化载体（1）" in text for text in labels)
    assert frame.locator(".mb-legend").inner_text().startswith("图例")
    zone_paths = frame.locator('path.leaflet-interactive[stroke="#d7301f"]')
    assert zone_paths.count() == 1
    kind_paths = frame.locator('path.leaflet-interactive[fill="#e66101"]')  # the incubator
    assert kind_paths.count() == 1

    # The platform named like an attack shows as text, and no image element is made of it.
    frame.locator('path.leaflet-interactive[fill="#a6611a"]').click()  # new R&D institute
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text()
    assert frame.locator('img[src="x"]').count() == 0
    # The popup's link opens the platform's page in the whole tab (the map is a frame).
    platform = Platform.objects.get(name=XSS)
    link = popup.locator("a")
    assert link.get_attribute("href") == f"/platforms/{platform.pk}/"
    assert link.get_attribute("target") == "_top"
    assert "近似位置" in popup.inner_text()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts / "map.png")
    frame.locator(".leaflet-popup-close-button").click()

    # Both cities: the view buttons fit Mianyang and Beibei together (about 300 km apart).
    frame.locator('button[data-view="both"]').click()
    page.wait_for_timeout(600)
    page.screenshot(path=artifacts / "map-both.png")

    assert dialogs == []
    # Only map tiles came from elsewhere (and were blocked); every script and style is local.
    assert blocked and all(url.startswith("https://tile.openstreetmap.org/") for url in blocked)
    tile_failures = ("Failed to load resource",)
    assert [e for e in errors if not e.startswith(tile_failures)] == []
