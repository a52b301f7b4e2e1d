"""The SQL that writes an import: a batch goes into a temporary table by COPY and from there
into the catalogue by one upsert; the keys a run has seen stay in a second temporary table, so
a full import can withdraw the source's rows it did not see.

The SQL is assembled from the model's own column names, never from input.
"""

from dataclasses import dataclass

from django.db import connection, transaction

from sharing.catalogue.models import Instrument
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


# What source_rows gives per row, as 8-byte numbers: the key's md5 (two), the first 8 bytes of
# the fingerprint, the platform (0 for none) and the row's id.
SOURCE_ROW_FIELDS = 5


def source_rows(source_id: int):
    """The source's live, fingerprinted instruments as seen.SourceRows reads them: chunks of
    SOURCE_ROW_FIELDS big-endian 8-byte numbers per row, in the order of the key's md5 (taken of
    "organisation:code", as seen.key_digest does). Streamed, a few hundred kilobytes at a time:
    the whole answer at once would double the import's memory for a moment."""
    with connection.cursor() as cursor:
        # bytea compares byte by byte, so the order is the numbers' unsigned order.
        yield from (
            bytes(chunk)
            for (chunk,) in cursor.cursor.stream(
                f"""SELECT string_agg(k || substr(uuid_send(feed_fingerprint), 1, 8)
                                        || int8send(coalesce(platform_id, 0)::bigint)
                                        || int8send(id::bigint), ''::bytea ORDER BY k)
                    FROM (SELECT decode(md5(organisation_id::text || ':' || internal_code), 'hex')
                                   AS k, feed_fingerprint, platform_id, id
                          FROM {_TABLE}
                          WHERE source_id = %s AND withdrawn_at IS NULL
                            AND feed_fingerprint IS NOT NULL) AS s
                    GROUP BY get_byte(k, 0) ORDER BY get_byte(k, 0)""",
                [source_id],
            )
        )


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_TABLE}")


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


def withdraw_missing(source_id: int, untaken: list[int] | None = None) -> int:
    """Withdraw the source's live instruments this run has not seen; returns how many.
    ``untaken``: with seen.SourceRows, which of the fingerprinted rows it held no row took the
    key of (the others' keys never went into import_seen)."""
    with transaction.atomic(), connection.cursor() as cursor:
        held = ""
        if untaken is not None:
            # A live row outside import_seen was not written by this run, so it has the
            # fingerprint it had when SourceRows read the source.
            held = """AND (i.feed_fingerprint IS NULL
                           OR i.id IN (SELECT unnest(%s::bigint[])))"""
        cursor.execute(
            f"""UPDATE {_TABLE} i SET withdrawn_at = now(), updated_at = now()
                WHERE i.source_id = %s AND i.withdrawn_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM import_seen s
                                  WHERE s.organisation_id = i.organisation_id
                                    AND s.internal_code = i.internal_code) {held}""",
            [source_id]
            if untaken is None
            else [source_id, "{" + ",".join(map(str, untaken)) + "}"],
        )
        return cursor.rowcount
