"""The SQL that writes an import: a batch goes into a temporary table by COPY and from there
into the catalogue by one upsert; the keys a run has seen stay in a second temporary table, so
a full import can withdraw the source's rows it did not see.

The SQL is assembled from the model's own column names, never from input.
"""

from dataclasses import dataclass

from django.db import connection, transaction

from portal.accounts.models import Organisation
from sharing.catalogue.models import Instrument, Platform
from sharing.catalogue.text import SEARCH_VECTOR_SQL

# The columns a feed fills, in COPY order; everything else keeps its value on update.
FEED_COLUMNS = [
    "organisation_id",
    "internal_code",
    "name",
    "name_en",
    "category_code",
    "category_id",
    "purpose",
    "model",
    "manufacturer",
    "country",
    "original_value",
    "in_service_date",
    "specifications",
    "functions",
    "disciplines",
    "services",
    "fee_text",
    "running_status",
    "sharing_mode",
    "platform_id",
    "region_id",
    "address",
    "location",
    "contact_name",
    "contact_phone",
    "contact_email",
    "booking_url",
    "annual_running_hours",
    "annual_service_hours",
    "source_id",
    "source_key",
    "row_hash",
]
# Written with the row but not part of its hash: the same stored row can be reached from raw
# rows that differ only in what validation normalises away.
FINGERPRINT = "feed_fingerprint"
_WRITTEN = [*FEED_COLUMNS, FINGERPRINT]
_UPDATABLE = [c for c in _WRITTEN if c not in ("organisation_id", "internal_code")]
# Token strings per weight; PostgreSQL turns them into the search vector in the upsert.
SEARCH_COLUMNS = ["search_a", "search_b", "search_c", "search_d"]
_VECTOR = SEARCH_VECTOR_SQL.format(**{c[-1]: f"b.{c}" for c in SEARCH_COLUMNS})
NO_SEARCH = dict.fromkeys(SEARCH_COLUMNS)
KEY_HEADER = "所在单位仪器内部编码"
_TABLE = Instrument._meta.db_table


@dataclass
class Rejection:
    row_number: int
    column: str
    reason: str
    value: str = ""


@dataclass
class Stored:
    rejections: list[Rejection]
    created: int
    updated: int
    unchanged: int


def drop_temp_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_batch, import_seen")


def create_temp_tables() -> None:
    """import_batch takes a batch by COPY; import_seen keeps every key this run has seen."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_batch, import_seen")
        cursor.execute(
            f"""CREATE TEMP TABLE import_batch AS
                SELECT 0::integer AS row_number, {", ".join(_WRITTEN)},
                       {", ".join(f"''::text AS {c}" for c in SEARCH_COLUMNS)}
                FROM {_TABLE} WITH NO DATA"""
        )
        cursor.execute(
            """CREATE TEMP TABLE import_seen (
                   organisation_id bigint, internal_code varchar(64), row_number integer,
                   PRIMARY KEY (organisation_id, internal_code))"""
        )


def unchanged_keys(rows: list[tuple[int, dict]]) -> set[tuple[int, str]]:
    """The (organisation, code) keys of the rows whose hash the database already holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT i.organisation_id, i.internal_code FROM {_TABLE} i
                JOIN unnest(%s::bigint[], %s::text[], %s::text[]) AS k(o, c, h)
                  ON i.organisation_id = k.o AND i.internal_code = k.c AND i.row_hash = k.h
                WHERE i.withdrawn_at IS NULL""",
            [
                [v["organisation_id"] for _, v in rows],
                [v["internal_code"] for _, v in rows],
                [v["row_hash"] for _, v in rows],
            ],
        )
        return set(cursor.fetchall())


def source_rows(source_id: int):
    """The source's live, fingerprinted instruments as seen.SourceRows reads them, in two
    orders: (0, chunk) by key, the md5 of "organisation:code" (as seen.key_digest takes it),
    16 bytes per row; then (1, chunk) by fingerprint: its 16 bytes, the organisation, the
    platform (0 for none) and the row's place in the first order, 8 bytes each, big-endian.
    One statement, so both orders see the same rows; streamed a few hundred kilobytes at a
    time (the whole answer at once would double the import's memory for a moment)."""
    with connection.cursor() as cursor:
        # bytea compares byte by byte, so each order is its numbers' unsigned order.
        for order, _group, chunk in cursor.cursor.stream(
            f"""WITH s AS MATERIALIZED (
                    SELECT k, uuid_send(feed_fingerprint) AS f, organisation_id::bigint AS o,
                           coalesce(platform_id, 0)::bigint AS p,
                           row_number() OVER (ORDER BY k) - 1 AS n
                    FROM (SELECT decode(md5(organisation_id::text || ':' || internal_code),
                                        'hex') AS k, *
                          FROM {_TABLE}
                          WHERE source_id = %s AND withdrawn_at IS NULL
                            AND feed_fingerprint IS NOT NULL) AS held)
                SELECT 0, get_byte(k, 0), string_agg(k, ''::bytea ORDER BY k)
                FROM s GROUP BY 2
                UNION ALL
                SELECT 1, get_byte(f, 0),
                       string_agg(f || int8send(o) || int8send(p) || int8send(n), ''::bytea
                                  ORDER BY f, n)
                FROM s GROUP BY 2
                ORDER BY 1, 2""",
            [source_id],
        ):
            yield order, bytes(chunk)


def analyze() -> None:
    """Statistics for the catalogue and the tables the import grew with it: a search joins
    them, and with one of them unanalysed (autovacuum late or off) the planner guessed a
    filtered search's matches 270 times too few and sorted 36,000 rows (bench/RESULTS.md)."""
    tables = [_TABLE, Organisation._meta.db_table, Platform._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def store_batch(rows: list[tuple[int, dict]]) -> Stored:
    """Write one batch: the first row with a key wins, an unchanged row (same hash) is left
    alone. Runs in the caller's transaction. (Rows a re-import recognised never come here:
    seen.SourceRows keeps their keys.)"""
    if not rows:
        return Stored(rejections=[], created=0, updated=0, unchanged=0)
    rejections = []
    with connection.cursor() as cursor:
        # A batch lost to a crash between commit and disk is re-imported on the next run
        # (imports are idempotent), so waiting for the WAL flush buys nothing here.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("TRUNCATE import_batch")
        copied = [*_WRITTEN, *SEARCH_COLUMNS]
        columns = ", ".join(["row_number", *copied])
        with cursor.cursor.copy(f"COPY import_batch ({columns}) FROM STDIN") as copy:
            for number, values in rows:
                copy.write_row([number, *(values[c] for c in copied)])
        # The first row with a key wins; later rows with the same key are rejected.
        cursor.execute(
            """INSERT INTO import_seen
               SELECT organisation_id, internal_code, row_number FROM import_batch
               ORDER BY row_number ON CONFLICT DO NOTHING"""
        )
        cursor.execute(
            """DELETE FROM import_batch b USING import_seen s
               WHERE s.organisation_id = b.organisation_id
                 AND s.internal_code = b.internal_code AND s.row_number <> b.row_number
               RETURNING b.row_number, s.row_number, b.internal_code"""
        )
        for number, first, code in sorted(cursor.fetchall()):
            rejections.append(Rejection(number, KEY_HEADER, f"与第 {first} 行重复", code))
        written = _upsert(cursor)
    created = sum(written)
    return Stored(
        rejections=rejections,
        created=created,
        updated=len(written) - created,
        unchanged=len(rows) - len(rejections) - len(written),
    )


def _upsert(cursor) -> list[bool]:
    """import_batch into the catalogue; for each row written, whether it was inserted."""
    # An unchanged row reached from a raw row it does not yet carry the fingerprint of (stored
    # before fingerprints existed, or by another scope): remembered now, so the next
    # re-import recognises it. Neither its content nor its updated_at changes.
    cursor.execute(
        f"""UPDATE {_TABLE} i SET {FINGERPRINT} = b.{FINGERPRINT} FROM import_batch b
            WHERE i.organisation_id = b.organisation_id AND i.internal_code = b.internal_code
              AND i.row_hash = b.row_hash AND i.withdrawn_at IS NULL
              AND i.{FINGERPRINT} IS DISTINCT FROM b.{FINGERPRINT}"""
    )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*_UPDATABLE, "search_vector"])
    selected = ", ".join(f"b.{c}" for c in _WRITTEN)
    cursor.execute(
        f"""INSERT INTO {_TABLE} ({", ".join(_WRITTEN)}, search_vector,
                                  approval_required, created_at, updated_at)
            SELECT {selected}, {_VECTOR}, true, now(), now() FROM import_batch b
            ON CONFLICT (organisation_id, internal_code) DO UPDATE
            SET {updates}, withdrawn_at = NULL, updated_at = now()
            WHERE {_TABLE}.row_hash IS DISTINCT FROM EXCLUDED.row_hash
               OR {_TABLE}.withdrawn_at IS NOT NULL
            RETURNING (xmax = 0)"""
    )
    return [inserted for (inserted,) in cursor.fetchall()]


def withdraw_missing(source_id: int, untaken: list[str] | None = None) -> int:
    """Withdraw the source's live instruments this run has not seen; returns how many.
    ``untaken``: with seen.SourceRows, the keys (md5 in hex) of the fingerprinted rows it held
    that no row of the run took (their keys never went into import_seen)."""
    with transaction.atomic(), connection.cursor() as cursor:
        held, parameters = "", [source_id]
        if untaken is not None:
            # A live row outside import_seen was not written by this run, so it still has the
            # fingerprint (or none) it had when SourceRows read the source.
            held = "AND (i.feed_fingerprint IS NULL"
            if untaken:
                held += """ OR md5(i.organisation_id::text || ':' || i.internal_code)
                               IN (SELECT unnest(%s::text[]))"""
                parameters.append("{" + ",".join(untaken) + "}")
            held += ")"
        cursor.execute(
            f"""UPDATE {_TABLE} i SET withdrawn_at = now(), updated_at = now()
                WHERE i.source_id = %s AND i.withdrawn_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM import_seen s
                                  WHERE s.organisation_id = i.organisation_id
                                    AND s.internal_code = i.internal_code) {held}""",
            parameters,
        )
        return cursor.rowcount
