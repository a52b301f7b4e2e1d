"""The layout map: local assets only, escaped user text, the Gaode shift, build and cache."""

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from unittest import mock

import prcoords
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone, translation
from psycopg.types.range import Range

from geo.map import build as map_build
from geo.map import points as map_points
from geo.models import Zone
from sharing.bookings.models import Booking
from sharing.catalogue.models import Platform
from tests.factories import OrganisationFactory, PlatformFactory, UserFactory, beibei, mianyang
from tests.frontend.test_catalogue_pages import make_instrument

XSS = "<img src=x onerror=alert(1)>"
# A platform of the test data, well inside Beibei (WGS-84).
SWU_PARK = (106.423, 29.821)


def _square(lon: float, lat: float, half: float) -> MultiPolygon:
    ring = (
        (lon - half, lat - half),
        (lon + half, lat - half),
        (lon + half, lat + half),
        (lon - half, lat + half),
        (lon - half, lat - half),
    )
    return MultiPolygon(Polygon(ring), srid=4326)


def make_layout() -> dict:
    """Three zones, platforms of several kinds (one named like an attack), cross-region
    bookings both ways. Built here until the zones come from load_zones."""
    zones = [
        ("ring", Zone.Kind.RING, "环西南大学创新生态圈", _square(106.418, 29.818, 0.012)),
        ("corridor", Zone.Kind.CORRIDOR, "北碚智慧科技走廊", _square(106.40, 29.82, 0.05)),
        ("belt", Zone.Kind.BELT, "水土–蔡家高新技术产业带", _square(106.505, 29.775, 0.04)),
    ]
    for code, kind, name, geometry in zones:
        Zone.objects.create(
            code=code,
            kind=kind,
            name=name,
            name_en=code.title(),
            description=f"规划原文：{name}。<script>alert('zone')</script>",
            geometry=geometry,
            version="test",
        )
    bb, my = beibei(), mianyang()
    PlatformFactory(
        name="北碚国家大学科技园",
        kind=Platform.Kind.INCUBATOR,
        location=Point(*SWU_PARK, srid=4326),
        location_confidence="low",
    )
    PlatformFactory(
        name="中国科学院重庆绿色智能技术研究院平台",
        kind=Platform.Kind.KEY_LABORATORY,
        level="national",
        location=Point(106.522, 29.812, srid=4326),
        location_confidence="medium",
    )
    PlatformFactory(
        name=XSS,
        kind=Platform.Kind.NEW_RD_INSTITUTE,
        location=Point(106.36, 29.771, srid=4326),
        location_confidence="low",
    )
    PlatformFactory(
        name="绵阳科技城大型仪器共享平台",
        region=my,
        level="provincial",
        location=Point(104.69, 31.47, srid=4326),
        location_confidence="low",
    )
    beibei_instrument = make_instrument(organisation=OrganisationFactory(region=bb))
    mianyang_instrument = make_instrument(organisation=OrganisationFactory(region=my))
    from_mianyang = UserFactory(organisation=OrganisationFactory(region=my))
    from_beibei = UserFactory(organisation=OrganisationFactory(region=bb))
    # This year's: the map counts the completed bookings of the current year.
    start = timezone.make_aware(datetime(timezone.localdate().year, 1, 6, 9, 0))

    def book(instrument, requester, day, status=Booking.Status.COMPLETED):
        period = Range(start + timedelta(days=day), start + timedelta(days=day, hours=2), "[)")
        Booking.objects.create(
            instrument=instrument,
            requester=requester,
            period=period,
            blocked=period,
            status=status,
            purpose="测试",
            rate_category=Booking.RateCategory.OTHER_REGION,
        )

    for day in range(3):  # Mianyang → Beibei: 3
        book(beibei_instrument, from_mianyang, day)
    book(beibei_instrument, from_mianyang, 5, Booking.Status.CANCELLED)  # not a flow
    book(mianyang_instrument, from_beibei, 0)  # Beibei → Mianyang: 1
    book(beibei_instrument, from_beibei, 7)  # same region: not a flow
    return {"flows": {("mianyang", "beibei"): 3, ("beibei", "mianyang"): 1}}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MAP_BASEMAP = "osm"
    return tmp_path / "media"


@pytest.fixture
def layout(db):
    return make_layout()


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])


def _built(language="zh-hans") -> str:
    return map_build.layout_path(language).read_text(encoding="utf-8")


def _decoded(page: str) -> str:
    """The page with JSON's \\uXXXX escapes read back (Folium writes non-ASCII text, &, < and >
    inside its scripts that way)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), page)


def _platform_points(page: str) -> list[dict]:
    """The platforms the page draws, read back from their compact encoding (geo.map.points):
    the payload handed to layoutmap.js, one line of the map's script."""
    found = re.findall(r"mbPlatformPoints\(\[[^\]]*\], (\{.*\})\);$", page, re.M)
    assert len(found) == 1
    return map_points.decode(json.loads(found[0]))


def test_map_loads_every_script_and_style_from_the_portal(layout):
    meta = map_build.build_layout_map()
    for language in ("zh-hans", "en"):
        page = _built(language)
        assets = _Assets()
        assets.feed(page)
        assert "/static/vendor/leaflet-1.9.4/leaflet.js" in assets.scripts
        assert "/static/vendor/leaflet-1.9.4/leaflet.css" in assets.links
        assert "/static/frontend/layoutmap.js" in assets.scripts
        assert all(url.startswith("/static/") for url in assets.scripts + assets.links), (
            assets.scripts + assets.links
        )
        # Nothing in a style sheet either (@import or url() to another host).
        for css in re.findall(r"<style[^>]*>(.*?)</style>", page, re.S):
            assert "http" not in css and "@import" not in css
    assert meta["counts"]["zones"] == 3
    assert meta["counts"]["platforms"] == 4
    assert meta["counts"]["cross_region_bookings"] == 4
    assert json.loads(map_build.meta_path().read_text())["built_at"] == meta["built_at"]


def test_map_has_layers_legend_views_and_plan_text(layout):
    map_build.build_layout_map()
    page = _decoded(_built())
    # Zones, nodes and flows as GeoJSON layers; the platforms (four kinds in the data, all
    # with one platform) in the compact encoding, each kind a group of its own in the layer
    # control.
    assert page.count("L.geoJson(") == 3 + 1 + 1
    assert page.count("L.featureGroup(") == 6
    assert page.count("mbPlatformPoints(") == 1
    assert len({p["group"] for p in _platform_points(page)}) == 4
    assert "L.marker(" not in page  # no Marker object per point
    assert "L.control.layers(" in page
    for text in ("图例", "两地全景", "一圈 环西南大学创新生态圈", "近似位置", "歇马街道"):
        assert text in page
    english = _decoded(_built("en"))
    assert "L.control.layers(" in english
    assert "Legend" in english or "图例" in english  # English once the catalogue has it


def test_flows_are_counted_per_direction_in_one_query(layout, django_assert_num_queries):
    from geo.map.data import read_flows

    with django_assert_num_queries(1):
        flows = {(f.source, f.target): f.count for f in read_flows(timezone.localdate().year)}
    assert flows == layout["flows"]


def test_user_text_is_escaped_in_every_popup_and_tooltip(layout):
    PlatformFactory(
        name="<script>alert('platform')</script>&amp;",
        location=Point(106.44, 29.83, srid=4326),
        location_confidence="high",
    )
    map_build.build_layout_map()
    raw = _built()
    page = _decoded(raw)
    # The escaped text is there, and the raw tag nowhere: neither in the file as written nor
    # with Folium's JSON escapes (\\u003c, \\u0026) read back.
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(" in page
    for text in (raw, page):
        assert "<img src=x" not in text
        assert "<script>alert" not in text
    names = [point["name"] for point in _platform_points(raw)]
    assert "&lt;img src=x onerror=alert(1)&gt;" in names
    assert "&lt;script&gt;alert(&#x27;platform&#x27;)&lt;/script&gt;&amp;amp;" in names
    assert all("<" not in p["name"] + p["detail"] for p in _platform_points(raw))


def _coords_of(page: str, lon: float, lat: float, tolerance: float = 0.01):
    """The [lon, lat] pairs in the page within `tolerance` degrees of (lon, lat), and the
    platforms' points of the compact encoding."""
    found = []
    pairs = re.findall(r"\[(1\d\d\.\d+),\s*(\d\d\.\d+)\]", page)
    pairs += [(p["lon"], p["lat"]) for p in _platform_points(page)]
    for x, y in pairs:
        x, y = float(x), float(y)
        if abs(x - lon) < tolerance and abs(y - lat) < tolerance:
            found.append((x, y))
    return found


@pytest.mark.parametrize("basemap", ["osm", "none", "tianditu", "gaode"])
def test_gaode_shift_is_applied_only_for_gaode(layout, settings, basemap):
    settings.MAP_BASEMAP = basemap
    settings.MAP_TIANDITU_KEY = "test-key"
    map_build.build_layout_map()
    page = _built()
    wgs = tuple(round(v, 5) for v in SWU_PARK)
    gcj = prcoords.wgs_gcj(prcoords.Coords(SWU_PARK[1], SWU_PARK[0]))
    gcj = (round(gcj.lon, 5), round(gcj.lat, 5))
    coords = _coords_of(page, *SWU_PARK)
    if basemap == "gaode":
        assert gcj in coords and wgs not in coords
        shift_m = prcoords.Coords(wgs[1], wgs[0]).distance(prcoords.Coords(gcj[1], gcj[0]))
        assert 400 < shift_m < 600  # about 480 m in Beibei
        assert "autonavi.com" in page
    else:
        assert wgs in coords and gcj not in coords
    # The database keeps WGS-84 whatever the basemap.
    stored = Platform.objects.get(name="北碚国家大学科技园").location
    assert (round(stored.x, 5), round(stored.y, 5)) == wgs


def test_tianditu_without_a_key_draws_without_a_basemap(layout, settings):
    settings.MAP_BASEMAP = "tianditu"
    settings.MAP_TIANDITU_KEY = ""
    meta = map_build.build_layout_map()
    assert meta["basemap"] == "none"
    assert "tianditu.gov.cn" not in _built()


def test_a_failed_build_keeps_the_last_good_map(layout):
    map_build.build_layout_map()
    good, good_meta = _built(), map_build.meta_path().read_text()
    Platform.objects.filter(kind=Platform.Kind.INCUBATOR).update(name="改名后的科技园")
    with (
        mock.patch.object(map_build, "render_map", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        map_build.build_layout_map()
    assert _built() == good
    assert map_build.meta_path().read_text() == good_meta
    # A write that fails halfway leaves the old file and no temporary file behind.
    with (
        mock.patch.object(map_build.os, "replace", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        map_build.build_layout_map()
    assert _built() == good
    assert sorted(p.name for p in map_build.maps_dir().iterdir()) == [
        "layout.en.html",
        "layout.html",
        "layout.json",
    ]
    map_build.build_layout_map()
    assert "改名后的科技园" in _decoded(_built())


def test_the_task_builds_and_clears_the_pending_key(layout, local_cache):
    from geo.map.tasks import PENDING_KEY, build_map

    cache = local_cache
    cache.set(PENDING_KEY, 1)
    counts = build_map.apply().get()
    assert counts["platforms"] == 4
    assert cache.get(PENDING_KEY) is None
    assert map_build.layout_path().is_file()


@pytest.fixture
def local_cache(settings):
    """A cache of this test's own, so the debounce key never meets another run's Redis."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "map"}
    }
    cache.clear()
    yield cache
    cache.clear()


def test_changes_are_debounced_into_one_build(db, local_cache, django_capture_on_commit_callbacks):
    from geo.map import tasks

    with mock.patch.object(tasks.build_map, "apply_async") as enqueue:
        with django_capture_on_commit_callbacks(execute=True):
            platform = PlatformFactory(name="新平台")
            platform.name = "新平台（改）"
            platform.save()
        with django_capture_on_commit_callbacks(execute=True):
            Zone.objects.create(
                code="ring",
                kind=Zone.Kind.RING,
                name="环",
                geometry=_square(106.42, 29.82, 0.01),
                version="t",
            )
            platform.delete()
    enqueue.assert_called_once_with(countdown=tasks.MAP_REBUILD_DELAY, retry=False)


def test_a_change_after_the_build_started_asks_again(db, local_cache):
    from geo.map import tasks

    with mock.patch.object(tasks.build_map, "apply_async") as enqueue:
        assert tasks.request_map_build() is True
        assert tasks.request_map_build() is False
        with mock.patch.object(tasks, "build_layout_map", return_value={"counts": {}}):
            tasks.build_map.apply()
        assert tasks.request_map_build() is True
    assert enqueue.call_count == 2


def test_nothing_is_enqueued_before_commit(db, local_cache):
    from geo.map import tasks

    with mock.patch.object(tasks.build_map, "apply_async") as enqueue:
        PlatformFactory(name="未提交的平台")  # the test's transaction never commits
    enqueue.assert_not_called()


def test_nightly_build_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["geo-map-nightly"]
    assert entry["task"] == "geo.tasks.build_map"


def test_the_worker_knows_the_build_by_the_name_the_schedule_uses(settings):
    from portal.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    task_name = settings.CELERY_BEAT_SCHEDULE["geo-map-nightly"]["task"]
    assert task_name in app.tasks
    assert app.tasks[task_name].run.__module__ == "geo.map.tasks"


def test_map_page_never_waits_for_a_build(client, db, local_cache):
    from geo.map import tasks

    with mock.patch.object(tasks.build_map, "apply_async") as enqueue:
        response = client.get("/map/")
        again = client.get("/map/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "地图生成中" in content and 'http-equiv="refresh"' in content
    assert again.status_code == 200
    enqueue.assert_called_once_with(countdown=0, retry=False)
    assert client.get("/map/frame/").status_code == 404


def test_map_page_serves_the_last_good_map(client, layout):
    map_build.build_layout_map()
    response = client.get("/map/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'src="/map/frame/"' in content and "一圈一廊一带布局地图" in content
    frame = client.get("/map/frame/")
    assert frame.status_code == 200
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert frame.content.decode() == _built()
    english = client.get("/map/frame/", headers={"accept-language": "en"})
    assert english.content.decode() == _built("en")
    # The public map carries no personal data: no requester, no contact.
    page = _built()
    for user in Booking.objects.values_list("requester__username", flat=True):
        assert user not in page


def test_build_map_command(layout, capsys):
    from django.core.management import call_command

    call_command("build_map")
    assert "3 zones, 4 platforms" in capsys.readouterr().out
    assert map_build.layout_path().is_file()


def test_the_scale_is_in_kilometres_only_and_flows_point_at_the_instruments_city(layout):
    map_build.build_layout_map()
    page = _decoded(_built())
    assert "L.control.scale({metric: true, imperial: false})" in page
    assert "imperial: true" not in page and '"imperial":true' not in page
    # Each flow is a curve and an arrowhead (a triangle) at the instrument's end.
    assert page.count('"type":"Polygon"') >= 2
    assert "北碚 → 绵阳" in page and "1 次跨地区预约（已完成）" in page


def test_the_legend_says_what_the_flows_count(layout):
    from html import escape

    from sharing.bookings.indicators import DEFINITIONS

    meta = map_build.build_layout_map()
    page = _decoded(_built())
    assert f"{meta['year']} 年 4 次跨地区预约" in page
    english = _decoded(_built("en"))
    for key in ("bookings", "cross_region"):
        with translation.override("zh-hans"):
            assert escape(str(DEFINITIONS[key])) in page
        with translation.override("en"):
            assert escape(str(DEFINITIONS[key])) in english


def test_other_years_and_unfinished_bookings_are_not_flows(layout):
    from geo.map.data import read_flows

    assert read_flows(timezone.localdate().year - 1) == []
    Booking.objects.filter(status=Booking.Status.COMPLETED).update(status=Booking.Status.APPROVED)
    assert read_flows(timezone.localdate().year) == []


def test_a_platform_popup_links_to_the_platform_page(layout):
    map_build.build_layout_map()
    page = _decoded(_built())
    platform = Platform.objects.exclude(location=None).first()
    # layoutmap.js writes '<a href="' + before + pk + after + '" target="_top">' + label.
    payload = json.loads(re.search(r"mbPlatformPoints\(\[[^\]]*\], (\{.*\})\);$", page, re.M)[1])
    before, after, label = payload["l"]
    assert f"{before}{platform.pk}{after}" == f"/platforms/{platform.pk}/"
    assert label == "平台详情与仪器"
    assert platform.pk in {p["pk"] for p in _platform_points(page)}
