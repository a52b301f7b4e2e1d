"""Import jobs: one feed file imported and followed (progress, counts, rejected rows)."""

import contextlib
import logging
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import Conflict
from sharing.catalogue.feed import FeedError
from sharing.catalogue.importer import Counts, InstrumentImport, Rejection
from sharing.catalogue.models import FeedSource, ImportJob, ImportRejection

log = logging.getLogger(__name__)

MAX_STORED_REJECTIONS = 10_000
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")


def import_job_create(
    *,
    user=None,
    upload: UploadedFile | None = None,
    source: FeedSource | None = None,
    full: bool = False,
    dry_run: bool = False,
) -> ImportJob:
    """A queued job; the caller enqueues run_import on commit. Raises Conflict when the source
    already has a live run (the database's partial unique constraint decides)."""
    job = ImportJob(
        created_by=user,
        source=source,
        source_name=source.name if source else "",
        full=full,
        dry_run=dry_run,
    )
    if upload is not None:
        job.original_filename = Path(upload.name or "feed").name[:255]
        job.bytes_total = upload.size or 0
        # The stored name is ours, never the uploader's path.
        suffix = Path(job.original_filename).suffix.lower()
        upload.name = f"feed{suffix}"
        job.file = upload
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        message = _("该数据源已有导入任务在进行中。")
        raise Conflict(message, rule="one_live_run_per_source") from None
    return job


def _flush_rejections(job: ImportJob, rejections: list[Rejection], stored: list[int]) -> None:
    room = MAX_STORED_REJECTIONS - stored[0]
    if room <= 0:
        return
    ImportRejection.objects.bulk_create(
        ImportRejection(
            job=job,
            row_number=r.row_number,
            column=r.column[:64],
            reason=r.reason[:300],
            value=r.value[:200],
        )
        for r in rejections[:room]
    )
    stored[0] += min(room, len(rejections))


@contextlib.contextmanager
def _exclusive(job: ImportJob):
    """A session advisory lock per source (or per job): a second worker handed the same work
    backs off, and a worker that dies releases the lock with its connection."""
    key = (7001, job.source_id) if job.source_id else (7002, job.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def import_job_run(*, job_id: int, path: Path | None = None, on_progress=None) -> ImportJob:
    """Run a queued job. Idempotent: a job that already finished is returned as it is, a job
    another worker is running is left to it, and a job that a dead worker left running starts
    again (the import itself is idempotent)."""
    job = ImportJob.objects.select_related("source").get(pk=job_id)
    if job.status in (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED):
        return job
    with _exclusive(job) as got:
        if not got:
            return job
        return _run(job, path, on_progress)


def import_job_fail(*, job_id: int, error: str) -> None:
    job = ImportJob.objects.get(pk=job_id)
    _finish(job, Counts(), ImportJob.Status.FAILED, error)


def _run(job: ImportJob, path: Path | None, on_progress) -> ImportJob:
    # A rerun after a crash starts its rejection list afresh.
    job.rejections.all().delete()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), error=""
    )
    path = path or Path(job.file.path if job.file else job.source.location)
    stored = [0]
    pending: list[Rejection] = []

    def progress(counts: Counts, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            bytes_read=min(done, total) if total else done,
            bytes_total=total,
            **counts.as_dict(),
        )
        if on_progress:
            on_progress(counts, done, total)

    def rejected(rejections: list[Rejection]) -> None:
        if job.dry_run:
            # A dry run is rolled back as a whole; its rejections are written afterwards.
            pending.extend(rejections[: MAX_STORED_REJECTIONS - len(pending)])
        else:
            _flush_rejections(job, rejections, stored)

    runner = InstrumentImport(
        path=path,
        filename=job.original_filename or None,
        source=job.source,
        full=job.full,
        dry_run=job.dry_run,
        on_progress=progress,
        on_rejections=rejected,
    )
    try:
        counts = runner.run()
    except FeedError as exc:
        _finish(job, runner.counts, ImportJob.Status.FAILED, str(exc))
    except Exception as exc:
        log.exception("import job %s failed", job.pk)
        _finish(job, runner.counts, ImportJob.Status.FAILED, f"{type(exc).__name__}: {exc}")
    else:
        if pending:
            _flush_rejections(job, pending, stored)
        _finish(job, counts, ImportJob.Status.SUCCEEDED, "")
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, counts: Counts, status: str, error: str) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        finished_at=now,
        error=error[:2000],
        bytes_read=F("bytes_total") if status == ImportJob.Status.SUCCEEDED else F("bytes_read"),
        **counts.as_dict(),
    )
    if job.source_id:
        FeedSource.objects.filter(pk=job.source_id).update(
            last_run_at=now, last_status=status, last_error=error[:2000]
        )
