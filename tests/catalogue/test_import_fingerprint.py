"""Issue 17: a source's re-import recognises its unchanged rows by the raw row's fingerprint and
skips validation for them, while every count, duplicate and rejection stays what the full path
gives."""

import pytest

from portal.accounts.models import Organisation
from sharing.catalogue.feed_import import store
from sharing.catalogue.feed_import.store import InstrumentImport
from sharing.catalogue.models import FeedSource, Instrument
from sharing.catalogue.rules import ImportScope
from tests.catalogue.feeds import SAMPLE, column, sample_rows, write_csv
from tests.catalogue.test_import import snapshot
from tests.factories import beibei, mianyang

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def regions():
    return mianyang(), beibei()


@pytest.fixture
def source():
    return FeedSource.objects.create(name="sichuan", location=str(SAMPLE))


@pytest.fixture
def validated(monkeypatch):
    """The rows clean_row sees, by their internal code."""
    seen = []
    real = store.clean_row

    def counting(raw, ctx):
        seen.append(raw.get("internal_code"))
        return real(raw, ctx)

    monkeypatch.setattr(store, "clean_row", counting)
    return seen


def run(path, **options):
    rejections = []
    counts = InstrumentImport(path=path, on_rejections=rejections.extend, **options).run()
    return counts, rejections


def figures(counts):
    return counts.rows_read, counts.created, counts.updated, counts.unchanged, counts.rejected


def test_a_sources_re_import_counts_every_row_unchanged_without_validating_it(source, validated):
    run(SAMPLE, source=source)
    assert Instrument.objects.filter(feed_fingerprint__isnull=True).count() == 0
    before = snapshot()
    stamps = dict(Instrument.objects.values_list("pk", "updated_at"))
    validated.clear()

    counts, rejections = run(SAMPLE, source=source)

    assert figures(counts) == (8, 0, 0, 8, 0)
    assert rejections == []
    assert validated == []
    assert snapshot() == before
    assert dict(Instrument.objects.values_list("pk", "updated_at")) == stamps


def test_an_import_without_a_source_validates_every_row(validated):
    run(SAMPLE)
    validated.clear()
    counts, _ = run(SAMPLE)
    assert figures(counts) == (8, 0, 0, 8, 0)
    assert len(validated) == 8


def test_changing_a_cell_updates_that_row_and_only_it_is_validated(tmp_path, source, validated):
    header, rows = sample_rows()
    run(SAMPLE, source=source)
    validated.clear()
    rows[0][column(header, "运行状态")] = "待修"

    counts, _ = run(write_csv(tmp_path / "changed.csv", header, rows), source=source)

    assert figures(counts) == (8, 0, 1, 7, 0)
    assert validated == ["SWU-2019-0001"]
    assert Instrument.objects.get(internal_code="SWU-2019-0001").running_status == (
        "awaiting_repair"
    )
    # The changed row carries its new fingerprint: the next re-import recognises it.
    validated.clear()
    counts, _ = run(tmp_path / "changed.csv", source=source)
    assert figures(counts) == (8, 0, 0, 8, 0)
    assert validated == []


def test_a_row_repeated_in_the_file_is_still_rejected_as_a_duplicate_on_re_import(
    tmp_path, source, validated
):
    header, rows = sample_rows()
    path = write_csv(tmp_path / "twice.csv", header, [*rows, rows[0]])
    first, first_rejections = run(path, source=source)
    validated.clear()

    again, rejections = run(path, source=source)

    assert figures(first) == (9, 8, 0, 0, 1)
    assert figures(again) == (9, 0, 0, 8, 1)
    assert validated == []
    assert [(r.row_number, r.column, r.reason) for r in rejections] == [
        (10, "所在单位仪器内部编码", "与第 2 行重复")
    ]
    assert [(r.row_number, r.reason) for r in first_rejections] == [(10, "与第 2 行重复")]


@pytest.mark.parametrize("changed_first", [True, False])
def test_the_first_row_with_a_key_wins_whether_it_is_recognised_or_validated(
    tmp_path, source, changed_first
):
    header, rows = sample_rows()
    run(SAMPLE, source=source)
    changed = list(rows[0])
    changed[column(header, "运行状态")] = "待修"
    pair = [changed, rows[0]] if changed_first else [rows[0], changed]

    counts, rejections = run(write_csv(tmp_path / "pair.csv", header, pair), source=source)

    assert [(r.row_number, r.reason) for r in rejections] == [(3, "与第 2 行重复")]
    status = Instrument.objects.get(internal_code="SWU-2019-0001").running_status
    if changed_first:
        assert figures(counts) == (2, 0, 1, 0, 1)
        assert status == "awaiting_repair"
    else:
        assert figures(counts) == (2, 0, 0, 1, 1)
        assert status == "normal"


def test_a_withdrawn_row_is_revived_by_a_re_import(tmp_path, source, validated):
    header, rows = sample_rows()
    run(SAMPLE, source=source, full=True)
    counts, _ = run(write_csv(tmp_path / "less.csv", header, rows[2:]), source=source, full=True)
    assert (counts.unchanged, counts.withdrawn) == (6, 2)
    validated.clear()

    counts, _ = run(SAMPLE, source=source, full=True)

    assert figures(counts) == (8, 0, 2, 6, 0)
    assert counts.withdrawn == 0
    assert sorted(validated) == ["SWU-2017-0042", "SWU-2019-0001"]
    assert not Instrument.objects.filter(withdrawn_at__isnull=False).exists()


def test_a_full_re_import_withdraws_only_what_the_file_lacks(tmp_path, source, validated):
    header, rows = sample_rows()
    run(SAMPLE, source=source, full=True)
    validated.clear()

    counts, _ = run(write_csv(tmp_path / "less.csv", header, rows[1:]), source=source, full=True)

    assert figures(counts) == (7, 0, 0, 7, 0)
    assert counts.withdrawn == 1
    assert validated == []
    assert list(
        Instrument.objects.filter(withdrawn_at__isnull=False).values_list(
            "internal_code", flat=True
        )
    ) == ["SWU-2019-0001"]


def test_a_managers_re_import_still_rejects_another_organisations_rows(source, validated):
    run(SAMPLE, source=source)
    swu = Organisation.objects.get(name="西南大学")
    scope = ImportScope(organisation=swu)

    for _ in range(2):
        validated.clear()
        counts, rejections = run(SAMPLE, source=source, scope=scope)
        assert figures(counts) == (8, 0, 0, 2, 6)
        assert {r.reason for r in rejections} == {"只能导入本单位的仪器"}
        assert len(rejections) == 6
    # The second time round, the manager's own rows were recognised; the others never are.
    assert len(validated) == 6
    assert "SWU-2019-0001" not in validated


def test_a_manager_without_an_organisation_has_every_row_rejected_on_re_import(source, validated):
    run(SAMPLE, source=source)
    validated.clear()
    counts, _ = run(SAMPLE, source=source, scope=ImportScope(organisation=None))
    assert figures(counts) == (8, 0, 0, 0, 8)
    assert len(validated) == 8


def test_a_dry_run_re_import_reports_what_would_happen_and_stores_nothing(
    tmp_path, source, validated
):
    header, rows = sample_rows()
    run(SAMPLE, source=source)
    before = snapshot()
    rows[0][column(header, "运行状态")] = "待修"
    validated.clear()

    counts, _ = run(write_csv(tmp_path / "changed.csv", header, rows), source=source, dry_run=True)

    assert figures(counts) == (8, 0, 1, 7, 0)
    assert validated == ["SWU-2019-0001"]
    assert snapshot() == before


def test_rows_stored_before_fingerprints_existed_are_recognised_from_the_next_re_import(
    source, validated
):
    run(SAMPLE, source=source)
    Instrument.objects.update(feed_fingerprint=None)
    stamps = dict(Instrument.objects.values_list("pk", "updated_at"))
    validated.clear()

    counts, _ = run(SAMPLE, source=source)
    assert figures(counts) == (8, 0, 0, 8, 0)
    assert len(validated) == 8
    assert not Instrument.objects.filter(feed_fingerprint__isnull=True).exists()
    assert dict(Instrument.objects.values_list("pk", "updated_at")) == stamps

    validated.clear()
    counts, _ = run(SAMPLE, source=source)
    assert figures(counts) == (8, 0, 0, 8, 0)
    assert validated == []


def test_new_rules_send_every_row_through_validation_again(source, validated, monkeypatch):
    run(SAMPLE, source=source)
    monkeypatch.setattr(store, "RULES_VERSION", store.RULES_VERSION + 1)
    validated.clear()
    counts, _ = run(SAMPLE, source=source)
    assert figures(counts) == (8, 0, 0, 8, 0)
    assert len(validated) == 8


def test_a_row_whose_organisation_was_renamed_takes_the_full_path(source, validated):
    run(SAMPLE, source=source)
    Organisation.objects.filter(name="西南大学").update(name="西南大学（旧名）")
    validated.clear()

    counts, _ = run(SAMPLE, source=source)

    # As without fingerprints: the name now matches no organisation, so one is created and
    # its two rows are new instruments.
    assert figures(counts) == (8, 2, 0, 6, 0)
    assert sorted(validated) == ["SWU-2017-0042", "SWU-2019-0001"]


def test_a_row_whose_platform_was_renamed_takes_the_full_path(source, validated):
    from sharing.catalogue.models import Platform

    header, rows = sample_rows()
    run(SAMPLE, source=source)
    Platform.objects.filter(name=rows[0][column(header, "所属平台")]).update(name="改名的平台")
    validated.clear()

    counts, _ = run(SAMPLE, source=source)

    # As without fingerprints: the platform is created again under its old name, and the
    # instruments on it move there.
    moved = sum(
        row[column(header, "所属平台")] == rows[0][column(header, "所属平台")] for row in rows
    )
    assert moved == 5
    assert figures(counts) == (8, 0, moved, 8 - moved, 0)
    assert len(validated) == moved


@pytest.mark.django_db(transaction=True)
def test_the_pipeline_looking_fingerprints_up_ahead_gives_the_same_result(tmp_path):
    mianyang(), beibei()
    source = FeedSource.objects.create(name="sichuan", location=str(SAMPLE))
    header, rows = sample_rows()
    rows.append(list(rows[0]))  # row 10 repeats row 2, three batches later
    rows[4][column(header, "原值（万元）")] = "abc"  # row 6
    path = write_csv(tmp_path / "feed.csv", header, rows)
    first, _ = run(path, source=source, batch_size=3, pipeline=True)
    assert figures(first) == (9, 7, 0, 0, 2)

    rows[1][column(header, "运行状态")] = "待修"  # row 3
    counts, rejections = run(
        write_csv(tmp_path / "changed.csv", header, rows), source=source, batch_size=3
    )

    assert figures(counts) == (9, 0, 1, 6, 2)
    assert sorted((r.row_number, r.reason) for r in rejections if r.row_number == 10) == [
        (10, "与第 2 行重复")
    ]
    assert sorted({r.row_number for r in rejections}) == [6, 10]
