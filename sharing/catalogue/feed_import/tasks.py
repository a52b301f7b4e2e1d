"""The feed import's Celery tasks.

Their names stay those they were registered under when they lived in sharing.catalogue.tasks:
queued messages and the beat schedule (CELERY_BEAT_SCHEDULE, copied into django-celery-beat's
tables) name them so. autodiscover_tasks looks only at <app>.tasks, so the app's ready()
imports this module.
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from portal.errors import Conflict
from sharing.catalogue.feed_import import fetch
from sharing.catalogue.feed_import.jobs import (
    import_job_create,
    import_job_fail,
    import_job_run,
    import_jobs_stale,
)
from sharing.catalogue.feed_import.read import FeedError
from sharing.catalogue.models import FeedSource, ImportJob

logger = logging.getLogger(__name__)


# No result kept, as for send_notification: the job row is the result (see ImportJob.status).
@shared_task(name="sharing.catalogue.tasks.run_import", ignore_result=True)
def run_import(job_id: int) -> str:
    return import_job_run(job_id=job_id).status


@shared_task(name="sharing.catalogue.tasks.sync_feed_source", ignore_result=True)
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
        with fetch.local_copy(source) as path:
            return import_job_run(job_id=job.pk, path=path).status
    except FeedError as exc:
        import_job_fail(job_id=job.pk, error=str(exc))
        return "failed"


@shared_task(name="sharing.catalogue.tasks.sync_due_feed_sources", ignore_result=True)
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


@shared_task(name="sharing.catalogue.tasks.recover_imports", ignore_result=True)
def recover_imports() -> int:
    """Enqueue again the imports a dead worker left (see jobs.import_jobs_stale). Beat runs
    it every few minutes and every worker once at start; a job enqueued twice runs once."""
    stale = import_jobs_stale()
    for job in stale:
        logger.warning(
            "import job %s (%s) left by a lost worker: enqueued again", job.pk, job.status
        )
        if job.source_id:
            # The source task fetches the feed again and picks up the live job.
            sync_feed_source.delay(job.source_id)
        else:
            run_import.delay(job.pk)
    return len(stale)


@worker_ready.connect(dispatch_uid="catalogue-recover-imports-at-start")
def _recover_at_start(**kwargs) -> None:
    # A worker that was SIGKILLed and restarted should not leave its import for the visibility
    # timeout (an hour) or the next beat run to find.
    try:
        recover_imports.delay()
    except Exception:
        logger.warning("could not enqueue the import recovery at start", exc_info=True)
