"""Celery tasks of the exchange: thin, load by id, call matching; safe to run twice (a rematch
upserts the same rows and the outbox keys make a second notification a no-op)."""

from celery import shared_task

from sharing.techmarket import matching


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def match_listing(listing_id: int) -> int:
    return matching.listing_rematch(listing_id=listing_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def match_need(need_id: int) -> int:
    return matching.need_rematch(need_id=need_id)
