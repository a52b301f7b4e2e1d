"""Matching: the labelled set, the reasons, the readiness window, what is never matched, rematch
idempotence, and the worker computing matches when a listing is published."""

import datetime

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from portal.notifications.models import Notification
from sharing.techmarket import matching, services
from sharing.techmarket.models import Match, TechListing
from tests.factories import UserFactory
from tests.techmarket import labelled_matches
from tests.techmarket.factories import OwnerFactory, TechListingFactory, TechNeedFactory

COMPONENTS = {"keywords", "field", "trl", "mode", "distance"}


def _rank(need, expected_ids) -> int | None:
    ranked = matching.matches_for_need(need, limit=50)
    for position, (listing, _score, _reasons) in enumerate(ranked, start=1):
        if listing.pk in expected_ids:
            return position
    return None


@pytest.mark.django_db
def test_the_right_listing_is_in_the_top_three_for_most_labelled_needs():
    listings, needs = labelled_matches.load()
    lines, hits = [], 0
    for row in labelled_matches.NEEDS:
        need = needs[row["key"]]
        expected = {listings[key].pk for key in row["expect"]}
        rank = _rank(need, expected)
        top = [
            f"{listing.title[:14]}({score:.2f})"
            for listing, score, _r in matching.matches_for_need(need, limit=3)
        ]
        hits += rank is not None and rank <= 3
        lines.append(f"{row['key']} {need.title[:16]:<16} rank={rank} top3={top}")
    share = hits / len(labelled_matches.NEEDS)
    report = "\n".join(lines)
    print(f"labelled set: top-3 for {hits}/{len(labelled_matches.NEEDS)}\n{report}")
    assert share >= 0.8, f"top-3 for {hits}/{len(labelled_matches.NEEDS)} ({share:.0%})\n{report}"

    # The other way round: the labelled need among a listing's top three needs.
    back = []
    for row in labelled_matches.NEEDS:
        need = needs[row["key"]]
        ranked = [n.pk for n, _s, _r in matching.matches_for_listing(listings[row["expect"][0]])]
        back.append(ranked.index(need.pk) + 1 if need.pk in ranked else None)
    reverse = sum(rank is not None and rank <= 3 for rank in back) / len(back)
    print(f"listing → need ranks: {back}")
    assert reverse >= 0.8, f"listing → need top-3 for {reverse:.0%}: ranks {back}"


@pytest.mark.django_db
def test_each_reason_carries_its_score_weight_and_text():
    listing = TechListingFactory(
        title="铝合金激光焊接技术",
        abstract="激光焊接铝合金薄板，变形小。",
        trl=6,
        industry_section="C",
        industry_division="34",
        transfer_modes=["assignment"],
    )
    need = TechNeedFactory(
        title="铝合金焊接变形控制",
        problem="需要激光焊接工艺。",
        trl_min=5,
        trl_max=7,
        hightech_field="materials",
        industry_section="C",
        industry_division="34",
        cooperation_modes=["assignment"],
    )
    [(found, score, reasons)] = matching.matches_for_need(need)
    assert found == listing
    assert set(reasons) == COMPONENTS
    for part in reasons.values():
        assert 0 <= part["score"] <= 1
        assert part["weight"] > 0
        assert part["text"]
    assert "激光" in reasons["keywords"]["terms"]
    assert reasons["trl"]["text"] == "成熟度 6 在需求范围 5–7 内"
    assert reasons["mode"]["text"] == "转化方式相符：转让"
    assert reasons["field"]["score"] == 1.0
    assert score == pytest.approx(sum(p["score"] * p["weight"] for p in reasons.values()), abs=1e-3)


@pytest.mark.django_db
def test_a_listing_outside_the_readiness_window_ranks_lower():
    ready = TechListingFactory(title="碳纤维复合材料成型", abstract="碳纤维预浸料快速固化。", trl=7)
    early = TechListingFactory(title="碳纤维复合材料成型", abstract="碳纤维预浸料快速固化。", trl=3)
    need = TechNeedFactory(
        title="碳纤维复合材料成型工艺", problem="碳纤维预浸料固化慢。", trl_min=6, trl_max=9
    )
    ranked = matching.matches_for_need(need)
    assert [listing for listing, _s, _r in ranked] == [ready, early]
    assert ranked[1][2]["trl"]["score"] < ranked[0][2]["trl"]["score"] == 1.0
    assert "低于需求下限 6" in ranked[1][2]["trl"]["text"]


@pytest.mark.django_db
def test_drafts_unpublished_and_closed_listings_are_never_matched():
    text = {"title": "北斗高精度定位模块", "abstract": "北斗RTK厘米级定位。"}
    published = TechListingFactory(**text)
    for status in ("draft", "submitted", "review", "closed", "transferred"):
        TechListingFactory(status=status, **text)
    need = TechNeedFactory(title="北斗厘米级定位", problem="农机需要北斗高精度定位。")
    assert [listing for listing, _s, _r in matching.matches_for_need(need)] == [published]
    matching.need_rematch(need_id=need.pk)
    assert list(Match.objects.values_list("listing_id", flat=True)) == [published.pk]


@pytest.mark.django_db
def test_an_expired_or_closed_need_gets_no_matches():
    listing = TechListingFactory(title="北斗高精度定位模块", abstract="北斗RTK厘米级定位。")
    TechNeedFactory(title="北斗厘米级定位", problem="北斗高精度定位。", status="closed")
    TechNeedFactory(
        title="北斗厘米级定位",
        problem="北斗高精度定位。",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert matching.matches_for_listing(listing) == []
    assert matching.listing_rematch(listing_id=listing.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_rematch_twice_keeps_the_same_rows_and_tells_each_party_once():
    owner = OwnerFactory()
    listing = TechListingFactory(
        created_by=owner,
        title="铝合金激光焊接技术",
        abstract="激光焊接铝合金薄板，变形小，气孔少。",
        keywords=["激光焊接", "铝合金"],
        transfer_modes=["assignment"],
        trl=7,
        hightech_field="manufacturing",
    )
    need = TechNeedFactory(
        title="铝合金激光焊接",
        problem="铝合金薄板激光焊接变形和气孔问题。",
        keywords=["激光焊接"],
        cooperation_modes=["assignment"],
        trl_min=6,
        trl_max=9,
        hightech_field="manufacturing",
    )
    assert matching.need_rematch(need_id=need.pk) == 1
    first = list(Match.objects.values_list("listing_id", "need_id", "score"))
    told = set(Notification.objects.filter(kind="tech_match").values_list("user_id", "key"))
    assert {user for user, _key in told} == {owner.pk, need.created_by_id}

    assert matching.need_rematch(need_id=need.pk) == 1
    assert matching.listing_rematch(listing_id=listing.pk) == 1
    assert list(Match.objects.values_list("listing_id", "need_id", "score")) == first
    assert Notification.objects.filter(kind="tech_match").count() == 2


@pytest.mark.django_db
def test_a_listing_taken_off_the_market_loses_its_matches():
    listing = TechListingFactory(title="北斗高精度定位模块", abstract="北斗RTK厘米级定位。")
    need = TechNeedFactory(title="北斗厘米级定位", problem="农机需要北斗高精度定位。")
    matching.need_rematch(need_id=need.pk)
    assert Match.objects.filter(listing=listing).exists()
    TechListing.objects.filter(pk=listing.pk).update(status="closed")
    assert matching.listing_rematch(listing_id=listing.pk) == 0
    assert matching.need_rematch(need_id=need.pk) == 0
    assert not Match.objects.exists()


@pytest.mark.worker
def test_the_worker_computes_matches_when_a_listing_is_published(celery_worker):
    import time

    need = TechNeedFactory(
        title="无人机碳纤维机身成型",
        problem="碳纤维复合材料机身件成型周期长。",
        keywords=["碳纤维", "无人机"],
    )
    owner = OwnerFactory()
    listing = TechListingFactory(
        created_by=owner,
        status="review",
        title="碳纤维复合材料快速成型",
        abstract="碳纤维预浸料非热压罐快速固化，适用于无人机机身。",
        keywords=["碳纤维"],
    )
    reviewer = UserFactory(roles=[Role.REVIEWER])
    services.listing_decide(
        user=reviewer,
        listing=listing,
        decision="approve",
        reason="无涉密内容，非管制物项。",
        secrecy_checked=True,
        export_control_checked=True,
    )
    deadline = time.monotonic() + 60
    while not Match.objects.filter(listing=listing, need=need).exists():
        assert time.monotonic() < deadline, "the worker computed no match within a minute"
        time.sleep(0.2)
    match = Match.objects.get(listing=listing, need=need)
    assert set(match.reasons) == COMPONENTS
