"""Every CSV and XLSX the portal writes, and the one guard against formula injection.

A cell is sanitised, then guarded (spreadsheet_safe): control characters go first (the ones
portal.text refuses in input, which text stored before that rule may still hold), because
openpyxl refuses them and a spreadsheet ignores them, so "\\x01=cmd" would otherwise arrive
as the formula "=cmd" after a guard that looked only at the first character. Every export
writes through csv_stream or xlsx_file, which apply it to each cell, headers included;
sharing/catalogue/feed.py takes the quote off again (unguard) when an export is imported back.
"""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator

from django.utils import translation

from portal.text import CONTROL_CHARACTERS

# What spreadsheet programs read as the start of a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = tuple("'" + start for start in FORMULA_STARTS)

CSV_BATCH_ROWS = 200  # rows per chunk written to the socket


def spreadsheet_safe(value):
    """A cell value a spreadsheet shows as text and never evaluates: text loses its control
    characters (C0 other than tab and line breaks, and DEL: all openpyxl refuses and more),
    then gets a leading single quote if it starts with = + - @, a tab or a carriage return.
    Other values pass."""
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unguard(text: str) -> str:
    """The text spreadsheet_safe guarded, without its quote: for reading an export back."""
    return text[1:] if text.startswith(_GUARDED) else text


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class _Echo:
    """A file whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Iterable]) -> Iterator[bytes]:
    """CSV bytes for a streaming response: UTF-8 with a BOM (so Excel in China opens it as
    UTF-8), then the rows in batches of CSV_BATCH_ROWS, each cell made safe. ``rows`` is
    iterated lazily, in the language active now: the response streams after the view returns."""
    language = translation.get_language()

    def chunks() -> Iterator[bytes]:
        writer = csv.writer(_Echo())
        yield "\ufeff".encode()
        batch: list[str] = []
        with translation.override(language):
            for row in rows:
                batch.append(writer.writerow([_csv_text(spreadsheet_safe(v)) for v in row]))
                if len(batch) == CSV_BATCH_ROWS:
                    yield "".join(batch).encode()
                    batch = []
        yield "".join(batch).encode()

    return chunks()


def xlsx_file(rows: Iterable[Iterable], *, sheet: str):
    """A temporary file holding a one-sheet workbook of the rows, each cell made safe.
    openpyxl's write-only mode streams rows to disk, so memory stays flat; the file is read
    back in chunks by the response, which closes it."""
    # Imported here: openpyxl (with numpy, which it loads when present) added ~280 modules to
    # every process's start, for exports only some requests ask for.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet)
    for row in rows:
        worksheet.append([spreadsheet_safe(v) for v in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the FileResponse
    workbook.save(handle)
    handle.seek(0)
    return handle
