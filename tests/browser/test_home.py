import pytest

from tests.factories import beibei, mianyang

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_switches_to_english_and_back(page, live_server, artifacts):
    mianyang(), beibei()
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "绵碚合作资源共享门户"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.screenshot(path=artifacts / "home-zh.png", full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Mianyang–Beibei Resource-Sharing Portal"
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Mianyang" in page.locator("table.data").inner_text()
    page.screenshot(path=artifacts / "home-en.png", full_page=True)

    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "绵碚合作资源共享门户"
    assert page.foreign_requests == []


@pytest.mark.parametrize("path", ["/", "/platforms/", "/login/", "/api/docs/", "/admin/login/"])
def test_pages_load_nothing_from_another_host(page, live_server, path):
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert page.foreign_requests == []


TILE_HOSTS = ("https://tile.openstreetmap.org/", "https://a.tile.openstreetmap.org/")


def test_the_admin_map_widget_loads_openlayers_from_the_portal(page, live_server):
    from portal.accounts.models import User

    User.objects.create_superuser("root_admin", "root@example.cn", "correct horse battery")
    page.goto(live_server.url + "/admin/login/?next=/admin/catalogue/platform/add/")
    page.fill("#id_username", "root_admin")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector(".ol-viewport")
    # Map tiles are the one thing allowed to come from elsewhere (a tile server).
    assert [url for url in page.foreign_requests if not url.startswith(TILE_HOSTS)] == []
