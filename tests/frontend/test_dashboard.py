"""The coordinators' dashboard: who may see it, the figures on the page, charts and exports."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role
from tests.factories import UserFactory
from tests.geo.test_analysis import YEAR, build_world

FORMULA = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def world(transactional_db, settings):
    settings.INDICATOR_YEARLY_BASE_HOURS = 100
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"}
    }
    from django.core.cache import cache

    cache.clear()
    return build_world(ring_name=FORMULA)


@pytest.fixture
def coordinator(world):
    return UserFactory(username="coord", roles=[Role.COORDINATOR])


def row(html: str, attr: str, key: str) -> str:
    match = re.search(rf'<tr[^>]*data-{attr}="{re.escape(key)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {attr}={key}"
    return re.sub(r"\s+", " ", match.group(1))


def cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row_html)]


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/export/zones.csv", "/dashboard/chart/zones.png"]
)
def test_researchers_get_403(client, db, path):
    client.force_login(UserFactory(roles=[Role.RESEARCHER, Role.INSTRUMENT_MANAGER]))
    assert client.get(path).status_code == 403


def test_the_nav_links_the_dashboard_for_coordinators_only(client, world, coordinator):
    client.force_login(UserFactory(roles=[Role.RESEARCHER]))
    assert "协调看板" not in client.get("/").content.decode()
    client.force_login(coordinator)
    assert 'href="/dashboard/"' in client.get("/").content.decode()


def test_the_coordinator_sees_the_figures(client, world, coordinator):
    client.force_login(coordinator)
    response = client.get(f"/dashboard/?year={YEAR}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "协调看板" in html
    assert f'<option value="{YEAR}" selected>' in html

    ring = cells(row(html, "zone", "ring"))
    # The formula-looking zone name is shown as text, escaped.
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;点我&quot;)" in row(
        html, "zone", "ring"
    )
    assert ring[2:] == [
        "2",
        "共享平台 1重点实验室 1",
        "国家级 1省级 1",
        "2",
        "300.50",
        "3",
        "6.50",
        "33.3%",
        "23.1%",
        "120.00",
    ]
    assert cells(row(html, "zone", "belt"))[7:] == ["0", "0", "—", "—", "0.00"]

    beibei = cells(row(html, "region", "beibei"))
    assert beibei[0] == "北碚"
    assert beibei[4:] == ["3", "300.50", "4", "10.50", "50.0%", "52.4%", "71.4%", "3.5%", "170.00"]
    assert cells(row(html, "flow", "mianyang-beibei")) == ["绵阳", "北碚", "2", "5.50"]
    assert cells(row(html, "flow", "beibei-mianyang")) == ["北碚", "绵阳", "1", "2"]
    assert 'src="/dashboard/chart/zones.png?year=2025"' in html
    assert 'href="/dashboard/export/regions.xlsx?year=2025"' in html


def test_administrators_see_it_too(client, world):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    assert client.get("/dashboard/").status_code == 200
    client.force_login(UserFactory(roles=[], is_superuser=True))
    assert client.get("/dashboard/").status_code == 200


def test_the_year_selector_changes_the_figures(client, world, coordinator):
    client.force_login(coordinator)
    html = client.get("/dashboard/?year=2024").content.decode()
    assert cells(row(html, "flow", "mianyang-beibei")) == ["绵阳", "北碚", "1", "1"]
    # Nonsense falls back to this year.
    assert client.get("/dashboard/?year=abc").status_code == 200
    assert client.get("/dashboard/?year=1066").status_code == 200


def test_the_page_renders_in_english(client, world, coordinator):
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    html = client.get(f"/dashboard/?year={YEAR}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert cells(row(html, "flow", "mianyang-beibei"))[:2] == ["Mianyang", "Beibei"]


def test_csv_export_has_a_bom_headers_and_guarded_formulas(client, world, coordinator):
    client.force_login(coordinator)
    response = client.get(f"/dashboard/export/zones.csv?year={YEAR}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["代号", "分区", "类型", "面积（平方公里）", "平台数"]
    ring = next(r for r in rows if r[0] == "ring")
    assert ring[1] == "'" + FORMULA
    assert ring[rows[0].index("仪器原值（万元）")] == "300.5"
    assert ring[rows[0].index("创新券使用（元）")] == "120.0"


def test_xlsx_exports(client, world, coordinator):
    client.force_login(coordinator)
    for table, headers in (
        ("zones", ["代号", "分区", "类型"]),
        ("regions", ["代号", "地区", "平台数"]),
        ("flows", ["需求方地区", "仪器所在地区", "跨地区", "预约数", "机时"]),
    ):
        response = client.get(f"/dashboard/export/{table}.xlsx?year={YEAR}")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        sheet = book.active
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0][: len(headers)]) == headers
    zones = load_workbook(
        io.BytesIO(
            b"".join(client.get(f"/dashboard/export/zones.xlsx?year={YEAR}").streaming_content)
        )
    ).active
    ring = next(r for r in zones.iter_rows(values_only=True) if r[0] == "ring")
    assert ring[1] == "'" + FORMULA
    assert all(c.data_type != "f" for r in zones.iter_rows() for c in r)


@pytest.fixture
def hidden_formula_world(world):
    # A zone named before control characters were refused, or written past the forms.
    from django.core.cache import cache

    from geo.models import Zone

    Zone.objects.filter(code="ring").update(name="\x01" + FORMULA)
    cache.clear()
    return world


def test_a_formula_behind_a_control_character_stays_text_in_the_xlsx(
    client, hidden_formula_world, coordinator
):
    client.force_login(coordinator)
    response = client.get(f"/dashboard/export/zones.xlsx?year={YEAR}")
    zones = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    ring = next(r for r in zones.iter_rows() if r[0].value == "ring")
    assert ring[1].data_type != "f"
    assert ring[1].value == "'" + FORMULA


def test_unknown_exports_and_charts_are_404(client, world, coordinator):
    client.force_login(coordinator)
    assert client.get("/dashboard/export/people.csv").status_code == 404
    assert client.get("/dashboard/export/zones.pdf").status_code == 404
    assert client.get("/dashboard/chart/pie.png").status_code == 404


def test_charts_are_png(client, world, coordinator):
    client.force_login(coordinator)
    for name in ("zones", "flows"):
        response = client.get(f"/dashboard/chart/{name}.png?year={YEAR}")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")


def test_the_page_works_when_the_cache_is_down(client, world, coordinator, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    # Sessions live in the database here; the page must not depend on the cache either way.
    client.force_login(coordinator)
    response = client.get(f"/dashboard/?year={YEAR}")
    assert response.status_code == 200
    assert cells(row(response.content.decode(), "flow", "mianyang-beibei"))[2:] == ["2", "5.50"]


def test_the_dashboard_and_the_map_link_to_each_other(
    client, world, coordinator, settings, tmp_path
):
    client.force_login(coordinator)
    html = client.get(f"/dashboard/?year={YEAR}").content.decode()
    assert 'class="to-map" href="/map/"' in html
    settings.MEDIA_ROOT = str(tmp_path)
    from geo.map import build as map_build

    map_build.build_layout_map()
    assert 'class="to-dashboard" href="/dashboard/"' in client.get("/map/").content.decode()


def test_overlapping_zones_are_marked_and_tables_keep_their_first_column(
    client, world, coordinator
):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo.models import Zone

    # The belt moved over the ring (one zone per kind).
    Zone.objects.filter(code="belt").update(
        name="与圈重叠的带",
        geometry=MultiPolygon(Polygon.from_bbox((106.41, 29.81, 106.43, 29.83)), srid=4326),
    )
    client.force_login(coordinator)
    html = client.get(f"/dashboard/?year={YEAR}").content.decode()
    assert "overlap" in row(html, "zone", "ring") and "与圈重叠的带" in row(html, "zone", "ring")
    assert "overlap" not in row(html, "zone", "corridor")
    assert "position: sticky" in html
