"""Issue 17: on a source's re-import the keys of the rows the source already held are kept in
memory (seen.SourceRows), not in the import_seen table, and a plain CSV's rows are recognised by
their lines' bytes. Each test runs three ways: rows recognised by their lines, by their cells
(the file read as if it had quotes), and with recognition off (every row validated, every key
through import_seen); it expects the same counts, duplicates and withdrawals from all three."""

import pytest

from portal.accounts.models import Organisation
from sharing.catalogue.feed_import import read
from sharing.catalogue.feed_import.store import InstrumentImport
from sharing.catalogue.models import FeedSource, Instrument
from tests.catalogue.feeds import SAMPLE, column, sample_rows, write_csv
from tests.factories import beibei, mianyang

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def regions():
    return mianyang(), beibei()


@pytest.fixture(params=["recognised", "by cells", "validated"])
def path_taken(request, monkeypatch):
    if request.param == "validated":
        monkeypatch.setattr(InstrumentImport, "_fingerprint_start", lambda self: None)
    if request.param == "by cells":
        monkeypatch.setattr(read, "_cannot_break_csv", lambda raw, encoding: False)
    return request.param


@pytest.fixture
def parsed(monkeypatch):
    """The rows read from the file by parsing (a plain file's known lines are not)."""
    counted = []
    real = read._rows

    def counting(*args, **kwargs):
        for item in real(*args, **kwargs):
            counted.append(item[0])
            yield item

    monkeypatch.setattr(read, "_rows", counting)
    return counted


def source(name="sichuan"):
    return FeedSource.objects.create(name=name, location=str(SAMPLE))


def run(path, **options):
    rejections = []
    counts = InstrumentImport(path=path, on_rejections=rejections.extend, **options).run()
    return counts, [(r.row_number, r.column, r.reason, r.value) for r in rejections]


def figures(counts):
    return (
        counts.rows_read,
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.rejected,
        counts.withdrawn,
    )


def live_codes(**filters):
    return sorted(
        Instrument.objects.filter(withdrawn_at__isnull=True, **filters).values_list(
            "internal_code", flat=True
        )
    )


def test_it_rejects_later_rows_with_a_held_key_whichever_way_they_go(tmp_path, path_taken):
    header, rows = sample_rows()
    feed = source()
    run(SAMPLE, source=feed)
    changed = list(rows[0])
    changed[column(header, "运行状态")] = "待修"
    new = list(rows[1])
    new[column(header, "所在单位仪器内部编码")] = "SWU-NEW-1"
    # Row 10 repeats row 2 as it is, row 11 with a change; row 13 repeats the new row 12.
    again = [*rows, rows[0], changed, new, new]

    counts, rejections = run(write_csv(tmp_path / "again.csv", header, again), source=feed)

    assert figures(counts) == (12, 1, 0, 8, 3, 0)
    assert rejections == [
        (10, "所在单位仪器内部编码", "与第 2 行重复", "SWU-2019-0001"),
        (11, "所在单位仪器内部编码", "与第 2 行重复", "SWU-2019-0001"),
        (13, "所在单位仪器内部编码", "与第 12 行重复", "SWU-NEW-1"),
    ]
    assert Instrument.objects.get(internal_code="SWU-2019-0001").running_status == "normal"


def test_a_changed_row_first_wins_over_the_held_row_repeated_after_it(tmp_path, path_taken):
    header, rows = sample_rows()
    feed = source()
    run(SAMPLE, source=feed, full=True)
    changed = list(rows[2])
    changed[column(header, "运行状态")] = "待修"
    # Row 2 drops out; the changed row 3 comes before the stored version of itself (row 4).
    again = [changed, rows[2], *rows[3:], rows[3]]

    counts, rejections = run(
        write_csv(tmp_path / "again.csv", header, again), source=feed, full=True
    )

    assert figures(counts) == (8, 0, 1, 5, 2, 2)
    assert [(number, reason) for number, _c, reason, _v in rejections] == [
        (3, "与第 2 行重复"),
        (9, "与第 4 行重复"),
    ]
    assert live_codes() == sorted(row[0] for row in rows[2:])
    assert Instrument.objects.get(internal_code=rows[2][0]).running_status == "awaiting_repair"


def test_a_full_re_import_withdraws_exactly_the_rows_it_lacks(tmp_path, path_taken):
    header, rows = sample_rows()
    feed = source()
    run(SAMPLE, source=feed, full=True)

    counts, _ = run(
        write_csv(tmp_path / "less.csv", header, [rows[1], rows[3], rows[3]]),
        source=feed,
        full=True,
    )

    assert figures(counts) == (3, 0, 0, 2, 1, 6)
    assert live_codes() == sorted([rows[1][0], rows[3][0]])

    counts, _ = run(SAMPLE, source=feed, full=True)
    assert figures(counts) == (8, 0, 6, 2, 0, 0)
    assert len(live_codes()) == 8


def test_a_renamed_organisations_rows_are_new_and_the_old_ones_withdrawn(path_taken):
    feed = source()
    run(SAMPLE, source=feed, full=True)
    Organisation.objects.filter(name="西南大学").update(name="西南大学（旧名）")

    counts, _ = run(SAMPLE, source=feed, full=True)

    assert figures(counts) == (8, 2, 0, 6, 0, 2)
    old = Organisation.objects.get(name="西南大学（旧名）")
    assert live_codes(organisation=old) == []
    assert len(live_codes()) == 8


def test_rows_moved_to_another_source_come_back_on_a_full_re_import(tmp_path, path_taken):
    header, rows = sample_rows()
    first, second = source(), source("chongqing")
    run(SAMPLE, source=first, full=True)

    counts, _ = run(write_csv(tmp_path / "two.csv", header, rows[:2]), source=second, full=True)
    assert figures(counts) == (2, 0, 2, 0, 0, 0)
    assert live_codes(source=second) == sorted(row[0] for row in rows[:2])

    # The rows the second source took are not the first source's any more: they are written
    # back (moved), and none of its rows is missing.
    counts, _ = run(SAMPLE, source=first, full=True)
    assert figures(counts) == (8, 0, 2, 6, 0, 0)
    assert len(live_codes(source=first)) == 8

    counts, _ = run(tmp_path / "two.csv", source=second, full=True)
    assert figures(counts) == (2, 0, 2, 0, 0, 0)
    assert live_codes(source=second) == sorted(row[0] for row in rows[:2])


def test_a_row_with_a_code_in_chinese_is_recognised_and_keeps_its_key(
    tmp_path, path_taken, monkeypatch
):
    from sharing.catalogue.feed_import import store

    header, rows = sample_rows()
    rows[0][column(header, "所在单位仪器内部编码")] = "西大-材料-０１"
    path = write_csv(tmp_path / "chinese.csv", header, [*rows, rows[0]])
    feed = source()
    run(path, source=feed, full=True)
    validated = []
    real = store.clean_row
    monkeypatch.setattr(
        store,
        "clean_row",
        lambda raw, ctx: validated.append(raw["internal_code"]) or real(raw, ctx),
    )

    counts, rejections = run(path, source=feed, full=True)

    assert figures(counts) == (9, 0, 0, 8, 1, 0)
    assert [(number, value) for number, _c, _r, value in rejections] == [(10, "西大-材料-０１")]
    assert len(validated) == (9 if path_taken == "validated" else 0)


def test_a_plain_files_known_lines_are_not_parsed(tmp_path, path_taken, parsed):
    header, rows = sample_rows()
    feed = source()
    changed = [list(row) for row in rows]
    changed[3][column(header, "运行状态")] = "待修"
    # A blank line (row 4) and line breaks of another kind change no row's number.
    lines = [",".join(header), *(",".join(row) for row in changed[:2]), ""]
    lines += [",".join(row) for row in changed[2:]]
    path = tmp_path / "crlf.csv"
    run(SAMPLE, source=feed)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    parsed.clear()

    counts, _ = run(path, source=feed)

    assert figures(counts) == (8, 0, 1, 7, 0, 0)
    # Only the first line with each organisation and platform is parsed (to resolve them),
    # and the changed one.
    names = [tuple(row[column(header, h)] for h in ("所属单位", "所属平台")) for row in changed]
    firsts = {names.index(n) for n in names}
    numbers = [2, 3, 5, 6, 7, 8, 9, 10]  # row 4 is the blank line
    if path_taken == "recognised":
        assert sorted(set(parsed)) == sorted({numbers[i] for i in firsts} | {6})
    parsed.clear()
    counts, _ = run(path, source=feed)
    assert figures(counts) == (8, 0, 0, 8, 0, 0)
    if path_taken == "recognised":
        assert sorted(parsed) == sorted(numbers[i] for i in firsts)


def test_lines_under_another_header_are_not_taken_for_the_same_rows(tmp_path, path_taken):
    header, rows = sample_rows()
    feed = source()
    run(SAMPLE, source=feed)
    model, maker = column(header, "规格型号"), column(header, "生产制造商")
    # The same lines under a header with two columns swapped: the cells mean other things.
    swapped = list(header)
    swapped[model], swapped[maker] = swapped[maker], swapped[model]

    counts, _ = run(write_csv(tmp_path / "swapped.csv", swapped, rows), source=feed)

    assert figures(counts) == (8, 0, 8, 0, 0, 0)
    stored = Instrument.objects.get(internal_code=rows[0][0])
    assert (stored.model, stored.manufacturer) == (rows[0][maker], rows[0][model])


def test_a_file_with_every_column_is_recognised_the_same(tmp_path, path_taken, parsed):
    header, rows = sample_rows()
    header = [*header, "所属单位统一社会信用代码"]
    rows = [[*row, ""] for row in rows]
    path = write_csv(tmp_path / "all.csv", header, [*rows, rows[2]])
    feed = source()
    first, _ = run(path, source=feed, full=True)
    assert figures(first) == (9, 8, 0, 0, 1, 0)
    parsed.clear()

    counts, rejections = run(path, source=feed, full=True)

    assert figures(counts) == (9, 0, 0, 8, 1, 0)
    assert [(number, reason) for number, _c, reason, _v in rejections] == [(10, "与第 4 行重复")]
    if path_taken == "recognised":
        assert len(parsed) < 8
