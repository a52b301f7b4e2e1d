"""Sharing indicators on a small known data set, checked to the exact figure."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.accounts.models import Organisation, Role
from portal.errors import Forbidden, RuleBroken
from sharing.bookings.indicators import indicators, indicators_for_user, yearly_base_hours
from sharing.bookings.models import Booking
from tests.factories import (
    InstrumentFactory,
    OrganisationFactory,
    PlatformFactory,
    UserFactory,
    beibei,
    mianyang,
)

CHINA = ZoneInfo("Asia/Shanghai")
D = Decimal


def at(day: str, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CHINA)


def book(instrument, requester, start, hours, *, status="completed", used=None):
    """``used``: (hours after start checked in, hours after start checked out)."""
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


@pytest.fixture
def world(db, settings):
    """Beibei: OB1 owns I1 and the idle I4, OB2 owns I2; I1, I2, I4 on platform P1.
    Mianyang: OM1 owns I3 (no platform); MF is a Mianyang firm."""
    settings.INDICATOR_YEARLY_BASE_HOURS = 100
    ob1 = OrganisationFactory(name="北碚一", region=beibei())
    ob2 = OrganisationFactory(name="北碚二", region=beibei())
    om1 = OrganisationFactory(name="绵阳一", region=mianyang())
    mf = OrganisationFactory(name="绵阳企业", region=mianyang(), kind=Organisation.Kind.FIRM)
    p1 = PlatformFactory(name="平台一", region=beibei())
    i1 = InstrumentFactory(organisation=ob1, platform=p1, name="仪器一")
    i2 = InstrumentFactory(organisation=ob2, platform=p1, name="仪器二")
    i3 = InstrumentFactory(organisation=om1, name="仪器三")
    i4 = InstrumentFactory(organisation=ob1, platform=p1, name="仪器四")
    u_ob1, u_ob2, u_om1, u_mf = (UserFactory(organisation=o) for o in (ob1, ob2, om1, mf))
    loner = UserFactory(organisation=None)

    # 00:30 on 1 January in Beijing is still 2025 in UTC: counts in 2026. Internal, 2 h.
    book(i1, u_ob1, at("2026-01-01", 0, 30), 2)
    # Booked 3 h, used 2.5 h (check-in to check-out): external.
    book(i1, u_ob2, at("2026-02-02", 9), 3, used=(0.5, 3))
    # Nothing recorded: the booked 4 h; external and cross-region.
    book(i1, u_om1, at("2026-02-03", 9), 4)
    # A Mianyang firm on a Beibei instrument: 1 h external, cross-region.
    book(i2, u_mf, at("2026-02-04", 9), 1)
    # A Beibei researcher on a Mianyang instrument: 2 h external, cross-region.
    book(i3, u_ob2, at("2026-02-05", 9), 2)
    # Someone without an organisation: external, not cross-region.
    book(i3, loner, at("2026-02-06", 9), 1)

    # Not counted: cancelled, still to come, and the last evening of 2025 in Beijing.
    book(i1, u_ob2, at("2026-03-02", 9), 5, status="cancelled")
    book(i2, u_ob2, at("2026-12-01", 9), 5, status="approved")
    book(i1, u_om1, at("2025-12-31", 23), 1)
    return {"i1": i1, "i2": i2, "i3": i3, "i4": i4, "p1": p1, "ob1": ob1, "ob2": ob2, "om1": om1}


def table(rows):
    return {
        row.name: (
            row.bookings,
            row.instruments,
            row.effective_hours,
            row.external_hours,
            row.cross_region_hours,
            row.share_rate,
            row.utilisation,
        )
        for row in rows
    }


def test_instrument_indicators(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = indicators(level="instrument", year=2026)
    assert [r.name for r in rows] == ["仪器一", "仪器三", "仪器二"]  # most effective hours first
    assert rows[0].key == world["i1"].pk
    assert table(rows) == {
        "仪器一": (3, 1, D("8.50"), D("6.50"), D("4.00"), D("0.7647"), D("0.0850")),
        "仪器三": (2, 1, D("3.00"), D("3.00"), D("2.00"), D("1.0000"), D("0.0300")),
        "仪器二": (1, 1, D("1.00"), D("1.00"), D("1.00"), D("1.0000"), D("0.0100")),
    }


def test_platform_indicators_count_idle_instruments_in_the_utilisation(
    world, django_assert_num_queries
):
    # One grouped query for the bookings, one for the group's instruments, whatever the size.
    with django_assert_num_queries(2):
        rows = indicators(level="platform", year=2026)
    # I3 is on no platform; P1's three instruments share 9.5 h: 9.5 / (100 × 3).
    assert table(rows) == {
        "平台一": (4, 3, D("9.50"), D("7.50"), D("5.00"), D("0.7895"), D("0.0317")),
    }


def test_organisation_indicators(world, django_assert_num_queries):
    # One grouped query for the bookings, one for the group's instruments, whatever the size.
    with django_assert_num_queries(2):
        rows = indicators(level="organisation", year=2026)
    assert table(rows) == {
        "北碚一": (3, 2, D("8.50"), D("6.50"), D("4.00"), D("0.7647"), D("0.0425")),
        "绵阳一": (2, 1, D("3.00"), D("3.00"), D("2.00"), D("1.0000"), D("0.0300")),
        "北碚二": (1, 1, D("1.00"), D("1.00"), D("1.00"), D("1.0000"), D("0.0100")),
    }


def test_region_indicators(world, django_assert_num_queries):
    # One grouped query for the bookings, one for the group's instruments, whatever the size.
    with django_assert_num_queries(2):
        rows = indicators(level="region", year=2026)
    assert table(rows) == {
        "北碚": (4, 3, D("9.50"), D("7.50"), D("5.00"), D("0.7895"), D("0.0317")),
        "绵阳": (2, 1, D("3.00"), D("3.00"), D("2.00"), D("1.0000"), D("0.0300")),
    }


def test_a_year_is_the_calendar_year_in_china(world):
    rows = indicators(level="region", year=2025)
    assert table(rows) == {
        "北碚": (1, 3, D("1.00"), D("1.00"), D("1.00"), D("1.0000"), D("0.0033")),
    }
    assert indicators(level="region", year=2024) == []


def test_the_yearly_base_is_a_setting_defaulting_to_1600(settings):
    del settings.INDICATOR_YEARLY_BASE_HOURS
    assert yearly_base_hours() == D(1600)
    settings.INDICATOR_YEARLY_BASE_HOURS = 1400
    assert yearly_base_hours() == D(1400)


def test_an_unknown_level_is_refused(db):
    with pytest.raises(RuleBroken):
        indicators(level="zone", year=2026)


# --- Who sees what ----------------------------------------------------------------------------


def test_a_manager_sees_the_instrument_level_of_their_own_instruments_only(world):
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER])
    world["i3"].managers.add(manager)
    rows = indicators_for_user(user=manager, level="instrument", year=2026)
    assert [r.key for r in rows] == [world["i3"].pk]
    with pytest.raises(Forbidden):
        indicators_for_user(user=manager, level="region", year=2026)


def test_a_researcher_sees_no_indicators(world):
    with pytest.raises(Forbidden):
        indicators_for_user(user=UserFactory(), level="instrument", year=2026)


def test_api_gives_coordinators_the_indicators(world, api):
    api.force_authenticate(UserFactory(roles=[Role.COORDINATOR]))
    response = api.get("/api/indicators/", {"level": "region", "year": 2026})
    assert response.status_code == 200
    body = response.json()
    assert (body["level"], body["year"], body["base_hours"]) == ("region", 2026, "100.0")
    first = body["results"][0]
    assert first["name"] == "北碚"
    assert (first["effective_hours"], first["share_rate"], first["utilisation"]) == (
        "9.50",
        "0.7895",
        "0.0317",
    )


def test_api_refuses_indicators_in_the_one_error_shape(world, api):
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER])
    api.force_authenticate(manager)
    forbidden = api.get("/api/indicators/", {"level": "platform", "year": 2026})
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["rule"] == "indicator_level_forbidden"
    invalid = api.get("/api/indicators/", {"level": "galaxy"})
    assert invalid.status_code == 400
    assert "level" in invalid.json()["error"]["fields"]
    api.force_authenticate(UserFactory())
    assert api.get("/api/indicators/", {"level": "region"}).status_code == 403
