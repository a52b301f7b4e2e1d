"""Import jobs: one feed file imported and followed (progress, counts, rejected rows)."""

import contextlib
import logging
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import audit_record
from portal.errors import Conflict, RuleBroken, require
from portal.uploads import safe_upload_name
from sharing.catalogue import rules
from sharing.catalogue.feed_import.read import FeedError, open_feed
from sharing.catalogue.feed_import.store import Counts, InstrumentImport
from sharing.catalogue.feed_import.upsert import Rejection, Stored
from sharing.catalogue.models import FeedSource, ImportJob, ImportRejection

log = logging.getLogger(__name__)

MAX_STORED_REJECTIONS = 10_000
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")
# How much of an uploaded CSV is checked while the uploader waits (the rest by the worker).
UPLOAD_SCAN_BYTES = 32 * 1024 * 1024


def feed_upload_check(*, upload: UploadedFile) -> None:
    """Whole-file problems (encoding, NUL bytes, broken quotes, header, not a workbook, a zip
    bomb) refuse the upload with a 400 before a job exists; row problems are the job's to list.
    A CSV is read through up to UPLOAD_SCAN_BYTES (so the request ends in seconds), an XLSX
    only as far as its header; what lies deeper the worker checks before it writes any row,
    failing the job with nothing stored."""
    suffix = Path(upload.name or "").suffix.lower()
    with contextlib.ExitStack() as stack:
        if hasattr(upload, "temporary_file_path"):
            path = Path(upload.temporary_file_path())
        else:
            # Small uploads live in memory; the readers want a file.
            spool = stack.enter_context(tempfile.NamedTemporaryFile(suffix=suffix))
            upload.seek(0)
            shutil.copyfileobj(upload, spool)
            spool.flush()
            path = Path(spool.name)
        try:
            open_feed(path, f"feed{suffix}", scan_limit=UPLOAD_SCAN_BYTES).close()
        except FeedError as exc:
            message = _("文件无法导入：%(reason)s。请修正后重新上传。") % {"reason": exc}
            raise RuleBroken(message, rule="feed_unreadable", fields={"file": [str(exc)]}) from None
        finally:
            upload.seek(0)


def import_jobs_visible(*, user) -> QuerySet[ImportJob]:
    """The import jobs a person may follow: every one for administrators, else their own."""
    jobs = ImportJob.objects.all()
    return jobs if rules.may_follow_every_import(user) else jobs.filter(created_by=user)


def import_source_get(*, user, name: str) -> FeedSource:
    """The source an import names, for a person (``user``; None acts for the site). Anyone but
    an administrator is refused before the name is looked up: a source that exists and one that
    does not get the same 403, so trying names tells nothing."""
    require(rules.may_import_by_source(user))
    source = FeedSource.objects.filter(name=name).first()
    if source is None:
        message = _("没有名为“%(name)s”的数据源。") % {"name": name}
        raise RuleBroken(message, rule="unknown_source", fields={"source": [message]})
    return source


def import_job_create(
    *,
    user=None,
    upload: UploadedFile | None = None,
    source: FeedSource | None = None,
    full: bool = False,
    dry_run: bool = False,
) -> ImportJob:
    """A queued job; the caller enqueues run_import on commit. A person (``user``) needs the
    administrator role to import into a source or run a full import (Forbidden); an upload is
    checked whole first (feed_upload_check). Raises Conflict when the source already has a
    live run (the database's partial unique constraint decides). ``user=None`` is the
    scheduler or the command line, which act for the site."""
    if full and source is None:
        raise RuleBroken(
            _("全量导入需要指定数据源：请选择一个数据源，或取消“全量导入”。"),
            rule="full_needs_source",
        )
    if source or full:
        require(rules.may_import_by_source(user))
    if upload is not None:
        feed_upload_check(upload=upload)
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
        # The stored name is ours and random, never the uploader's path nor guessable.
        upload.name = safe_upload_name(job.original_filename)
        job.file = upload
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        message = _("该数据源已有导入任务在进行中，请等它结束后再试。")
        raise Conflict(message, rule="one_live_run_per_source") from None
    audit_record(
        actor=user,
        action="import.queued",
        target=job,
        changes={"file": job.original_filename, "source": job.source_name, "full": full},
    )
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
    again from the top (the import itself is idempotent: the rows the dead run committed come
    back unchanged, and the counts it committed are carried over, see _run)."""
    job = ImportJob.objects.select_related("source", "created_by__organisation").get(pk=job_id)
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
    # Outside a dry run, `created` and `updated` are counted in the database, in the same
    # transaction as the batch they count (on_stored). A job found running was left by a worker
    # that died: its committed counts are exact, and this run finds those rows again unchanged,
    # so they are carried over and taken off this run's `unchanged`.
    resumed = job.status == ImportJob.Status.RUNNING and not job.dry_run
    carried = Counts(created=job.created, updated=job.updated) if resumed else Counts()
    if resumed:
        log.warning("import job %s: resuming after a lost worker, %s", job.pk, carried)
    # A rerun after a crash starts its rejection list afresh.
    job.rejections.all().delete()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=job.started_at if resumed else timezone.now(),
        error="",
        created=carried.created,
        updated=carried.updated,
    )
    audit_record(actor=None, action="import.started", target=job, changes={"resumed": resumed})
    path = path or Path(job.file.path if job.file else job.source.location)
    stored = [0]
    pending: list[Rejection] = []

    def totals(counts: Counts) -> dict:
        values = counts.as_dict()
        again = carried.created + carried.updated
        values["unchanged"] = max(0, counts.unchanged - again)
        if not job.dry_run:
            del values["created"], values["updated"]
        return values

    def progress(counts: Counts, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            bytes_read=min(done, total) if total else done,
            bytes_total=total,
            **totals(counts),
        )
        if on_progress:
            on_progress(counts, done, total)

    def counted(batch: Stored) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            created=F("created") + batch.created, updated=F("updated") + batch.updated
        )

    def rejected(rejections: list[Rejection]) -> None:
        if job.dry_run:
            # A dry run is rolled back as a whole; its rejections are written afterwards.
            pending.extend(rejections[: MAX_STORED_REJECTIONS - len(pending)])
        else:
            _flush_rejections(job, rejections, stored)

    runner = InstrumentImport(
        scope=rules.import_scope(job.created_by),
        path=path,
        filename=job.original_filename or None,
        source=job.source,
        full=job.full,
        dry_run=job.dry_run,
        on_progress=progress,
        on_rejections=rejected,
        on_stored=None if job.dry_run else counted,
    )
    try:
        counts = runner.run()
    except FeedError as exc:
        _finish(job, totals(runner.counts), ImportJob.Status.FAILED, str(exc))
    except Exception as exc:
        log.exception("import job %s failed", job.pk)
        _finish(job, totals(runner.counts), ImportJob.Status.FAILED, f"{type(exc).__name__}: {exc}")
    else:
        if pending:
            _flush_rejections(job, pending, stored)
        _finish(job, totals(counts), ImportJob.Status.SUCCEEDED, "")
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, counts: Counts | dict, status: str, error: str) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        finished_at=now,
        error=error[:2000],
        bytes_read=F("bytes_total") if status == ImportJob.Status.SUCCEEDED else F("bytes_read"),
        **(counts.as_dict() if isinstance(counts, Counts) else counts),
    )
    if job.source_id:
        FeedSource.objects.filter(pk=job.source_id).update(
            last_run_at=now, last_status=status, last_error=error[:2000]
        )
    # A dry run's transaction is rolled back, and its audit line with it.
    audit_record(
        actor=None,
        action=f"import.{status}",
        target=job,
        changes={"error": error[:300]} if error else {},
    )


def import_jobs_stale(*, queued_for_minutes: int = 10) -> list[ImportJob]:
    """The live jobs nobody is working on: running with nobody holding their lock (the worker
    died; PostgreSQL released its lock with its connection), or queued for longer than a queue
    should take (the message was lost, or never sent because Redis was down).

    The lock says whether a runner lives, not a guess from timestamps, so a slow import is never
    taken for a dead one. The broker's own redelivery (visibility_timeout) stays as a backstop.
    """
    stale = []
    for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING):
        with _exclusive(job) as got:
            # Read again under the lock: a runner that just finished released it after.
            if got and ImportJob.objects.filter(pk=job.pk, status=job.status).exists():
                stale.append(job)
    cutoff = timezone.now() - timedelta(minutes=queued_for_minutes)
    stale.extend(ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=cutoff))
    return stale
