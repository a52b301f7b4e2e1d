"""Keeping Match rows: recompute a side's matches, upsert its top pairs, drop stale ones, tell
both parties of new good pairs. Run by tasks.py after publication and by its sweep."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.notifications.services import notify
from sharing.techmarket.matching.candidates import (
    TOP_K,
    listings_by_id,
    need_side,
    rank_for_listing,
    rank_for_need,
)
from sharing.techmarket.matching.corpus import corpus
from sharing.techmarket.matching.score import explain, regions_read_once, score_pair
from sharing.techmarket.models import Match, TechListing, TechNeed

STORE_MIN = 0.25  # below this a pair is not worth a row
NOTIFY_MIN = 0.5  # a new pair at or above this is told to both parties


def _need_live(need: TechNeed) -> bool:
    return need.status == TechNeed.Status.PUBLISHED and need.expires_on >= timezone.localdate()


def _save(pairs: list[tuple[int, int, float, dict]]) -> None:
    """Upsert (listing_id, need_id, score, reasons), in key order so two tasks writing
    overlapping pairs take their row locks in the same order."""
    rows = [
        Match(listing_id=lid, need_id=nid, score=score, reasons=reasons)
        for lid, nid, score, reasons in sorted(pairs, key=lambda p: (p[0], p[1]))
    ]
    if rows:
        Match.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["listing", "need"],
            update_fields=["score", "reasons", "computed_at"],
        )


def _still_wanted_by_need(need_id: int, listing_id: int, score: float) -> bool:
    """A pair this listing no longer ranks in its top K stays while the need still does."""
    better = (
        Match.objects.filter(need_id=need_id, score__gt=score)
        .exclude(listing_id=listing_id)
        .count()
    )
    return score >= STORE_MIN and better < TOP_K


def _still_wanted_by_listing(listing_id: int, need_id: int, score: float) -> bool:
    better = (
        Match.objects.filter(listing_id=listing_id, score__gt=score)
        .exclude(need_id=need_id)
        .count()
    )
    return score >= STORE_MIN and better < TOP_K


def _tell(listing: TechListing, need: TechNeed, score: float, reasons: dict) -> None:
    """Both parties, once per pair (the outbox key makes a second call a no-op)."""
    why = "\n".join(part["text"] for part in reasons.values())
    extra = f"m{listing.pk}:{need.pk}"
    notify(
        kind="tech_match",
        user=listing.created_by,
        subject=_("您的成果匹配到技术需求：%(title)s") % {"title": need.title},
        body=_("成果“%(listing)s”与需求“%(need)s”匹配度 %(score).0f%%。")
        % {"listing": listing.title, "need": need.title, "score": score * 100}
        + "\n"
        + why,
        about=("tech_need", need.pk),
        extra=extra,
    )
    notify(
        kind="tech_match",
        user=need.created_by,
        subject=_("您的需求匹配到两用技术成果：%(title)s") % {"title": listing.title},
        body=_("需求“%(need)s”与成果“%(listing)s”匹配度 %(score).0f%%。")
        % {"listing": listing.title, "need": need.title, "score": score * 100}
        + "\n"
        + why,
        about=("tech_listing", listing.pk),
        extra=extra,
    )


@transaction.atomic
@regions_read_once()
def need_rematch(*, need_id: int) -> int:
    """Recompute a need's matches: upsert its top K, drop its stale pairs (unless the listing
    still ranks the need in its own top K), tell both parties of new good pairs. Returns the
    number of Match rows the need has afterwards. Safe to run twice."""
    need = (
        TechNeed.objects.select_related("organisation", "region", "created_by")
        .filter(pk=need_id)
        .first()
    )
    if need is None:
        return 0
    if not _need_live(need):
        Match.objects.filter(need=need).delete()
        return 0
    ranked = [row for row in rank_for_need(need, TOP_K) if row[1] >= STORE_MIN]
    _save([(lid, need.pk, score, reasons) for lid, score, reasons in ranked])
    kept = {lid for lid, _s, _r in ranked}
    stale = set(
        Match.objects.filter(need=need)
        .exclude(listing_id__in=kept)
        .values_list("listing_id", flat=True)
    )
    if stale:
        stats = corpus("listing")
        side = need_side(need)
        rescored = {
            listing.id: score_pair(side, listing, metres, stats)
            for listing, metres in listings_by_id(need, stale)
        }
        keep = {
            lid: sr for lid, sr in rescored.items() if _still_wanted_by_listing(lid, need.pk, sr[0])
        }
        _save([(lid, need.pk, s, explain(r)) for lid, (s, r) in keep.items()])
        Match.objects.filter(need=need, listing_id__in=stale - set(keep)).delete()
    good = [(lid, s, r) for lid, s, r in ranked if s >= NOTIFY_MIN]
    if good:
        listings = TechListing.objects.select_related("created_by").in_bulk([g[0] for g in good])
        for lid, score, reasons in good:
            _tell(listings[lid], need, score, reasons)
    TechNeed.objects.filter(pk=need.pk).update(matched_at=timezone.now())
    return Match.objects.filter(need=need).count()


@transaction.atomic
@regions_read_once()
def listing_rematch(*, listing_id: int) -> int:
    """Recompute a listing's matches, as need_rematch does for a need. Returns the number of
    Match rows the listing has afterwards."""
    listing = (
        TechListing.objects.select_related("organisation", "region", "created_by")
        .filter(pk=listing_id)
        .first()
    )
    if listing is None:
        return 0
    if listing.status != TechListing.Status.PUBLISHED:
        Match.objects.filter(listing=listing).delete()
        return 0
    ranked = [row for row in rank_for_listing(listing, TOP_K) if row[1] >= STORE_MIN]
    _save([(listing.pk, need.pk, score, reasons) for need, score, reasons in ranked])
    kept = {need.pk for need, _s, _r in ranked}
    stale = (
        Match.objects.filter(listing=listing)
        .exclude(need_id__in=kept)
        .select_related("need__region", "need__organisation")
    )
    if stale:
        stats = corpus("listing")
        keep, drop = [], []
        for match in stale:
            need = match.need
            rows = listings_by_id(need, [listing.pk]) if _need_live(need) else []
            if rows:
                score, reasons = score_pair(need_side(need), rows[0][0], rows[0][1], stats)
                if _still_wanted_by_need(need.pk, listing.pk, score):
                    keep.append((listing.pk, need.pk, score, explain(reasons)))
                    continue
            drop.append(match.pk)
        _save(keep)
        Match.objects.filter(pk__in=drop).delete()
    for need, score, reasons in ranked:
        if score >= NOTIFY_MIN:
            _tell(listing, need, score, reasons)
    TechListing.objects.filter(pk=listing.pk).update(matched_at=timezone.now())
    return Match.objects.filter(listing=listing).count()
