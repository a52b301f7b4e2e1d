"""What a match says about distance and shared words: the distance sentence follows the two
organisations' locations, and demo markers and stop-words never count as shared keywords."""

import pytest
from django.contrib.gis.geos import Point

from sharing.techmarket import matching
from tests.factories import OrganisationFactory, beibei, mianyang
from tests.techmarket.factories import (
    FirmUserFactory,
    OwnerFactory,
    TechListingFactory,
    TechNeedFactory,
)

pytestmark = pytest.mark.django_db

SWUST = Point(104.6929, 31.5356, srid=4326)  # 绵阳
BEIBEI = Point(106.4201, 29.8236, srid=4326)  # 北碚


def _organisation(kind, region, at):
    confidence = "high" if at is not None else ""
    return OrganisationFactory(
        kind=kind, region=region, location=at, location_confidence=confidence
    )


def _pair(*, owner_at, firm_at, title_extra=""):
    owner = OwnerFactory(organisation=_organisation("research_institute", mianyang(), owner_at))
    firm = FirmUserFactory(organisation=_organisation("firm", beibei(), firm_at))
    listing = TechListingFactory(
        created_by=owner,
        title=f"铝合金激光焊接技术{title_extra}",
        abstract="激光焊接铝合金薄板，变形小。",
    )
    need = TechNeedFactory(
        created_by=firm, title=f"铝合金焊接变形控制{title_extra}", problem="需要激光焊接工艺。"
    )
    return listing, need


def _distance_both_ways(listing, need):
    [(found, _score, from_need)] = matching.matches_for_need(need)
    [(other, _score, from_listing)] = matching.matches_for_listing(listing)
    assert (found, other) == (listing, need)
    return from_need["distance"], from_listing["distance"]


def test_both_located_parties_get_their_distance_not_a_missing_location():
    listing, need = _pair(owner_at=SWUST, firm_at=BEIBEI)
    for distance in _distance_both_ways(listing, need):
        assert distance["km"] == pytest.approx(250, abs=40), distance
        assert "未标注位置" not in distance["text"]
        assert "公里" in distance["text"]


@pytest.mark.parametrize(
    ("owner_at", "firm_at", "said"),
    [
        (SWUST, None, "需求方未标注位置"),
        (None, BEIBEI, "成果方未标注位置"),
        (None, None, "双方均未标注位置"),
    ],
)
def test_the_party_without_a_location_is_named(owner_at, firm_at, said):
    listing, need = _pair(owner_at=owner_at, firm_at=firm_at)
    for distance in _distance_both_ways(listing, need):
        assert distance["km"] is None
        assert said in distance["text"], distance["text"]
        assert "一方" not in distance["text"]


def test_a_party_without_a_point_in_the_same_region_is_said_to_be_there():
    owner = OwnerFactory(organisation=_organisation("research_institute", beibei(), BEIBEI))
    firm = FirmUserFactory(organisation=_organisation("firm", beibei(), None))
    TechListingFactory(created_by=owner, title="铝合金激光焊接技术", abstract="激光焊接铝合金。")
    need = TechNeedFactory(created_by=firm, title="铝合金焊接变形控制", problem="激光焊接工艺。")
    [(_listing, _score, reasons)] = matching.matches_for_need(need)
    assert reasons["distance"]["text"] == "同在北碚；需求方未标注位置，距离按中性计"


def test_a_demo_marker_is_never_a_shared_keyword():
    listing, need = _pair(owner_at=SWUST, firm_at=BEIBEI, title_extra="（演示）")
    [(found, _score, reasons)] = matching.matches_for_need(need)
    assert found == listing
    assert "演示" not in reasons["keywords"]["terms"]
    assert "演示" not in reasons["keywords"]["text"]
    assert {"激光", "焊接"} & set(reasons["keywords"]["terms"])


def test_a_pair_sharing_only_demo_markers_is_no_match():
    owner = OwnerFactory(organisation=_organisation("research_institute", mianyang(), SWUST))
    firm = FirmUserFactory(organisation=_organisation("firm", beibei(), BEIBEI))
    TechListingFactory(created_by=owner, title="柑橘黄龙病快速检测（演示）", abstract="等温扩增。")
    need = TechNeedFactory(created_by=firm, title="无人机机身减重（演示 demo）", problem="轻量化。")
    assert matching.matches_for_need(need) == []


def _located_listings(count: int):
    for _ in range(count):
        owner = OwnerFactory(organisation=_organisation("research_institute", mianyang(), SWUST))
        TechListingFactory(
            created_by=owner, title="铝合金激光焊接技术", abstract="激光焊接铝合金薄板，变形小。"
        )


def _queries_of_matching(need) -> tuple[int, list]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        found = matching.matches_for_need(need)
    return len(queries), found


def test_matching_reads_the_regions_once_however_many_pairs_it_explains():
    # The distance sentence names the regions in two languages for every pair; it read the
    # region table for each name, about 50 queries for 20 pairs (two thirds of a match's time).
    firm = FirmUserFactory(organisation=_organisation("firm", beibei(), BEIBEI))
    need = TechNeedFactory(
        created_by=firm, title="铝合金焊接变形控制", problem="需要激光焊接工艺。"
    )
    _located_listings(2)
    few, found = _queries_of_matching(need)
    assert len(found) == 2
    _located_listings(6)
    many, found = _queries_of_matching(need)
    assert len(found) == 8
    assert many == few
    texts = found[0][2]["distance"]["texts"]
    assert "绵阳" in texts["zh-hans"] and "北碚" in texts["zh-hans"]
    assert "Mianyang" in texts["en"] and "Beibei" in texts["en"], texts
