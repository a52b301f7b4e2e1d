import pytest
from django.db import connections

from sharing.catalogue.feed_import import tasks
from sharing.catalogue.models import FeedSource, ImportJob, Instrument
from tests.catalogue.feeds import SAMPLE
from tests.factories import beibei, mianyang

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    mianyang(), beibei()
    return FeedSource.objects.create(name="sichuan-centre", location=str(SAMPLE), full=True)


def test_a_scheduled_source_is_imported_and_its_status_recorded(source):
    assert tasks.sync_feed_source(source.pk) == "succeeded"
    source.refresh_from_db()
    assert source.last_status == "succeeded"
    assert source.last_run_at is not None
    assert Instrument.objects.filter(source=source).count() == 8


def test_a_missing_file_shows_as_a_failure_on_the_source(source):
    source.location = "/nonexistent/feed.csv"
    source.save()
    assert tasks.sync_feed_source(source.pk) == "failed"
    source.refresh_from_db()
    assert source.last_status == "failed"
    assert "找不到文件" in source.last_error
    # The failed run does not block the next one.
    assert not ImportJob.objects.filter(source=source, status__in=ImportJob.LIVE).exists()


def test_the_database_refuses_a_second_live_run_of_one_source(source):
    from portal.errors import Conflict
    from sharing.catalogue.feed_import.jobs import import_job_create

    import_job_create(source=source)
    with pytest.raises(Conflict):
        import_job_create(source=source)


def test_a_run_held_by_another_worker_is_left_alone(source):
    from sharing.catalogue.feed_import.jobs import import_job_create, import_job_run

    job = import_job_create(source=source)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(7001, %s)", [source.pk])
        assert import_job_run(job_id=job.pk).status == "queued"
        assert not Instrument.objects.exists()
    finally:
        other.close()
    assert import_job_run(job_id=job.pk).status == "succeeded"


def test_only_due_sources_are_enqueued(source, monkeypatch):
    from django.utils import timezone

    sent = []
    monkeypatch.setattr(tasks.sync_feed_source, "delay", sent.append)
    FeedSource.objects.create(
        name="recent", location=str(SAMPLE), last_run_at=timezone.now(), interval_minutes=60
    )
    FeedSource.objects.create(name="off", location=str(SAMPLE), enabled=False)
    tasks.sync_due_feed_sources()
    assert sent == [source.pk]
