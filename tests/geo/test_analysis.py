"""The dashboard's analysis on a small known data set, checked to the exact figure.

The analysis reads through its own SQLAlchemy engine (a second connection), so the data must be
committed: these tests use ``transactional_db``.
"""

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from geo.analysis import frames
from geo.analysis.charts import flows_chart, zones_chart
from geo.analysis.figures import compute, dashboard_figures
from geo.analysis.frames import OUTSIDE
from geo.analysis.tables import dashboard_tables
from geo.models import Zone
from sharing.bookings.models import Booking, Voucher, VoucherEntry
from sharing.catalogue.models import Platform
from tests.factories import (
    InstrumentFactory,
    OrganisationFactory,
    PlatformFactory,
    UserFactory,
    beibei,
    mianyang,
)

CHINA = ZoneInfo("Asia/Shanghai")
YEAR = 2025
RING = (106.42, 29.82)
CORRIDOR = (106.45, 29.75)
BELT = (106.60, 29.70)
MIANYANG = (104.74, 31.46)


def square(lon, lat, half=0.01) -> MultiPolygon:
    return MultiPolygon(
        Polygon.from_bbox((lon - half, lat - half, lon + half, lat + half)), srid=4326
    )


def near(point, d=0.002) -> Point:
    return Point(point[0] + d, point[1] - d, srid=4326)


def at(day: str, hour: int) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=CHINA)


def book(instrument, requester, start, hours, *, status="completed", used=None):
    end = start + datetime.timedelta(hours=hours)
    check_in = check_out = None
    if used:
        check_in = start + datetime.timedelta(hours=used[0])
        check_out = start + datetime.timedelta(hours=used[1])
    return Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=(start, end),
        blocked=(start, end),
        status=status,
        purpose="测试",
        rate_category="same_region",
        checked_in_at=check_in,
        checked_out_at=check_out,
    )


def build_world(*, ring_name="环西南大学创新生态圈") -> dict:
    """Zones: a ring, a corridor and a belt, each a small square (about 2 km a side).

    Platforms: P1 (sharing platform, national) and P2 (key laboratory, provincial) in the ring;
    P3 (incubator, no level) in the corridor; P4 (sharing platform, provincial) in Mianyang;
    P5 (industrial park, district) in Beibei without a location. None in the belt.

    Instruments: I1 (100.50 万元, own point in the ring), I2 (200.00, no point, on P2: the ring),
    I3 (no value, in the corridor), I4 (50.25, Mianyang), I5 (999, ring, withdrawn in 2020).
    """
    bb, my = beibei(), mianyang()
    zones = {
        "ring": Zone.objects.create(
            code="ring", kind="ring", name=ring_name, geometry=square(*RING), version="t"
        ),
        "corridor": Zone.objects.create(
            code="corridor",
            kind="corridor",
            name="北碚智慧科技走廊",
            geometry=square(*CORRIDOR),
            version="t",
        ),
        "belt": Zone.objects.create(
            code="belt",
            kind="belt",
            name="水土–蔡家高新技术产业带",
            geometry=square(*BELT),
            version="t",
        ),
    }
    K, L = Platform.Kind, Platform.Level
    p1 = PlatformFactory(
        name="平台一", kind=K.SHARING_PLATFORM, level=L.NATIONAL, location=near(RING)
    )
    p2 = PlatformFactory(
        name="平台二", kind=K.KEY_LABORATORY, level=L.PROVINCIAL, location=near(RING, -0.003)
    )
    PlatformFactory(name="平台三", kind=K.INCUBATOR, level="", location=near(CORRIDOR))
    p4 = PlatformFactory(
        name="平台四",
        kind=K.SHARING_PLATFORM,
        level=L.PROVINCIAL,
        region=my,
        location=near(MIANYANG),
    )
    PlatformFactory(
        name="平台五",
        kind=K.INDUSTRIAL_PARK,
        level=L.DISTRICT,
        location=None,
        location_confidence="",
    )

    ob = OrganisationFactory(name="北碚大学", region=bb)
    ob2 = OrganisationFactory(name="北碚研究所", region=bb)
    om = OrganisationFactory(name="绵阳研究院", region=my)
    i1 = InstrumentFactory(
        organisation=ob, platform=p1, location=near(RING, 0.004), original_value=Decimal("100.50")
    )
    i2 = InstrumentFactory(organisation=ob, platform=p2, original_value=Decimal("200.00"))
    i3 = InstrumentFactory(organisation=ob2, location=near(CORRIDOR, -0.001))
    i4 = InstrumentFactory(
        organisation=om, platform=p4, location=near(MIANYANG), original_value=Decimal("50.25")
    )
    i5 = InstrumentFactory(organisation=ob, location=near(RING), original_value=Decimal("999"))
    type(i5).objects.filter(pk=i5.pk).update(
        withdrawn_at=datetime.datetime(2020, 6, 1, tzinfo=CHINA)
    )

    u_ob = UserFactory(organisation=ob)
    u_om = UserFactory(organisation=om)
    loner = UserFactory(organisation=None)

    b1 = book(i1, u_om, at("2025-03-03", 9), 2, used=(0.25, 1.75))  # 1.5 h, Mianyang → Beibei
    book(i1, u_ob, at("2025-03-04", 9), 3)  # 3 h, local
    b3 = book(i3, u_om, at("2025-03-05", 9), 4)  # 4 h, Mianyang → Beibei
    book(i4, u_ob, at("2025-03-06", 9), 2)  # 2 h, Beibei → Mianyang
    book(i4, u_om, at("2025-03-07", 9), 1)  # 1 h, local
    book(i2, loner, at("2025-03-08", 9), 2)  # 2 h, no organisation: not cross-region
    # Not counted as bookings: approved (to come), cancelled, another year.
    b6 = book(i1, u_om, at("2025-11-03", 9), 5, status="approved")
    book(i3, u_om, at("2025-04-01", 9), 5, status="cancelled")
    book(i1, u_om, at("2024-12-31", 23), 1)

    voucher = Voucher.objects.create(
        code="V-TEST-1",
        issuing_region=my,
        organisation=om,
        amount=Decimal("1000"),
        balance=Decimal("730"),
        reserved=Decimal("100"),
        redeemed=Decimal("170"),
        valid_from=datetime.date(2025, 1, 1),
        valid_until=datetime.date(2025, 12, 31),
    )
    for booking, kind, amount in (
        # Reserved when requested, redeemed on the final charge (the rest released); b6 is
        # still to come: only reserved. Voucher use counts the redemptions: 120 + 50.
        (b1, "reservation", "120.00"),
        (b1, "redemption", "120.00"),
        (b3, "reservation", "80.00"),
        (b3, "redemption", "50.00"),
        (b3, "release", "30.00"),
        (b6, "reservation", "100.00"),
    ):
        VoucherEntry.objects.create(
            voucher=voucher, booking=booking, kind=kind, amount=Decimal(amount)
        )
    return {"zones": zones, "i1": i1, "ob": ob, "om": om}


@pytest.fixture
def fresh_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"dash-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def world(transactional_db, settings, fresh_cache):
    settings.INDICATOR_YEARLY_BASE_HOURS = 100
    return build_world()


def by_code(rows):
    return {row["code"]: row for row in rows}


def usage(row):
    return (
        row["bookings"],
        row["hours"],
        row["cross_region_bookings"],
        row["cross_region_hours"],
        row["cross_region_share_bookings"],
        row["cross_region_share_hours"],
        row["voucher_use"],
    )


def kinds(**counts):
    return {k: counts.get(k, 0) for k in Platform.Kind.values}


def levels(**counts):
    return {k: counts.get(k, 0) for k in [*Platform.Level.values, "none"]}


def test_platforms_per_zone_by_kind_and_level(world):
    zones = by_code(compute(YEAR)["zones"])
    assert list(zones) == ["ring", "corridor", "belt", OUTSIDE]  # the plan's order, then outside
    assert zones["ring"]["platforms"] == 2
    assert zones["ring"]["platforms_by_kind"] == kinds(sharing_platform=1, key_laboratory=1)
    assert zones["ring"]["platforms_by_level"] == levels(national=1, provincial=1)
    assert zones["corridor"]["platforms_by_kind"] == kinds(incubator=1)
    assert zones["corridor"]["platforms_by_level"] == levels(none=1)
    assert zones["belt"]["platforms"] == 0
    # P4 lies in Mianyang, P5 has no location.
    assert zones[OUTSIDE]["platforms_by_kind"] == kinds(sharing_platform=1, industrial_park=1)
    assert zones[OUTSIDE]["platforms_by_level"] == levels(provincial=1, district=1)


def test_instruments_and_their_value_per_zone(world):
    zones = by_code(compute(YEAR)["zones"])
    # I2 has no point of its own and counts where its platform stands; I5 was withdrawn.
    assert (zones["ring"]["instruments"], zones["ring"]["original_value"]) == (2, 300.5)
    assert (zones["corridor"]["instruments"], zones["corridor"]["original_value"]) == (1, 0.0)
    assert (zones["belt"]["instruments"], zones["belt"]["original_value"]) == (0, 0.0)
    assert (zones[OUTSIDE]["instruments"], zones[OUTSIDE]["original_value"]) == (1, 50.25)


def test_zone_areas_are_measured_in_square_kilometres(world):
    zones = by_code(compute(YEAR)["zones"])
    # 0.02° × 0.02° near 29.8° N: about 2.22 km × 1.93 km.
    assert 4.1 < zones["ring"]["area_km2"] < 4.5
    assert zones[OUTSIDE]["area_km2"] is None


def test_bookings_hours_cross_region_share_and_vouchers_per_zone(world):
    zones = by_code(compute(YEAR)["zones"])
    # Ring: 1.5 h (checked in and out) cross-region, 3 h local, 2 h by someone without an
    # organisation; vouchers: 120 on B1 (the 100 on the approved B6 is not use: not completed).
    assert usage(zones["ring"]) == (3, 6.5, 1, 1.5, 0.3333, 0.2308, 120.0)
    # Corridor: 4 h cross-region; 80 redeemed, 30 refunded.
    assert usage(zones["corridor"]) == (1, 4.0, 1, 4.0, 1.0, 1.0, 50.0)
    assert usage(zones["belt"]) == (0, 0.0, 0, 0.0, None, None, 0.0)
    assert usage(zones[OUTSIDE]) == (2, 3.0, 1, 2.0, 0.5, 0.6667, 0.0)


def test_region_figures(world):
    regions = by_code(compute(YEAR)["regions"])
    bb, my = regions["beibei"], regions["mianyang"]
    assert (bb["platforms"], my["platforms"]) == (4, 1)
    assert bb["platforms_by_kind"] == kinds(
        sharing_platform=1, key_laboratory=1, incubator=1, industrial_park=1
    )
    assert bb["platforms_by_level"] == levels(national=1, provincial=1, district=1, none=1)
    assert (bb["instruments"], bb["original_value"]) == (3, 300.5)
    assert (my["instruments"], my["original_value"]) == (1, 50.25)
    assert usage(bb) == (4, 10.5, 2, 5.5, 0.5, 0.5238, 170.0)
    assert usage(my) == (2, 3.0, 1, 2.0, 0.5, 0.6667, 0.0)
    # From the sharing indicators: external = 1.5 + 4 + 2 of 10.5 h; base 100 h × 3 instruments.
    assert (bb["external_hours"], bb["share_rate"], bb["utilisation"]) == (7.5, 0.7143, 0.035)
    assert (my["external_hours"], my["share_rate"], my["utilisation"]) == (2.0, 0.6667, 0.03)


def test_region_indicators_agree_with_the_sharing_indicators(world):
    from sharing.bookings.indicators import indicators

    regions = by_code(compute(YEAR)["regions"])
    for row in indicators(level="region", year=YEAR):
        mine = next(r for r in regions.values() if r["name"] == row.name)
        assert (mine["bookings"], mine["hours"], mine["cross_region_hours"]) == (
            row.bookings,
            float(row.effective_hours),
            float(row.cross_region_hours),
        )
        assert (mine["external_hours"], mine["share_rate"], mine["utilisation"]) == (
            float(row.external_hours),
            float(row.share_rate),
            float(row.utilisation),
        )


def test_flows_between_the_regions(world):
    flows = {(f["from"], f["to"]): (f["bookings"], f["hours"]) for f in compute(YEAR)["flows"]}
    assert flows == {
        ("mianyang", "beibei"): (2, 5.5),
        ("beibei", "mianyang"): (1, 2.0),
        ("beibei", "beibei"): (1, 3.0),
        ("mianyang", "mianyang"): (1, 1.0),
        ("unknown", "beibei"): (1, 2.0),
    }
    crossing = [(f["from"], f["to"]) for f in compute(YEAR)["flows"] if f["cross_region"]]
    assert crossing == [("beibei", "mianyang"), ("mianyang", "beibei")]  # listed first


def test_other_years_have_their_own_bookings(world):
    figures = compute(2024)
    assert figures["totals"]["bookings"] == 1
    assert figures["flows"] == [
        {
            "from": "mianyang",
            "from_name": "绵阳",
            "from_name_en": "Mianyang",
            "to": "beibei",
            "to_name": "北碚",
            "to_name_en": "Beibei",
            "bookings": 1,
            "hours": 1.0,
            "cross_region": True,
        }
    ]
    assert compute(2030)["totals"]["bookings"] == 0


def test_the_figures_are_plain_json(world):
    import json

    figures = compute(YEAR)
    assert json.loads(json.dumps(figures)) == figures


def test_figures_are_cached_for_the_year(world):
    first = dashboard_figures(YEAR)
    Booking.objects.filter(status="completed").update(status="cancelled")
    assert dashboard_figures(YEAR) == first  # from the cache
    assert dashboard_figures(2024)["totals"]["bookings"] == 0  # another key


def test_an_unreachable_cache_does_not_stop_the_figures(world, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert dashboard_figures(YEAR)["totals"]["bookings"] == 6


def test_the_engine_is_built_once_per_database(world):
    assert frames.engine() is frames.engine()
    assert frames.engine().url.drivername == "postgresql+psycopg"


def test_tables_for_export(world):
    tables = dashboard_tables(compute(YEAR))
    zones = tables["zones"]
    assert list(zones.columns[:5]) == ["代号", "分区", "类型", "面积（平方公里）", "平台数"]
    assert "平台·共享平台" in zones.columns and "平台·未定级" in zones.columns
    ring = zones[zones["代号"] == "ring"].iloc[0]
    assert (ring["分区"], ring["类型"], ring["仪器原值（万元）"]) == (
        "环西南大学创新生态圈",
        "一圈",
        300.5,
    )
    assert list(tables["flows"].columns) == [
        "需求方地区",
        "仪器所在地区",
        "跨地区",
        "预约数",
        "机时",
    ]
    assert len(tables["flows"]) == 5
    assert "共享率" in tables["regions"].columns


def test_charts_are_png(world):
    figures = compute(YEAR)
    assert zones_chart(figures).startswith(b"\x89PNG")
    assert flows_chart(figures).startswith(b"\x89PNG")


@pytest.mark.django_db
def test_charts_draw_without_data(fresh_cache):
    figures = compute(YEAR)
    assert figures["flows"] == []
    assert zones_chart(figures).startswith(b"\x89PNG")
    assert flows_chart(figures).startswith(b"\x89PNG")


def test_the_charts_find_the_cjk_font():
    from geo.analysis.charts import cjk_font_family

    assert cjk_font_family() == "Noto Sans CJK SC"
