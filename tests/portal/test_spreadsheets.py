"""The one spreadsheet helper: control characters go first, then the formula guard."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.spreadsheets import csv_stream, spreadsheet_safe, unguard, xlsx_file


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("\x00+1", "'+1"),
        ("\x1f@SUM(A1)", "'@SUM(A1)"),
        ('\x01=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("\x08\x0b-2+3", "'-2+3"),
        ("\x0c\t=1", "'\t=1"),
        ("\x0e\r=cmd", "'\r=cmd"),
        ("\t=1", "'\t=1"),
    ],
)
def test_a_formula_behind_control_characters_is_guarded(text, safe):
    assert spreadsheet_safe(text) == safe


def test_control_characters_inside_text_are_dropped_and_line_breaks_kept():
    assert spreadsheet_safe("分析\x07测试\n第二行\t列") == "分析测试\n第二行\t列"


def test_what_the_guard_adds_the_feed_takes_off():
    for text in ("=1+1", "+86", "-2", "@SUM(A1)", "\t=1", "\r=1"):
        assert unguard(spreadsheet_safe(text)) == text
    assert unguard("'引号开头") == "'引号开头"


def test_the_csv_has_a_bom_and_guarded_cells():
    rows = [["名称", "日期", "金额"], ["\x01=cmd", datetime.date(2026, 3, 2), Decimal("-1.5")]]
    raw = b"".join(csv_stream(rows))
    assert raw.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert parsed == [["名称", "日期", "金额"], ["'=cmd", "2026-03-02", "-1.5"]]


def test_the_workbook_holds_text_never_a_formula():
    handle = xlsx_file([["名称", "数量"], ['\x01=HYPERLINK("x")', 3], [None, -2]], sheet="t")
    book = load_workbook(io.BytesIO(handle.read()))
    assert book.active.title == "t"
    cells = [c for row in book.active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert [[c.value for c in row] for row in book.active.iter_rows()] == [
        ["名称", "数量"],
        ['\'=HYPERLINK("x")', 3],
        [None, -2],
    ]
