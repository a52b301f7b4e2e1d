import re
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from portal.accounts.models import Organisation
from sharing.catalogue.models import Instrument, InstrumentClass
from tests.factories import (
    InstrumentFactory,
    OrganisationFactory,
    PlatformFactory,
    UserFactory,
    beibei,
    mianyang,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def make_instrument(**fields) -> Instrument:
    # Browser tests flush tables between tests, and the migration's class rows with them.
    code = fields.setdefault("category_code", "010102")
    InstrumentClass.objects.get_or_create(
        code=code[:2], defaults={"name": "分析仪器", "name_en": "Analytical instruments"}
    )
    platform = fields.get("platform")
    if "organisation" not in fields and platform is not None and platform.host is not None:
        fields["organisation"] = platform.host
    return InstrumentFactory(**fields)


@pytest.fixture
def swu():
    return OrganisationFactory(
        name="西南大学",
        region=beibei(),
        location=Point(106.4201, 29.8236, srid=4326),
        location_confidence="medium",
    )


@pytest.fixture
def platform(swu):
    return PlatformFactory(name="北碚大型仪器共享平台", host=swu, level="district")


@pytest.fixture
def sem(platform):
    return make_instrument(
        platform=platform,
        model="Sigma 500",
        manufacturer="Carl Zeiss",
        country="DE",
        original_value=Decimal("380.50"),
        specifications="分辨率 0.8 nm @ 15 kV",
        functions="形貌观察、成分分析",
        services="样品形貌表征",
        fee_text="校内 200 元/小时；校外 400 元/小时",
        rate_internal=Decimal("200"),
        rate_other_region=Decimal("400"),
        address="西南大学第一实验楼 101",
        contact_name="王老师",
        contact_phone="023-68251234",
        contact_email="sem@swu.edu.cn",
        booking_url="https://example.edu.cn/book/sem",
    )


def _assets_are_local(html: str) -> None:
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url


def test_instrument_page_shows_the_national_record_in_chinese(client, sem):
    response = client.get(f"/instruments/{sem.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("基本信息", "技术指标与功能", "共享与收费", "位置与联系"):
        assert heading in html
    for label in ("所在单位仪器内部编码", "设备分类编码", "规格型号", "生产制造商", "原值（万元）"):
        assert label in html
    assert "Sigma 500" in html
    assert "200.00 元/小时" in html
    assert 'href="https://example.edu.cn/book/sem"' in html
    assert 'lang="zh-hans"' in html
    _assets_are_local(html)
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in html
    assert "/static/frontend/minimap.js" in html


def test_contact_is_masked_for_anonymous_visitors_and_full_when_signed_in(client, sem):
    html = client.get(f"/instruments/{sem.pk}/").content.decode()
    assert "023-68251234" not in html
    assert "023-****1234" in html
    assert "sem@swu.edu.cn" not in html
    assert "s**@swu.edu.cn" in html
    assert "王老师" not in html
    assert "登录后查看完整联系方式" in html

    client.force_login(UserFactory())
    html = client.get(f"/instruments/{sem.pk}/").content.decode()
    assert "023-68251234" in html
    assert "sem@swu.edu.cn" in html
    assert "王老师" in html
    assert "登录后查看完整联系方式" not in html


def test_instrument_map_falls_back_to_the_platform_and_says_it_is_approximate(client, sem):
    html = client.get(f"/instruments/{sem.pk}/").content.decode()
    assert "data-minimap" in html
    assert "所属平台位置" in html
    assert 'data-approximate="true"' in html
    assert "近似位置" in html
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html


def test_instrument_own_location_is_shown_without_badge(client, swu, settings):
    instrument = make_instrument(organisation=swu, location=Point(106.43, 29.82, srid=4326))
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert "仪器位置" in html
    assert "近似位置" not in html
    assert 'data-lon="106.430000" data-lat="29.820000"' in html


def test_instrument_without_any_location_says_so(client):
    organisation = OrganisationFactory()
    instrument = make_instrument(organisation=organisation)
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert "暂无位置信息" in html
    assert "data-minimap" not in html


def test_withdrawn_instrument_keeps_its_page_with_a_notice(client, sem):
    sem.withdrawn_at = timezone.now()
    sem.save(update_fields=["withdrawn_at"])
    html = client.get(f"/instruments/{sem.pk}/").content.decode()
    assert "已撤回" in html
    # …but is no longer listed as on offer.
    assert sem.name not in client.get(f"/organisations/{sem.organisation_id}/").content.decode()
    assert sem.name not in client.get("/instruments/").content.decode()


@pytest.mark.parametrize("path", ["instruments", "organisations", "platforms"])
def test_unknown_ids_are_404(client, path):
    assert client.get(f"/{path}/987654321/").status_code == 404


def test_organisation_page(client, sem, swu, platform):
    response = client.get(f"/organisations/{swu.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "西南大学" in html
    assert swu.uscc in html
    assert "高校" in html
    assert f'href="/platforms/{platform.pk}/"' in html
    assert f'href="/instruments/{sem.pk}/"' in html
    assert f'href="/instruments/?organisation={swu.pk}"' in html
    assert "data-minimap" in html
    assert "近似位置" not in html  # medium confidence
    _assets_are_local(html)


def test_organisation_page_lists_fifty_and_links_to_the_rest(client, swu):
    for n in range(51):
        make_instrument(organisation=swu, internal_code=f"N{n:03d}", name=f"仪器{n:03d}")
    html = client.get(f"/organisations/{swu.pk}/").content.decode()
    assert "仪器049" in html
    assert "仪器050" not in html
    assert "仅显示前 50 台" in html


def test_platform_page_with_approximate_badge(client, sem, platform, swu):
    response = client.get(f"/platforms/{platform.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "北碚大型仪器共享平台" in html
    assert "共享平台" in html
    assert "区级" in html
    assert f'href="/organisations/{swu.pk}/"' in html
    assert f'href="/instruments/{sem.pk}/"' in html
    assert 'class="badge approx"' in html
    assert 'data-approximate="true"' in html
    _assets_are_local(html)


def test_platform_list_links_to_platform_pages(client, platform):
    html = client.get("/platforms/").content.decode()
    assert f'href="/platforms/{platform.pk}/"' in html


def test_nav_links_to_the_instrument_search(client):
    mianyang()
    html = client.get("/").content.decode()
    assert '<a href="/instruments/">仪器共享</a>' in html
    assert '<a href="/platforms/">创新平台</a>' in html


def test_search_page_lists_and_filters(client, sem, swu):
    other = make_instrument(
        organisation=OrganisationFactory(region=mianyang()),
        name="X射线衍射仪",
        category_code="020101",
        sharing_mode=Instrument.SharingMode.INTERNAL,
    )
    response = client.get("/instruments/")
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("关键词", "仪器大类", "地区", "共享模式", "运行状态", "最高费率"):
        assert label in html
    assert sem.name in html and other.name in html

    html = client.get("/instruments/", {"region": "mianyang"}).content.decode()
    assert other.name in html and sem.name not in html

    html = client.get("/instruments/", {"category": "01"}).content.decode()
    assert sem.name in html and other.name not in html

    html = client.get("/instruments/", {"sharing_mode": "internal"}).content.decode()
    assert other.name in html and sem.name not in html

    html = client.get("/instruments/", {"organisation": swu.pk}).content.decode()
    assert sem.name in html and other.name not in html
    assert "取消此范围" in html

    html = client.get("/instruments/", {"max_rate": "500"}).content.decode()
    assert sem.name in html and other.name not in html  # no rate: does not pass

    html = client.get("/instruments/", {"q": "电子显微镜"}).content.decode()
    assert sem.name in html and other.name not in html


@pytest.mark.parametrize(
    "params",
    [
        {"max_rate": "abc"},
        {"max_rate": "-1"},
        {"region": "atlantis"},
        {"category": "77"},
        {"status": "exploded"},
        {"organisation": "abc"},
        {"platform": "999999"},
    ],
)
def test_invalid_filters_show_a_chinese_message(client, sem, params):
    response = client.get("/instruments/", params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "筛选条件有误" in html
    assert sem.name not in html


@pytest.mark.parametrize("cursor", ["garbage", "1_2_3", "nan", "1e999", "1.5"])
def test_bad_cursor_shows_a_message(client, sem, cursor):
    response = client.get("/instruments/", {"cursor": cursor})
    assert response.status_code == 200
    assert "分页参数无效" in response.content.decode()


@pytest.mark.parametrize("q", [None, "仪器"])
def test_search_pages_by_cursor_and_keeps_the_filters(client, swu, q):
    for n in range(25):
        make_instrument(organisation=swu, internal_code=f"P{n:03d}", name=f"分析仪器{n:03d}")
    params = {"region": "beibei", **({"q": q} if q else {})}
    html = client.get("/instruments/", params).content.decode()
    first = set(re.findall(r'href="/instruments/(\d+)/"', html))
    assert len(first) == 20
    next_link = re.search(r'href="\?([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "region=beibei" in next_link and "cursor=" in next_link

    html = client.get("/instruments/?" + next_link).content.decode()
    second = set(re.findall(r'href="/instruments/(\d+)/"', html))
    assert len(second) == 5
    assert not first & second
    assert 'rel="next"' not in html
    assert "第一页" in html


def test_user_text_is_escaped_on_every_page(client):
    host = OrganisationFactory(name=SCRIPT, region=beibei())
    platform = PlatformFactory(name=SCRIPT, name_en=SCRIPT, host=host, location_note=SCRIPT)
    instrument = make_instrument(
        platform=platform,
        organisation=host,
        name=SCRIPT,
        model=SCRIPT,
        specifications=SCRIPT,
        address=SCRIPT,
        contact_name=SCRIPT,
        booking_url="https://example.cn/?a=<b>",
    )
    for path in (
        "/instruments/",
        f"/instruments/?q={SCRIPT}",
        f"/instruments/{instrument.pk}/",
        f"/organisations/{host.pk}/",
        f"/platforms/{platform.pk}/",
        "/platforms/",
        f"/instruments/?organisation={host.pk}",
    ):
        html = client.get(path).content.decode()
        assert SCRIPT not in html, path
        assert ESCAPED in html, path


def test_signed_in_contact_is_escaped_too(client):
    instrument = make_instrument(contact_name=SCRIPT, contact_email=SCRIPT)
    client.force_login(UserFactory())
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert SCRIPT not in html
    assert ESCAPED in html


def test_pages_render_in_english_too(client, sem, swu, platform):
    client.cookies["django_language"] = "en"
    for path in ("/instruments/", f"/instruments/{sem.pk}/", f"/organisations/{swu.pk}/"):
        response = client.get(path)
        assert response.status_code == 200
        assert 'lang="en"' in response.content.decode()


def test_firm_kind_is_shown(client):
    firm = OrganisationFactory(kind=Organisation.Kind.FIRM)
    assert "企业" in client.get(f"/organisations/{firm.pk}/").content.decode()


# --- The small maps follow MAP_BASEMAP, as the layout map does ------------------------------


def _stored(sem) -> tuple[str, str]:
    """The point the small maps of ``sem`` and its platform show: the platform's."""
    return f"{sem.platform.location.x:.6f}", f"{sem.platform.location.y:.6f}"


def _minimap(html: str) -> dict:
    import html as html_lib
    import json

    element = re.search(r"<div class=\"minimap\"[^>]*>", html).group(0)
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', element))
    attributes["tiles"] = json.loads(html_lib.unescape(attributes.get("tiles") or "[]"))
    return attributes


@pytest.mark.parametrize("kind", ["instruments", "platforms"])
def test_the_small_map_draws_the_gaode_basemap_with_the_point_shifted_to_gcj02(
    client, settings, sem, kind
):
    import prcoords

    settings.MAP_BASEMAP = "gaode"
    pk = sem.pk if kind == "instruments" else sem.platform_id
    html = client.get(f"/{kind}/{pk}/").content.decode()
    minimap = _minimap(html)
    [tiles] = minimap["tiles"]
    assert "autonavi.com" in tiles["url"] and tiles["subdomains"] == "1234"
    assert "高德" in tiles["attribution"] and "<" not in tiles["attribution"]
    stored = sem.platform.location
    shifted = prcoords.wgs_gcj(prcoords.Coords(stored.y, stored.x))
    assert float(minimap["lon"]) == pytest.approx(shifted.lon, abs=1e-6)
    assert float(minimap["lat"]) == pytest.approx(shifted.lat, abs=1e-6)
    assert abs(float(minimap["lon"]) - stored.x) > 0.003  # some 400 m east, as drawn by gaode
    # The caption keeps the stored WGS-84 position.
    assert f"{stored.y:.5f}, {stored.x:.5f}" in html


def test_the_small_map_draws_openstreetmap_unshifted_by_default(client, sem):
    minimap = _minimap(client.get(f"/instruments/{sem.pk}/").content.decode())
    assert [t["url"] for t in minimap["tiles"]] == [
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    ]
    assert minimap["tiles"][0]["attribution"] == "© OpenStreetMap"
    assert (minimap["lon"], minimap["lat"]) == _stored(sem)


def test_the_small_map_draws_tianditu_with_its_labels_unshifted(client, settings, sem):
    settings.MAP_BASEMAP = "tianditu"
    settings.MAP_TIANDITU_KEY = "k123"
    minimap = _minimap(client.get(f"/platforms/{sem.platform_id}/").content.decode())
    assert [("tianditu.gov.cn" in t["url"], "tk=k123" in t["url"]) for t in minimap["tiles"]] == [
        (True, True),
        (True, True),
    ]
    assert (minimap["lon"], minimap["lat"]) == _stored(sem)


def test_the_small_map_draws_no_basemap_when_there_is_none(client, settings, sem):
    settings.MAP_BASEMAP = "none"
    minimap = _minimap(client.get(f"/instruments/{sem.pk}/").content.decode())
    assert minimap["tiles"] == []
    assert (minimap["lon"], minimap["lat"]) == _stored(sem)
