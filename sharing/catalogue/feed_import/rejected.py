"""A job's rejected rows as a file to fix and upload again, and the blank template a feed starts
from. The headers are the national record's (a data format, the same in every language), so
what comes out goes back in; the two extra columns (reason, original row) are ignored on import.
"""

from collections import defaultdict
from pathlib import Path

from sharing.catalogue.export import NATIONAL
from sharing.catalogue.feed_import.read import COLUMNS, FeedError, open_feed
from sharing.catalogue.models import ImportJob

REASON_HEADER = "拒绝原因"
ROW_HEADER = "原行号"
# Without the stored file (deleted, or a source's file elsewhere): what was kept of each row.
LISTING_HEADERS = ["行号", "列", "原因", "值"]


def template_rows() -> list[list[str]]:
    return [[header for header, _get in NATIONAL]]


def _reasons(job: ImportJob) -> dict[int, list]:
    by_row: dict[int, list] = defaultdict(list)
    for rejection in job.rejections.order_by("row_number", "pk"):
        by_row[rejection.row_number].append(rejection)
    return by_row


def _originals(job: ImportJob, wanted: set[int]) -> dict[int, dict[str, str]] | None:
    """The rejected rows as the stored file has them, or None when it cannot be read."""
    if not job.file or not wanted:
        return None
    try:
        path = Path(job.file.path)
        if not path.is_file():
            return None
        feed = open_feed(path, job.original_filename or path.name)
    except (FeedError, OSError, ValueError):
        return None
    found: dict[int, dict[str, str]] = {}
    try:
        for number, row in feed.rows:
            if number in wanted:
                found[number] = row
                if len(found) == len(wanted):
                    break
    except FeedError:
        return None
    finally:
        feed.close()
    return found


def _why(rejection) -> str:
    return f"{rejection.column}：{rejection.reason}" if rejection.column else rejection.reason


def rejected_rows(job: ImportJob) -> list[list]:
    """Header and rows: each rejected row as uploaded, with its reasons and row number; or,
    without the file, one line per rejection (row, column, reason, value). Read in full here,
    not while streaming (at most MAX_STORED_REJECTIONS rows were kept)."""
    reasons = _reasons(job)
    originals = _originals(job, set(reasons))
    if originals is None:
        rows: list[list] = [LISTING_HEADERS]
        for number, rejections in reasons.items():
            rows.extend([number, r.column, r.reason, r.value] for r in rejections)
        return rows
    rows = [[*(header for _f, header, _en in COLUMNS), REASON_HEADER, ROW_HEADER]]
    for number, rejections in reasons.items():
        original = originals.get(number, {})
        cells = [original.get(field, "") for field, _zh, _en in COLUMNS]
        rows.append([*cells, "；".join(_why(r) for r in rejections), number])
    return rows
