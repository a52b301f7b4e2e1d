"""Validation and segmentation of a bulk load's batches in worker processes.

Both are pure (the row and the Context in, values and token strings out) and were most of the
reader's time on one core. They pay only where cores are left over: the importing process and
its PostgreSQL backend (the writer) each keep one busy, so on two cores workers only compete
with them (measured in bench/RESULTS.md, issue 17 bulk section) and none are started.
Everything that reads or writes the database (organisations, platforms, duplicates, counts,
rejections) stays in the importing process, which takes the batches back in the file's order:
the answers are those of the one-process path.
"""

import multiprocessing
import multiprocessing.pool
import os

from sharing.catalogue import text
from sharing.catalogue.feed_import import upsert
from sharing.catalogue.feed_import.rules import Clean, Context, clean_row

# A worker's caches (jieba's runs, segmented texts, e-mail checks) grow with the distinct texts
# it meets; a worker that has done this many batches makes way for a fresh one, so memory stays
# flat whatever the file's size (the caches refill within a batch or two).
BATCHES_PER_WORKER = 40
# Weight → the column its tokens go to, as upsert writes them.
SEARCH_COLUMNS = dict(zip("ABCD", upsert.SEARCH_COLUMNS, strict=True))

_ctx: Context | None = None


def search_texts(values: dict, classes: dict[str, str]) -> dict[str, str]:
    """The four weighted token strings of a cleaned row, by upsert.SEARCH_COLUMNS."""
    # Every field text.WEIGHTS weighs is a column of the row, except the class's name.
    fields = {name: values[name] for name in text.WEIGHTS if name != "category"}
    texts = text.weighted_texts(category=classes.get(values["category_id"], ""), **fields)
    return {column: texts[weight] for weight, column in SEARCH_COLUMNS.items()}


def clean_and_segment(raw: dict, ctx: Context) -> tuple[Clean, dict | None]:
    clean = clean_row(raw, ctx)
    return clean, None if clean.errors else search_texts(clean.values, ctx.classes)


def _start(ctx: Context) -> None:
    global _ctx
    _ctx = ctx


def _batch(raws: list[dict]) -> list[tuple[Clean, dict | None]]:
    return [clean_and_segment(raw, _ctx) for raw in raws]


def start_pool(ctx: Context, processes: int) -> multiprocessing.pool.Pool | None:
    """Workers forked from this process (Django and jieba's dictionary already loaded, shared
    until written), or None where a pool can't or needn't be: none asked for, or this process
    a daemon (a Celery prefork worker's child may not have children: such an import runs
    without workers). Call before starting threads: a fork copies only the calling thread."""
    if processes < 1 or multiprocessing.current_process().daemon:
        return None
    text.warm_up()
    return multiprocessing.get_context("fork").Pool(
        processes, initializer=_start, initargs=(ctx,), maxtasksperchild=BATCHES_PER_WORKER
    )


def submit(pool: multiprocessing.pool.Pool, raws: list[dict]) -> multiprocessing.pool.AsyncResult:
    return pool.apply_async(_batch, (raws,))


def default_processes() -> int:
    """Two workers where two cores are spare beyond the importer's and the writer's, else
    fewer; none on a two-core machine."""
    return max(0, min(2, (os.cpu_count() or 1) - 2))
