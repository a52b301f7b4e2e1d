"""The initial load's shortcut: into an empty catalogue, rows go in without the secondary indexes,
which are built once at the end, instead of being updated row by row (the three GIN indexes
alone made every insert about ten times dearer than a bare COPY; bench/RESULTS.md §2).

Only the indexes that back no constraint are dropped: the primary key and the
(organisation, internal code) unique index stay, so the upsert, duplicates and foreign keys
behave exactly as on the row path. What a reader sees meanwhile: rows appear batch by batch as
they always did; filters and searches answer correctly but without those indexes (slower);
while an index is built, writes to the table wait (CREATE INDEX's SHARE lock) and reads do not;
a reader never sees a half-built index (PostgreSQL shows an index only once it is committed).

Crash safety: the dropped definitions are kept, in the same transaction as the drop, in the
table's comment; whoever takes the lock next (the next import, ``restore_indexes``) builds what
is missing. The session advisory lock says whether a bulk load is still running.
"""

import json
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction

from sharing.catalogue.models import Instrument

_TABLE = Instrument._meta.db_table
_MARK = "mianbei-import: indexes to rebuild "
# pg_advisory_lock's two-int form, apart from jobs.py's (source id, job id) keys.
_LOCK = (17_000_017, 1)
# Per build: GIN and btree builds sort in memory when it fits (the default 64 MB spills).
MAINTENANCE_WORK_MEM = "256MB"
BUILDERS = 2  # connections building indexes side by side: one per core


# The writer's temporary tables (a batch, and every key seen so far: a million keys at 1M) live
# in temp_buffers, 8 MB by default; past that each batch's lookups go through the kernel.
TEMP_BUFFERS = "256MB"


def writer_settings() -> None:
    """For the writer's session, before it first touches a temporary table."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET temp_buffers = '{TEMP_BUFFERS}'")


def table_is_empty() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {_TABLE})")
        return cursor.fetchone()[0]


def try_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _LOCK)
        return cursor.fetchone()[0]


def unlock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _LOCK)


def _pending(cursor) -> list[tuple[str, str]]:
    cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [_TABLE])
    comment = cursor.fetchone()[0] or ""
    return (
        [tuple(d) for d in json.loads(comment[len(_MARK) :])] if comment.startswith(_MARK) else []
    )


def drop_secondary_indexes() -> list[str]:
    """Drop the indexes no constraint needs, noting them first; returns their names. Call with
    the lock held and the table empty."""
    with transaction.atomic(), connection.cursor() as cursor:
        # A search holding the table would make the drop wait, and every search behind it:
        # better give up the shortcut (DatabaseError to the caller) than hold them up.
        cursor.execute("SET LOCAL lock_timeout = '2s'")
        cursor.execute(
            """SELECT c.relname, pg_get_indexdef(i.indexrelid)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = %s::regclass
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
               ORDER BY pg_relation_size(i.indexrelid) DESC, c.relname""",
            [_TABLE],
        )
        present = cursor.fetchall()
        # A note left by a load that died is kept: its indexes are still to be built.
        dropped = list(dict(_pending(cursor) + present).items())
        if not dropped:
            return []
        note = _MARK + json.dumps(dropped, ensure_ascii=False)
        cursor.execute(f"COMMENT ON TABLE {_TABLE} IS %s", [note])
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    return [name for name, _definition in dropped]


def _build(definition: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    finally:
        connection.close()  # this thread's own connection


def restore_indexes() -> int:
    """Build every noted index that is missing, two at a time on their own connections, then
    clear the note; returns how many were noted. Safe to repeat."""
    with connection.cursor() as cursor:
        pending = _pending(cursor)
    if not pending:
        return 0
    # The GIN on search_vector is the longest build: it starts first, the rest share the other
    # connection. Each build is its own transaction; none is visible before it commits.
    gins = [d for _, d in pending if " USING gin " in d]
    rest = [d for _, d in pending if " USING gin " not in d]
    with ThreadPoolExecutor(BUILDERS, thread_name_prefix="import-index") as pool:
        for future in [pool.submit(_build, d) for d in gins + rest]:
            future.result()
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON TABLE {_TABLE} IS NULL")
    return len(pending)


def restore_if_interrupted() -> int:
    """A bulk load that died (its worker killed) left indexes dropped: build them now, unless
    a bulk load is running (it holds the lock and builds them itself)."""
    with connection.cursor() as cursor:
        if not _pending(cursor):
            return 0
    if not try_lock():
        return 0
    try:
        return restore_indexes()
    finally:
        unlock()
