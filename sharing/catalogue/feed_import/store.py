"""Importing a catalogue feed: validated rows go in by COPY and one upsert per batch.

Each batch is one transaction: a row is stored whole or not at all, and a bad row never holds
back the good ones (a batch the database refuses is retried row by row). The key is
(organisation, 所在单位仪器内部编码); an unchanged row is recognised by its hash and left alone,
so importing the same file twice changes nothing. The keys seen so far live in a temporary table
(the SQL is upsert's), except on a source's re-import those of the rows the source already held,
which seen.SourceRows keeps in compact arrays (48 bytes a row). A source's rows carry a
fingerprint of the raw row (of its line, for a plain CSV: read.Lines), and a re-import counts a
row whose fingerprint the source holds as unchanged without validating, or even parsing, it.
"""

import contextlib
import hashlib
import itertools
import logging
import operator
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal.accounts import uscc as uscc_rules
from portal.accounts.models import Region
from portal.accounts.services import organisation_match, organisation_match_or_create
from sharing.catalogue import rules
from sharing.catalogue.feed_import import bulk as bulk_load
from sharing.catalogue.feed_import import upsert, workers
from sharing.catalogue.feed_import.read import COLUMNS, HEADER_OF, SHAPE, Feed, open_feed
from sharing.catalogue.feed_import.rules import Clean, Context, clean_row
from sharing.catalogue.feed_import.seen import Known, SourceRows
from sharing.catalogue.feed_import.upsert import Rejection, Stored
from sharing.catalogue.models import FeedSource, InstrumentClass, Platform
from sharing.catalogue.services import platform_match_or_create

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
ANALYZE_AFTER_ROWS = 10_000
# Part of every row's fingerprint. Bump it when clean_row's rules change so that a raw row they
# accepted before might now be rejected or stored differently: every stored fingerprint then
# misses once, and the next import validates (and fingerprints) every row again.
RULES_VERSION = 1
# The cells a plain file's line is looked at for: the names resolved, then the code.
_LINE_NAMES = ("organisation_uscc", "organisation", "platform", "internal_code")
# The raw cells a fingerprint covers, in a fixed order (a file's own column order may differ).
_RAW_FIELDS = [field for field, _zh, _en in COLUMNS] + [SHAPE]


@dataclass
class Counts:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    withdrawn: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Prepared:
    accepted: list[tuple[int, dict]]
    rejections: list[Rejection]
    known: list[Known] = field(default_factory=list)


def _context() -> Context:
    regions: dict[str, int] = {}
    for region in Region.objects.all():
        for key in (region.name, region.code, region.adcode, region.name_en.lower()):
            if key:
                regions[key] = region.pk
        regions[region.name + "市"] = regions[region.name + "区"] = region.pk
    classes = dict(InstrumentClass.objects.values_list("code", "name"))
    return Context(regions=regions, classes=classes, today=timezone.localdate())


def _context_digest(ctx: Context) -> str:
    """What validation reads besides the row, less today: a date valid yesterday stays valid,
    but a region or class that goes or changes meaning must send the rows through it again."""
    return repr((sorted(ctx.regions.items()), sorted(ctx.classes.items())))


_HASHED = operator.itemgetter(*[c for c in upsert.FEED_COLUMNS if c != "row_hash"])


def _row_hash(values: dict) -> str:
    parts = "\x1f".join(map(str, _HASHED(values)))
    return hashlib.md5(parts.encode(), usedforsecurity=False).hexdigest()


class InstrumentImport:
    def __init__(
        self,
        *,
        path: Path,
        filename: str | None = None,
        source: FeedSource | None = None,
        full: bool = False,
        dry_run: bool = False,
        batch_size: int = BATCH_SIZE,
        on_progress: Callable[[Counts, int, int], None] | None = None,
        on_rejections: Callable[[list[Rejection]], None] | None = None,
        on_stored: Callable[[Stored], None] | None = None,
        pipeline: bool = True,
        bulk: bool = True,
        processes: int | None = None,
        scope: rules.ImportScope = rules.EVERYWHERE,
    ):
        if full and source is None:
            raise ValueError("a full import needs a source: only that source's rows can be missing")
        self.path = Path(path)
        self.filename = filename
        self.source = source
        self.full = full
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda counts, done, total: None)
        self.on_rejections = on_rejections or (lambda rejections: None)
        # Called inside each batch's transaction: what it records commits with the rows or not
        # at all, so a job's counts stay true when its worker is killed between two batches.
        self.on_stored = on_stored or (lambda stored: None)
        self.pipeline = pipeline
        # Whether a pipelined import into an empty catalogue may load without the secondary
        # indexes and build them at the end (bulk.py); the answers are the same either way.
        self.bulk = bulk
        self._bulk = False
        # Worker processes for a bulk load's validation and segmentation (workers.py); 0: none.
        self.processes = workers.default_processes() if processes is None else processes
        # Whose instruments the rows may write (rules.import_scope): a manager's upload only
        # their own organisation's, and a manager without an organisation none at all.
        self.scope = scope
        self.counts = Counts()
        self._lock = threading.Lock()
        self._organisations: dict[tuple[str, str], int] = {}
        self._matches: dict[tuple[str, str], int | None] = {}
        self._platforms: dict[str, int] = {}
        # Positive answers only: a row that does not resolve takes the full path, which may
        # create or complete the organisation or platform (and fills the caches above).
        self._known_organisations: dict[tuple[str, str], int] = {}
        self._known_platforms: dict[str, int] = {}
        self._resolved: dict[tuple[str, str, str], tuple[int, int | None]] = {}
        self._fingerprint_base = None
        self._source_rows: SourceRows | None = None
        self._line_base = None

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> Counts:
        held = self._held_rows()
        try:
            feed = open_feed(self.path, self.filename)
        except BaseException:
            with contextlib.suppress(Exception):
                held()
            raise
        source_rows = held()
        bulk_load.restore_if_interrupted()
        self.ctx = _context()
        self._fingerprint_base = self._fingerprint_start()
        if self._fingerprint_base is not None:
            self._source_rows = source_rows
        self._feed_lines = feed.lines
        self._line_base = self._line_start(feed)
        self._position = feed.lines.position if self._line_base else feed.position
        try:
            if self.dry_run:
                # Everything, organisations created on the way included, is rolled back.
                with transaction.atomic():
                    self._run(feed)
                    transaction.set_rollback(True)
            else:
                self._run(feed)
        finally:
            feed.close()
        return self.counts

    def _held_rows(self) -> Callable[[], SourceRows | None]:
        """The rows the source holds (seen.SourceRows), read once for the whole run (per batch,
        these lookups were a third of a million-row re-import): on a connection of its own
        while the file is checked, so that the database works while Python reads (6 s each at
        a million rows), or here and now when the caller's transaction holds rows that another
        connection would not see. Call the result for them."""
        if self.source is None or not (self.scope.everywhere or self.scope.organisation):
            return lambda: None
        if not self.pipeline or connection.in_atomic_block:
            rows = SourceRows(self.source.pk)
            return lambda: rows
        result: list = []

        def read() -> None:
            try:
                result.append(SourceRows(self.source.pk))
            except BaseException as exc:
                result.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=read, name="import-held-rows", daemon=True)
        thread.start()

        def joined() -> SourceRows:
            thread.join()
            if isinstance(result[0], BaseException):
                raise result[0]
            return result[0]

        return joined

    def _run(self, feed: Feed) -> None:
        # With the caller in autocommit, a second thread (with its own connection) writes
        # batch n while this one cleans and segments batch n+1: Python and PostgreSQL then work
        # on the two cores at once. Inside a transaction (a dry run, a test) the writer could
        # not see this connection's uncommitted organisations, so everything stays on one.
        pipelined = self.pipeline and not connection.in_atomic_block
        if pipelined:
            self._bulk = self.bulk and not self.dry_run and self._start_bulk()
            try:
                self._run_pipelined(feed)
            finally:
                if self._bulk:
                    try:
                        bulk_load.restore_indexes()  # nothing left to do unless it failed
                    finally:
                        bulk_load.unlock()
            return
        upsert.create_temp_tables()
        try:
            for batch in self._batches(feed):
                self._write(self._prepare(*self._split(batch)))
                self.on_progress(self.counts, self._position(), feed.bytes_total)
            self._finish(feed)
        finally:
            upsert.drop_temp_tables()

    def _start_bulk(self) -> bool:
        """Into an empty catalogue, with no other bulk load running: drop the secondary
        indexes (bulk.py), holding the lock until they are built again."""
        if not bulk_load.try_lock():
            return False
        try:
            if bulk_load.table_is_empty():
                bulk_load.drop_secondary_indexes()
                return True
        except DatabaseError as exc:
            # The drop could not have the table at once (a reader holds it): the row path.
            log.warning("bulk load not started: %s", exc)
        bulk_load.unlock()
        return False

    def _batches(self, feed: Feed):
        batch: list[tuple[int, dict]] = []
        for number, raw in feed.lines.read() if self._line_base else feed.rows:
            batch.append((number, raw))
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _finish(self, feed: Feed) -> None:
        if self.full:
            untaken = self._source_rows.untaken_keys() if self._source_rows else None
            self.counts.withdrawn = upsert.withdraw_missing(self.source.pk, untaken)
        if not self.dry_run and self.counts.created + self.counts.updated >= ANALYZE_AFTER_ROWS:
            # Fresh statistics after a large load: without them the planner misjudges the new
            # organisations and search plans go from milliseconds to seconds (seen in bench/).
            upsert.analyze()
        self.on_progress(self.counts, feed.bytes_total, feed.bytes_total)

    def _run_pipelined(self, feed: Feed) -> None:
        # Forked before any thread starts. Only for a bulk load: a re-import's rows mostly
        # skip validation (fingerprints) and segmentation (unchanged), so they stay here.
        pool = workers.start_pool(self.ctx, self.processes) if self._bulk else None
        if self._bulk:
            log.info(
                "bulk load into an empty catalogue: indexes built at the end, %s",
                f"{self.processes} worker processes" if pool else "no worker processes",
            )
        try:
            self._run_threads(feed, pool)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()

    def _run_threads(self, feed: Feed, pool) -> None:
        work: queue.Queue = queue.Queue(maxsize=2)
        failure: list[BaseException] = []

        def writer() -> None:
            try:
                if self._bulk:
                    bulk_load.writer_settings()
                upsert.create_temp_tables()
                try:
                    while (item := work.get()) is not None:
                        prepared, position = item
                        self._write(prepared)
                        self.on_progress(self.counts, position, feed.bytes_total)
                    if self._bulk:
                        # Before the closing ANALYZE, which would wait for the builds anyway.
                        bulk_load.restore_indexes()
                    self._finish(feed)
                finally:
                    upsert.drop_temp_tables()
            except BaseException as exc:
                failure.append(exc)
                while work.get() is not None:  # let the reader finish putting
                    pass
            finally:
                connection.close()

        thread = threading.Thread(target=writer, name="import-writer", daemon=True)
        thread.start()
        # With workers, enough batches in flight that neither waits for the other.
        ahead: deque = deque()
        depth = 0 if pool is None else 2 * self.processes
        try:
            for batch in self._batches(feed):
                if failure:
                    break
                known, rest = self._split(batch)
                # A bulk load's source holds nothing yet: every row is to be validated.
                cleaned = None if pool is None else workers.submit(pool, [r for _, r, _ in rest])
                ahead.append((known, rest, cleaned, self._position()))
                while len(ahead) > depth:
                    known, rest, cleaned, position = ahead.popleft()
                    prepared = self._prepare(known, rest, cleaned and cleaned.get())
                    work.put((prepared, position))
            while ahead and not failure:
                known, rest, cleaned, position = ahead.popleft()
                work.put((self._prepare(known, rest, cleaned and cleaned.get()), position))
        finally:
            work.put(None)
            thread.join()
        if failure:
            raise failure[0]

    # --- one batch --------------------------------------------------------------------------

    def _split(self, batch: list[tuple]) -> tuple[list[Known], list[tuple]]:
        """The batch's known rows (unchanged, by fingerprint) and the rest, parsed, each with
        its fingerprint."""
        return self._recognise_lines(batch) if self._line_base else self._recognise(batch)

    def _prepare(self, known: list[Known], rest: list[tuple], cleaned=None) -> "Prepared":
        """Validation, organisations, hashes and search text: everything before the write.
        Rows the source already holds as they are (by fingerprint) skip all of it.
        ``cleaned``: the workers' (Clean, search texts) for every row of ``rest``."""
        rejections: list[Rejection] = []
        accepted: list[tuple[int, dict]] = []
        for i, (number, raw, fingerprint) in enumerate(rest):
            clean, texts = (clean_row(raw, self.ctx), None) if cleaned is None else cleaned[i]
            if clean.errors:
                rejections.extend(Rejection(number, *error) for error in clean.errors)
                continue
            if not self._may_import(clean):
                rejections.append(
                    Rejection(
                        number,
                        HEADER_OF["organisation"],
                        "只能导入本单位的仪器",
                        clean.organisation[:200],
                    )
                )
                continue
            values = self._values(clean)
            values[upsert.FINGERPRINT] = fingerprint.hex() if fingerprint else None
            if texts is not None:
                values.update(texts)
            accepted.append((number, values))
        self._add_search_texts(accepted)
        with self._lock:
            self.counts.rows_read += len(known) + len(rest)
            self.counts.rejected += len(rest) - len(accepted)
        return Prepared(accepted, rejections, known)

    # --- recognising unchanged rows ---------------------------------------------------------

    def _fingerprint_start(self):
        """The digest every row's fingerprint starts from, or None when rows are not
        recognised: without a source (the lookup is per source) or for a scope that may write
        nowhere."""
        if self.source is None or not (self.scope.everywhere or self.scope.organisation):
            return None
        # The scope is part of it: a row accepted under one scope says nothing about another.
        scope = "*" if self.scope.everywhere else f"organisation {self.scope.organisation.pk}"
        start = hashlib.md5(usedforsecurity=False)
        start.update(
            f"{RULES_VERSION}\x00{self.source.pk}\x00{scope}\x00{_context_digest(self.ctx)}"
            "\x00".encode()
        )
        return start

    def _fingerprint(self, raw: dict) -> bytes | None:
        cells = "\x00".join(map(raw.get, _RAW_FIELDS, itertools.repeat("")))
        if cells.count("\x00") != len(_RAW_FIELDS) - 1:
            return None  # a NUL inside a cell would make two rows' joins alike
        digest = self._fingerprint_base.copy()
        digest.update(cells.encode())
        return digest.digest()

    def _recognise(self, batch: list[tuple[int, dict]]) -> tuple[list[Known], list[tuple]]:
        """Split the batch into rows the source holds live from this very raw row and that
        still resolve to the stored organisation and platform (known: unchanged), and the rest
        (with their fingerprints, to be validated and written)."""
        if self._fingerprint_base is None:
            return [], [(number, raw, None) for number, raw in batch]
        fingerprint = self._fingerprint
        if not self._source_rows.size:
            return [], [(number, raw, fingerprint(raw)) for number, raw in batch]
        # The loop every row of a re-import goes through: names and methods bound once.
        known: list[Known] = []
        rest: list[tuple] = []
        resolved_by_names = self._resolved.get
        recognise = self._source_rows.recognise
        for number, raw in batch:
            printed = fingerprint(raw)
            if printed is not None:
                get = raw.get
                names = (get("organisation_uscc", ""), get("organisation", ""), get("platform", ""))
                resolved = resolved_by_names(names) or self._resolve(raw, names)
                if resolved is not None:
                    position = recognise(printed, *resolved)
                    if position is not None:
                        known.append(Known(number, resolved[0], get("internal_code", ""), position))
                        continue
            rest.append((number, raw, printed))
        return known, rest

    def _line_start(self, feed: Feed):
        """The digest a plain CSV's line fingerprints start from, or None to fingerprint rows
        by their cells. A plain file (one line per row, read.Lines) whose every column is known
        fingerprints each row by its line's bytes, under the header line: a re-import then
        recognises a row without parsing it (the csv module and the row's cells were two
        thirds of it). A changed column order or spacing misses once; a column the import
        does not read must not count, so such files keep the cell fingerprints."""
        if self._fingerprint_base is None or feed.lines is None or not all(feed.fields):
            return None
        start = self._fingerprint_base.copy()
        start.update(b"line\x00" + feed.lines.header + b"\x00")
        fields = feed.fields
        at = {name: fields.index(name) if name in fields else None for name in _LINE_NAMES}
        self._line_width = len(fields)
        self._line_code_at = at["internal_code"]
        if at["organisation_uscc"] is not None and at["platform"] is not None:
            self._line_names = operator.itemgetter(
                at["organisation_uscc"], at["organisation"], at["platform"]
            )
        else:
            self._line_names = lambda cells: tuple(
                b"" if at[name] is None else cells[at[name]] for name in _LINE_NAMES[:3]
            )
        self._resolved_lines: dict[tuple[bytes, bytes, bytes], tuple[int, int | None]] = {}
        return start

    def _recognise_lines(self, batch: list[tuple[int, bytes]]) -> tuple[list[Known], list[tuple]]:
        """_recognise for a plain file's lines: a line the source holds a row from (its bytes'
        fingerprint, the organisation and platform still resolving as stored) is known without
        being parsed; the others are parsed into their rows (none for a blank line)."""
        lines = self._feed_lines
        start = self._line_base.copy
        rows_of = lines.rows
        known: list[Known] = []
        rest: list[tuple] = []
        recognise = self._source_rows.recognise if self._source_rows.size else None
        width, names_of, code_at = self._line_width, self._line_names, self._line_code_at
        resolved_by_names = self._resolved_lines.get
        for number, line in batch:
            digest = start()
            digest.update(line)
            printed = digest.digest()
            if recognise is not None:
                cells = line.split(b",")
                if len(cells) == width:
                    names = names_of(cells)
                    resolved = resolved_by_names(names) or self._resolve_line(number, line, names)
                    if resolved is not None:
                        position = recognise(printed, *resolved)
                        if position is not None:
                            code = cells[code_at].decode(lines.encoding).strip()
                            if code[:1] == "'":  # perhaps guarded: as the row reads it
                                code = rows_of(number, line)[0][1]["internal_code"]
                            known.append(Known(number, resolved[0], code, position))
                            continue
            rest.extend((number, raw, printed) for _, raw in rows_of(number, line))
        return known, rest

    def _resolve_line(
        self, number: int, line: bytes, names: tuple
    ) -> tuple[int, int | None] | None:
        """_resolve for a line's names (as bytes), remembered under them when they resolve."""
        for _, raw in self._feed_lines.rows(number, line):
            get = raw.get
            text = (get("organisation_uscc", ""), get("organisation", ""), get("platform", ""))
            resolved = self._resolved.get(text) or self._resolve(raw, text)
            if resolved is not None:
                self._resolved_lines[names] = resolved
            return resolved
        return None

    def _resolve(self, raw: dict, names: tuple[str, str, str]) -> tuple[int, int | None] | None:
        """The organisation and platform the full path would give the row today (they may have
        been renamed, created or completed since), if it would neither create nor complete one
        and, under a manager's scope, the row is still theirs to write; else None."""
        organisation = self._known_organisation(raw)
        if organisation is None:
            return None
        resolved = (organisation, self._known_platform(names[2]))
        if resolved[1] == 0:
            return None
        self._resolved[names] = resolved
        return resolved

    def _known_organisation(self, raw: dict) -> int | None:
        """The organisation the full path (_may_import, _organisation) would give the row,
        when it would neither create one nor write a code onto one; else None."""
        name, uscc = raw.get("organisation") or "", raw.get("organisation_uscc") or ""
        if (uscc, name) in self._known_organisations:
            return self._known_organisations[(uscc, name)]
        key = (uscc_rules.normalise(uscc), name)
        if not self.scope.everywhere:
            own = self.scope.organisation
            allowed = rules.may_write_row(
                self.scope, uscc=key[0], match=lambda: self._match_key(key)
            )
            found = own.pk if allowed else None
        elif key in self._organisations:
            found = self._organisations[key]
        else:
            org = organisation_match(name=key[1], uscc=key[0])
            # organisation_match_or_create would write the row's code onto this one.
            found = org.pk if org is not None and not (key[0] and not org.uscc) else None
        if found is not None:
            self._known_organisations[(uscc, name)] = found
        return found

    def _known_platform(self, name: str) -> int | None:
        """The platform the full path would give the row (None for none); 0 when it would
        create one, which no stored row matches."""
        if not name:
            return None
        if name in self._platforms:
            return self._platforms[name]
        if name not in self._known_platforms:
            found = Platform.objects.filter(name=name).values_list("pk", flat=True).first()
            if found is None:
                return 0
            self._known_platforms[name] = found
        return self._known_platforms[name]

    def _write(self, prepared: "Prepared") -> None:
        accepted, rejections, known = prepared.accepted, prepared.rejections, prepared.known
        if accepted or known:
            try:
                with transaction.atomic():
                    stored, taking = self._store(accepted, known)
                    self.on_stored(stored)
                self._took(stored, taking, rejections)
            except (DatabaseError, psycopg.Error):
                # One row the database refuses must not cost the others: go row by row, in
                # the file's order so that the first row with a key still wins.
                one_by_one = sorted(
                    [(number, [(number, values)], []) for number, values in accepted]
                    + [(k.row_number, [], [k]) for k in known],
                    key=lambda item: item[0],
                )
                for number, rows, known_row in one_by_one:
                    try:
                        with transaction.atomic():
                            stored, taking = self._store(rows, known_row)
                            self.on_stored(stored)
                        self._took(stored, taking, rejections)
                    except (DatabaseError, psycopg.Error) as exc:
                        cause = exc.__cause__ or exc
                        reason = (str(cause).splitlines() or [type(cause).__name__])[0]
                        rejections.append(Rejection(number, "", f"数据库拒绝：{reason[:250]}"))
                        with self._lock:
                            self.counts.rejected += 1
        if rejections:
            self.on_rejections(rejections)

    def _store(self, rows: list[tuple[int, dict]], known: list[Known]) -> tuple[Stored, dict]:
        """store_batch, after the keys the source held are settled here (seen.SourceRows):
        the rows an earlier row's key rules out are rejected, the known rows that remain are
        unchanged. Returns what was stored and the keys taken, to keep once committed."""
        if self._source_rows is None:
            return upsert.store_batch(rows), {}
        rows, known, duplicates, taking = self._source_rows.take(rows, known)
        stored = upsert.store_batch(rows)
        if duplicates:
            stored.rejections = sorted(
                [*duplicates, *stored.rejections], key=lambda rejection: rejection.row_number
            )
        stored.unchanged += len(known)
        return stored, taking

    def _took(self, stored: Stored, taking: dict, rejections: list[Rejection]) -> None:
        if taking:
            self._source_rows.keep(taking)
        self._count(stored, rejections)

    def _may_import(self, clean: Clean) -> bool:
        return rules.may_write_row(
            self.scope, uscc=clean.organisation_uscc, match=lambda: self._match(clean)
        )

    def _match(self, clean: Clean) -> int | None:
        return self._match_key((clean.organisation_uscc, clean.organisation))

    def _match_key(self, key: tuple[str, str]) -> int | None:
        key = (key[0], key[1].strip())
        if key not in self._matches:
            match = organisation_match(name=key[1], uscc=key[0])
            self._matches[key] = match.pk if match else None
        return self._matches[key]

    def _values(self, clean: Clean) -> dict:
        values = clean.values
        region_id = values["region_id"]
        values["organisation_id"] = self._organisation(clean, region_id)
        values["platform_id"] = (
            self._platform(clean.platform, region_id) if clean.platform else None
        )
        lon, lat = values.pop("lon"), values.pop("lat")
        values["location"] = f"SRID=4326;POINT({lon} {lat})" if lon is not None else None
        values["source_id"] = self.source.pk if self.source else None
        values["source_key"] = values["internal_code"]
        values["row_hash"] = _row_hash(values)
        return values

    def _add_search_texts(self, rows: list[tuple[int, dict]]) -> None:
        """Segmentation is the costly part of a row, and a row whose hash the database already
        holds will not be written: only new and changed rows are segmented."""
        if not rows:
            return
        # Into a catalogue that was empty, a row whose hash is stored can only repeat an
        # earlier row of this file: a duplicate, never written, so no need to ask.
        unchanged = () if self._bulk else upsert.unchanged_keys(rows)
        for _, values in rows:
            if (values["organisation_id"], values["internal_code"]) in unchanged:
                values.update(upsert.NO_SEARCH)
            elif upsert.SEARCH_COLUMNS[0] not in values:  # else a worker segmented it
                values.update(workers.search_texts(values, self.ctx.classes))

    def _organisation(self, clean: Clean, region_id: int) -> int:
        if not self.scope.everywhere:
            # Never creates an organisation nor writes a code onto one (_may_import).
            return self.scope.organisation.pk
        key = (clean.organisation_uscc, clean.organisation)
        if key not in self._organisations:
            org = organisation_match_or_create(
                name=clean.organisation, uscc=clean.organisation_uscc, region_id=region_id
            )
            self._organisations[key] = org.pk
        return self._organisations[key]

    def _platform(self, name: str, region_id: int) -> int:
        if name not in self._platforms:
            self._platforms[name] = platform_match_or_create(name=name, region_id=region_id).pk
        return self._platforms[name]

    def _count(self, stored: Stored, rejections: list[Rejection]) -> None:
        rejections.extend(stored.rejections)
        with self._lock:
            self.counts.rejected += len(stored.rejections)
            self.counts.created += stored.created
            self.counts.updated += stored.updated
            self.counts.unchanged += stored.unchanged
