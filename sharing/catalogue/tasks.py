from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal.errors import Conflict
from sharing.catalogue import feed_fetch
from sharing.catalogue.feed import FeedError
from sharing.catalogue.imports import import_job_create, import_job_fail, import_job_run
from sharing.catalogue.models import FeedSource, ImportJob


@shared_task
def run_import(job_id: int) -> str:
    return import_job_run(job_id=job_id).status


@shared_task
def sync_feed_source(source_id: int) -> str:
    source = FeedSource.objects.get(pk=source_id)
    # A live job left by a worker that died is picked up again rather than blocking the source.
    job = source.jobs.filter(status__in=ImportJob.LIVE).first()
    if job is None:
        try:
            job = import_job_create(source=source, full=source.full)
        except Conflict:
            return "already running"
    try:
        with feed_fetch.local_copy(source) as path:
            return import_job_run(job_id=job.pk, path=path).status
    except FeedError as exc:
        import_job_fail(job_id=job.pk, error=str(exc))
        return "failed"


@shared_task(ignore_result=True)
def sync_due_feed_sources() -> None:
    """Beat calls this every few minutes; each enabled source whose interval has passed is
    imported. A source with a live run is skipped by the database constraint, not by luck."""
    now = timezone.now()
    for source in FeedSource.objects.filter(enabled=True):
        due = source.last_run_at is None or (
            source.last_run_at + timedelta(minutes=source.interval_minutes) <= now
        )
        if due:
            sync_feed_source.delay(source.pk)
