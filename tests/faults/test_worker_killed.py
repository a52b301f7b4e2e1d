"""A worker SIGKILLed mid-task (an OOM kill, a node lost): after a restart the work completes,
once. Imports: the restarted worker finds the job nobody holds and resumes it; rows are keyed
by (organisation, internal code) and the counts commit with their batches, so nothing doubles.
Notifications: the row lock dies with the worker and the outbox sweep sends what is unsent."""

import csv
import importlib.util
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Count
from django.utils import timezone
from psycopg import sql

from portal.accounts.models import Role
from portal.notifications.models import Notification
from sharing.bookings import tasks as booking_tasks
from sharing.bookings.models import Booking, Notice
from sharing.catalogue.feed_import.store import BATCH_SIZE
from sharing.catalogue.models import ImportJob, Instrument
from tests.factories import InstrumentFactory, UserFactory, beibei, mianyang
from tests.faults.conftest import ROOT, emailed, in_flight, wait_until

pytestmark = [pytest.mark.worker]

FEED_ROWS = 2 * BATCH_SIZE  # killed in the second batch, resumed from the top


def write_feed(path, rows: int) -> None:
    spec = importlib.util.spec_from_file_location(
        "faults_generate_instruments", ROOT / "bench" / "generate_instruments.py"
    )
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.write_csv(path, rows, 20240601)


STALL = """
CREATE OR REPLACE FUNCTION faults_stall() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(120);
    RETURN NEW;
END $$;
CREATE TRIGGER faults_stall BEFORE INSERT ON catalogue_instrument
    FOR EACH ROW WHEN (NEW.internal_code = {code}) EXECUTE FUNCTION faults_stall();
"""


@pytest.fixture
def second_batch_stalls():
    """Returns a function that makes the import hang inside its second batch's transaction,
    when the first batch is committed: the kill then lands mid-import by design, not by luck
    (an idle machine imports 4,000 rows in under two seconds)."""

    def stall(feed) -> None:
        with open(feed, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        code = rows[BATCH_SIZE]["所在单位仪器内部编码"]  # the first row of the second batch
        assert sum(row["所在单位仪器内部编码"] == code for row in rows) == 1
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL(STALL).format(code=sql.Literal(code)).as_string())

    try:
        yield stall
    finally:
        end_stalled()
        release_stall()


def end_stalled() -> None:
    """End the statement the dead worker left sleeping. PostgreSQL only notices a vanished
    client when it next talks to it, so a long statement would run on and then roll back;
    this is that, without the wait."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event = 'PgSleep'"
        )


def release_stall() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS faults_stall ON catalogue_instrument")
        cursor.execute("DROP FUNCTION IF EXISTS faults_stall()")


def stalled_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event = 'PgSleep'"
        )
        return cursor.fetchone()[0]


def test_an_import_whose_worker_is_killed_completes_after_restart_without_duplicates(
    worker, api, tmp_path, second_batch_stalls
):
    mianyang(), beibei()
    # The platform-wide feed names many organisations: only an administrator may import it.
    admin = UserFactory(username="admin", roles=[Role.ADMINISTRATOR])
    feed = tmp_path / "instruments.csv"
    write_feed(feed, FEED_ROWS)
    second_batch_stalls(feed)
    worker.start()

    api.force_authenticate(admin)
    upload = SimpleUploadedFile("instruments.csv", feed.read_bytes(), content_type="text/csv")
    response = api.post("/api/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]

    wait_until(stalled_backends, what="the import to reach its second batch")
    worker.kill()
    end_stalled()  # its open batch is rolled back
    wait_until(lambda: stalled_backends() == 0, what="the dead worker's backend to end")
    with connection.cursor() as cursor:
        # One statement, one snapshot: the job's counts against the rows really there.
        cursor.execute(
            """SELECT status, created, (SELECT count(*) FROM catalogue_instrument)
               FROM catalogue_importjob WHERE id = %s""",
            [job_id],
        )
        status, created, rows_before_restart = cursor.fetchone()
    assert status == "running"
    assert created == rows_before_restart == BATCH_SIZE  # counts committed with their rows
    release_stall()

    worker.start()  # its start-up sweep finds the job whose runner is gone
    job = wait_until(
        lambda: ImportJob.objects.filter(pk=job_id, status__in=["succeeded", "failed"]).first(),
        what="the import to finish after the restart",
    )

    assert job.status == "succeeded", job.error
    assert job.rows_read == FEED_ROWS
    assert job.created + job.updated + job.unchanged + job.rejected == FEED_ROWS
    # The rows the killed run wrote count as created once, not as unchanged the second time.
    assert (job.updated, job.unchanged) == (0, 0)
    assert job.created == Instrument.objects.count() > rows_before_restart
    assert job.rejected == job.rejections.count()
    doubled = (
        Instrument.objects.values("organisation_id", "internal_code")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    assert job.bytes_read == job.bytes_total > 0


def test_a_notification_sweep_killed_mid_send_emails_each_notification_once(worker, maildir):
    worker.env.update(
        EMAIL_BACKEND="tests.faults.mail.SlowFileBackend",
        EMAIL_FILE_PATH=str(maildir),
        FAULTS_MAIL_DELAY="0.2",
        FAULTS_MAIL_HOLD_AFTER="2",  # the third e-mail hangs until the worker is killed
    )
    instrument = InstrumentFactory()
    now = timezone.now()
    bookings = []
    for hour in range(6):  # six approved bookings, each due for its 24 h reminder
        start = now + timedelta(hours=3 + hour)
        period = DateTimeTZRange(start, start + timedelta(hours=1))
        bookings.append(
            Booking.objects.create(
                instrument=instrument,
                requester=UserFactory(email=f"r{hour}@example.org"),
                period=period,
                blocked=period,
                status="approved",
                rate_category="internal",
                purpose="扫描样品",
            )
        )
    worker.start()
    booking_tasks.send_reminders.delay()

    def mid_send() -> set[int]:
        # Two sent, and the third being handed over (the slow backend's marker).
        sent = emailed(maildir)
        return len(sent) == 2 and in_flight(maildir) - set(sent)

    caught = wait_until(mid_send, what="the sweep to be half way")
    worker.kill()
    del worker.env["FAULTS_MAIL_HOLD_AFTER"]
    notes = Notification.objects.filter(kind=Notice.REMINDER_24H)
    assert notes.count() == len(bookings)
    (interrupted,) = caught
    assert notes.get(pk=interrupted).emailed_at is None  # killed before the server took it
    assert interrupted not in emailed(maildir)
    assert notes.filter(emailed_at__isnull=True).exists()

    worker.start()  # its start-up outbox sweep sends what the killed worker left
    wait_until(
        lambda: not notes.filter(emailed_at__isnull=True).exists(),
        what="every reminder to be sent after the restart",
    )
    assert emailed(maildir) == dict.fromkeys(notes.values_list("pk", flat=True), 1)
    assert set(notes.values_list("attempts", flat=True)) == {1}
