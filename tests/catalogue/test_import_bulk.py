"""The bulk load (an import into an empty catalogue: secondary indexes dropped and built again,
rows validated and segmented in worker processes) answers exactly as the row path does."""

import threading

import pytest
from django.db import connection

from sharing.catalogue.feed_import import bulk
from sharing.catalogue.feed_import.store import InstrumentImport
from sharing.catalogue.models import FeedSource, Instrument
from sharing.catalogue.selectors import instrument_search
from tests.catalogue.feeds import SAMPLE, column, sample_rows, write_csv
from tests.factories import beibei, mianyang

# The row path's pipeline needs autocommit (a second connection writes), so do the bulk one's.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def regions():
    return mianyang(), beibei()


def indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [Instrument._meta.db_table],
        )
        return dict(cursor.fetchall())


def stored() -> dict:
    fields = [f.attname for f in Instrument._meta.concrete_fields]
    skip = {"id", "created_at", "updated_at"}
    return {
        (row["organisation_id"], row["internal_code"]): {
            k: str(v) for k, v in row.items() if k not in skip
        }
        for row in Instrument.objects.values(*fields, "search_vector")
    }


def run(path, **options):
    rejections, progress = [], []
    counts = InstrumentImport(
        path=path,
        on_rejections=rejections.extend,
        on_progress=lambda counts, done, total: progress.append((done, total)),
        **options,
    ).run()
    rejected = sorted((r.row_number, r.column, r.reason, r.value) for r in rejections)
    return counts.as_dict(), rejected, progress[-1]


def a_feed_with_duplicates_and_bad_rows(tmp_path, copies: int = 40):
    """The sample feed many times over under new codes, with repeated keys and bad cells."""
    header, sample = sample_rows()
    code, value = column(header, "所在单位仪器内部编码"), column(header, "原值（万元）")
    when, region = column(header, "启用日期"), column(header, "所在地区")
    rows = []
    for n in range(copies):
        for i, row in enumerate(sample):
            row = list(row)
            row[code] = f"{row[code]}-{n}"
            if (n + i) % 17 == 0:
                row[value] = "abc"
            if (n + i) % 23 == 0:
                row[when] = "2999-01-01"
            if (n + i) % 29 == 0:
                row[region] = "火星"
            rows.append(row)
        if n % 5 == 0:
            rows.append(list(rows[n * 3]))  # a key an earlier row (maybe batches ago) took
    return write_csv(tmp_path / "feed.csv", header, rows)


@pytest.mark.parametrize("processes", [0, 2])
@pytest.mark.parametrize("feed", ["sample", "generated"])
def test_it_stores_the_same_rows_counts_and_rejections_as_the_row_path(tmp_path, feed, processes):
    path = SAMPLE if feed == "sample" else a_feed_with_duplicates_and_bad_rows(tmp_path)
    source = FeedSource.objects.create(name="bulk", location=str(path))
    row_path = run(path, source=source, batch_size=7, bulk=False, processes=0)
    row_rows = stored()
    Instrument.objects.all().delete()
    bulk_path = run(path, source=source, batch_size=7, processes=processes)
    assert bulk_path == row_path
    assert stored() == row_rows
    if feed == "generated":
        counts, rejected, _ = bulk_path
        assert counts["rejected"] > 0 and counts["created"] > 0
        assert any("行重复" in reason for _, _, reason, _ in rejected)
    # Imported again: everything unchanged, recognised by the fingerprints the bulk load wrote.
    again, _, _ = run(path, source=source, batch_size=7)
    assert again["unchanged"] == row_path[0]["created"]
    assert again["created"] == again["updated"] == 0


def test_it_builds_every_index_again_and_leaves_no_note(tmp_path):
    before = indexes()
    run(a_feed_with_duplicates_and_bad_rows(tmp_path, copies=5), batch_size=5)
    assert indexes() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(%s::regclass)", [Instrument._meta.db_table])
        assert cursor.fetchone()[0] is None


def test_an_import_into_a_catalogue_that_is_not_empty_keeps_its_indexes(tmp_path):
    run(SAMPLE)
    seen = []
    InstrumentImport(
        path=a_feed_with_duplicates_and_bad_rows(tmp_path, copies=3),
        batch_size=5,
        on_progress=lambda *args: seen.append(len(indexes())),
    ).run()
    assert set(seen) == {len(indexes())}


def test_indexes_a_dead_bulk_load_dropped_are_built_by_the_next_import(tmp_path):
    before = indexes()
    assert bulk.try_lock()
    bulk.drop_secondary_indexes()  # and then the worker is killed: its lock goes with it
    bulk.unlock()
    assert len(indexes()) < len(before)
    run(SAMPLE, bulk=False)
    assert indexes() == before


def test_a_search_during_a_bulk_load_never_errors_and_sees_whole_rows(tmp_path):
    path = a_feed_with_duplicates_and_bad_rows(tmp_path, copies=60)
    done = threading.Event()
    failures: list[BaseException] = []

    def load():
        try:
            run(path, batch_size=20)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()
            done.set()

    full = len(indexes())
    thread = threading.Thread(target=load)
    thread.start()
    searched, without_indexes = 0, 0
    while not done.is_set() or searched == 0:
        found = list(instrument_search(user=None, q="显微镜", region="500109")[:20])
        assert all(i.search_vector and i.organisation_id for i in found)
        list(instrument_search(user=None, category="0101")[:20])
        searched += 1
        without_indexes += len(indexes()) < full
    thread.join()
    assert failures == []
    assert searched > 1 and without_indexes > 0  # the searches did run during the bulk load
    assert instrument_search(user=None, q="显微镜").exists()


@pytest.mark.worker
@pytest.mark.parametrize("celery_worker", ["prefork"], indirect=True)
def test_a_bulk_load_runs_in_a_prefork_worker_as_production_does(
    api, celery_worker, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.accounts.models import Role
    from tests.catalogue.test_import_api import wait_for
    from tests.factories import UserFactory

    admin = UserFactory(username="admin", roles=[Role.INSTRUMENT_MANAGER, Role.ADMINISTRATOR])
    api.force_authenticate(admin)
    path = a_feed_with_duplicates_and_bad_rows(tmp_path, copies=10)
    expected = run(path, batch_size=7, bulk=False, processes=0)[0]
    Instrument.objects.all().delete()
    before = indexes()
    upload = SimpleUploadedFile("feed.csv", path.read_bytes(), content_type="text/csv")
    response = api.post("/api/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    body = wait_for(response.json()["id"], api)
    assert body["status"] == "succeeded", body
    assert (body["rows_read"], body["created"], body["rejected"]) == (
        expected["rows_read"],
        expected["created"],
        expected["rejected"],
    )
    assert indexes() == before
