"""Celery tasks of the exchange: thin, load by id, call matching; safe to run twice (a rematch
upserts the same rows and the outbox keys make a second notification a no-op)."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db.models import F, Q

from sharing.techmarket import matching
from sharing.techmarket.models import TechListing, TechNeed

SWEEP_BATCH = 200
logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def match_listing(listing_id: int) -> int:
    return matching.listing_rematch(listing_id=listing_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def match_need(need_id: int) -> int:
    return matching.need_rematch(need_id=need_id)


@shared_task(ignore_result=True)
def rematch_pending() -> int:
    """Beat: matching for what was published while the broker was down (the publication
    committed, its task was never taken), or published again since matching last ran."""
    stale = Q(matched_at__isnull=True) | Q(matched_at__lt=F("published_at"))
    listings = TechListing.objects.filter(stale, status=TechListing.Status.PUBLISHED)
    needs = TechNeed.objects.filter(stale, status=TechNeed.Status.PUBLISHED)
    listing_ids = list(listings.values_list("pk", flat=True)[:SWEEP_BATCH])
    need_ids = list(needs.values_list("pk", flat=True)[:SWEEP_BATCH])
    for listing_id in listing_ids:
        match_listing.delay(listing_id)
    for need_id in need_ids:
        match_need.delay(need_id)
    return len(listing_ids) + len(need_ids)


@shared_task(ignore_result=True)
def warm_corpus() -> list[str]:
    """At worker start and hourly (beat): the corpus statistics computed before a match needs
    them (matching.corpus_warm). Returns the kinds it computed."""
    return [kind for kind in ("listing", "need") if matching.corpus_warm(kind)]


@worker_ready.connect(dispatch_uid="techmarket-warm-corpus-at-start")
def _warm_at_start(**kwargs) -> None:
    # A restarted worker (or a Redis that came back empty) would otherwise make the first
    # match after it wait for ts_stat over every listing: seconds at 100,000 listings.
    try:
        warm_corpus.delay()
    except Exception:
        logger.warning("could not enqueue the corpus warm-up at start", exc_info=True)
