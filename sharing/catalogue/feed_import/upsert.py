"""The SQL that writes an import: a batch goes into a temporary table by COPY and from there
into the catalogue by one upsert; the keys a run has seen stay in a second temporary table, so
a full import can withdraw the source's rows it did not see.

The SQL is assembled from the model's own column names, never from input.
"""

import json
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
_TABLE = Instrument._meta.db_table


@dataclass
class Rejection:
    row_number: int
    column: str
    reason: str
    value: str = ""


@dataclass
class Known:
    """A row recognised by its fingerprint: unchanged, never validated nor copied; it still
    counts for the keys this run has seen (duplicates, a full import's withdrawals)."""

    row_number: int
    organisation_id: int
    internal_code: str


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


def known_fingerprints(source_id: int, fingerprints: list[str]) -> dict[str, list[tuple]]:
    """The source's live instruments holding these fingerprints: fingerprint → its
    (organisation, code, platform) rows (one, unless an organisation was matched differently
    since; the caller checks which still resolves)."""
    found: dict[str, list[tuple]] = {}
    if not fingerprints:
        return found
    with connection.cursor() as cursor:
        # Hex digits only, so the array goes as one literal (psycopg's list dumping was a
        # tenth of a re-import) and comes back as text (no UUID object per row).
        cursor.execute(
            f"""SELECT encode(uuid_send(i.feed_fingerprint), 'hex'), i.organisation_id,
                       i.internal_code, i.platform_id
                FROM {_TABLE} i
                WHERE i.source_id = %s AND i.feed_fingerprint = ANY(%s::uuid[])
                  AND i.withdrawn_at IS NULL""",
            [source_id, "{" + ",".join(fingerprints) + "}"],
        )
        for fingerprint, *row in cursor.fetchall():
            found.setdefault(fingerprint, []).append(tuple(row))
    return found


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_TABLE}")


def store_batch(rows: list[tuple[int, dict]], known: list[Known] = ()) -> Stored:
    """Write one batch: the first row with a key wins, an unchanged row (same hash) is left
    alone, a known row (recognised by its fingerprint) only counts as seen. Runs in the
    caller's transaction."""
    rejections = []
    # One JSON text rather than three arrays: psycopg dumps lists element by element in Python.
    known_json = json.dumps(
        [[k.organisation_id, k.internal_code, k.row_number] for k in known], ensure_ascii=False
    )
    if not rows and not known:
        return Stored(rejections=[], created=0, updated=0, unchanged=0)
    written: list[bool] = []
    with connection.cursor() as cursor:
        # A batch lost to a crash between commit and disk is re-imported on the next run
        # (imports are idempotent), so waiting for the WAL flush buys nothing here.
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The first row with a key wins, known or not; later rows with the same key are rejected.
        seen = []
        if rows:
            cursor.execute("TRUNCATE import_batch")
            copied = [*_WRITTEN, *SEARCH_COLUMNS]
            columns = ", ".join(["row_number", *copied])
            with cursor.cursor.copy(f"COPY import_batch ({columns}) FROM STDIN") as copy:
                for number, values in rows:
                    copy.write_row([number, *(values[c] for c in copied)])
            seen.append("SELECT organisation_id, internal_code, row_number FROM import_batch")
        if known:
            seen.append(
                """SELECT (k->>0)::bigint, k->>1, (k->>2)::integer
                   FROM json_array_elements(%s::json) AS k"""
            )
        cursor.execute(
            f"""INSERT INTO import_seen
                SELECT * FROM ({" UNION ALL ".join(seen)}) AS k
                ORDER BY 3 ON CONFLICT DO NOTHING RETURNING row_number""",
            [known_json] if known else [],
        )
        first_with_key = {number for (number,) in cursor.fetchall()}
        duplicates = []
        if rows:
            cursor.execute(
                """DELETE FROM import_batch b USING import_seen s
                   WHERE s.organisation_id = b.organisation_id
                     AND s.internal_code = b.internal_code AND s.row_number <> b.row_number
                   RETURNING b.row_number, s.row_number, b.internal_code"""
            )
            duplicates += cursor.fetchall()
        # A known row that did not go in has a key an earlier row took: say which.
        repeated = [
            [k.organisation_id, k.internal_code, k.row_number]
            for k in known
            if k.row_number not in first_with_key
        ]
        if repeated:
            cursor.execute(
                """SELECT (k->>2)::integer, s.row_number, k->>1
                   FROM json_array_elements(%s::json) AS k
                   JOIN import_seen s ON s.organisation_id = (k->>0)::bigint
                                     AND s.internal_code = k->>1""",
                [json.dumps(repeated, ensure_ascii=False)],
            )
            duplicates += cursor.fetchall()
        for number, first, code in sorted(duplicates):
            rejections.append(
                Rejection(number, "所在单位仪器内部编码", f"与第 {first} 行重复", code)
            )
        if rows:
            written = _upsert(cursor)
    created = sum(written)
    return Stored(
        rejections=rejections,
        created=created,
        updated=len(written) - created,
        unchanged=len(rows) + len(known) - len(rejections) - len(written),
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


def withdraw_missing(source_id: int) -> int:
    """Withdraw the source's live instruments this run has not seen; returns how many."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {_TABLE} i SET withdrawn_at = now(), updated_at = now()
                WHERE i.source_id = %s AND i.withdrawn_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM import_seen s
                                  WHERE s.organisation_id = i.organisation_id
                                    AND s.internal_code = i.internal_code)""",
            [source_id],
        )
        return cursor.rowcount
