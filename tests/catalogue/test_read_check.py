"""Issue 17: a CSV whose bytes show the csv module cannot fail on it (no quote, no over-long
line, no lone carriage return, text that decodes) skips the csv pass of the whole-file check.
Every file here opens, or is refused with the same message, with the shortcut and without."""

import pytest

from sharing.catalogue.feed_import import read
from tests.catalogue.feeds import sample_rows

pytestmark = pytest.mark.django_db


def plain_rows(count: int) -> tuple[list[str], list[list[str]]]:
    """Sample rows without the characters that make csv quote a cell."""
    header, rows = sample_rows()
    rows = [[cell.replace(",", "，").replace('"', "”") for cell in row] for row in rows]
    out = [list(rows[i % len(rows)]) for i in range(count)]
    for i, row in enumerate(out):
        row[0] = f"P-{i}"
    return header, out


def plain_csv(count: int = 300, newline: str = "\n") -> bytes:
    header, rows = plain_rows(count)
    lines = [",".join(header), *(",".join(row) for row in rows)]
    return ("\ufeff" + newline.join(lines) + newline).encode()


def opened(path, *, shortcut: bool, monkeypatch):
    with monkeypatch.context() as patch:
        if not shortcut:
            patch.setattr(read, "_cannot_break_csv", lambda raw, encoding: False)
        try:
            feed = read.open_feed(path)
        except read.FeedError as exc:
            return "refused", str(exc)
        return "rows", list(feed.rows)


CASES = {
    "plain": lambda: plain_csv(),
    "crlf": lambda: plain_csv(newline="\r\n"),
    "lone carriage returns": lambda: plain_csv(newline="\r"),
    "no final line break": lambda: plain_csv().rstrip(b"\n"),
    # Past the first 64 KB, from which the encoding is sniffed.
    "a byte that is not UTF-8": lambda: (
        plain_csv(300) + "X-1,电镜\xe9,010102,西南大学\n".encode("latin-1", errors="replace")
    ),
    "a cut character at the end": lambda: plain_csv() + "X-1,电".encode()[:-1],
    "a long cell without quotes": lambda: plain_csv() + ("X-2," + "显" * 25_000 + "\n").encode(),
    "a quote": lambda: plain_csv() + 'X-3,"电镜\n'.encode(),
}


@pytest.mark.parametrize("case", CASES)
def test_the_check_gives_the_csv_passs_answer(tmp_path, monkeypatch, case):
    path = tmp_path / "feed.csv"
    path.write_bytes(CASES[case]())

    quick = opened(path, shortcut=True, monkeypatch=monkeypatch)

    assert quick == opened(path, shortcut=False, monkeypatch=monkeypatch)
    if case in ("plain", "crlf", "lone carriage returns", "no final line break"):
        assert quick[0] == "rows" and len(quick[1]) == 300
    else:
        assert quick[0] == "refused", quick


def test_a_plain_file_takes_the_shortcut_and_a_quoted_one_does_not(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(plain_csv())
    with open(path, "rb") as raw:
        assert read._cannot_break_csv(raw, "utf-8-sig")
    path.write_bytes(plain_csv() + b'X,"a,b",010102,SWU\n')
    with open(path, "rb") as raw:
        assert not read._cannot_break_csv(raw, "utf-8-sig")
