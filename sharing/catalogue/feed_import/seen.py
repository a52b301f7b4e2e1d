"""The rows a source holds, read once when its re-import starts, and which of their keys the run
has seen (issue 17).

A re-import recognises its unchanged rows here, in memory, instead of asking the database per
batch, and keeps what it has seen of these keys here instead of in the import_seen temporary
table (at a million rows both cost more than the rest of the run). Keys the source did not hold
(new rows) still go through import_seen, so the first row with a key still wins either way.

Per live, fingerprinted row of the source 48 bytes (48 MB for a million rows): by the md5 of its
key, the digest (16 bytes) and the row number that first took the key in this run (4); by its
fingerprint, the fingerprint (16), organisation, platform and place by key (4 each); and 256 KB
of where each 16-bit prefix of the fingerprints starts. Digests are compared whole: a changed
row taken for an unchanged one would stay wrong.
"""

import hashlib
import sys
from array import array
from bisect import bisect_left
from dataclasses import dataclass

from sharing.catalogue.feed_import import upsert


@dataclass(slots=True)
class Known:
    """A row recognised by its fingerprint: unchanged, never validated nor copied. It still
    takes its key (duplicates, a full import's withdrawals): ``position`` is its stored row's."""

    row_number: int
    organisation_id: int
    internal_code: str
    position: int


def key_digest(organisation_id: int, internal_code: str) -> tuple[int, int]:
    """md5 of "organisation:code" as two numbers; upsert.source_rows computes the same in SQL."""
    digest = hashlib.md5(
        f"{organisation_id}:{internal_code}".encode(), usedforsecurity=False
    ).digest()
    return int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:], "big")


def _narrow(numbers: array) -> array:
    """4 bytes a number where they fit (ids do, short of four billion rows)."""
    try:
        return array("I", numbers)
    except OverflowError:
        return numbers


class SourceRows:
    def __init__(self, source_id: int):
        # By key: its digest. By fingerprint: the fingerprint, organisation, platform and the
        # row's place by key (the place the rest of this class knows it by).
        by_key = self.high, self.low = array("Q"), array("Q")
        by_print = tuple(array("Q") for _ in range(5))
        self.prints_high, self.prints_low, organisations, platforms, places = by_print
        for order, chunk in upsert.source_rows(source_id):
            numbers = array("Q", chunk)
            if sys.byteorder == "little":
                numbers.byteswap()  # the database sends big-endian
            targets = by_print if order else by_key
            for offset, target in enumerate(targets):
                target.extend(numbers[offset :: len(targets)])
        self.organisations, self.platforms, self.places = map(
            _narrow, (organisations, platforms, places)
        )
        self.size = len(self.high)
        # Where each value of a fingerprint's first 16 bits starts: the search then bisects ~15
        # numbers, not a million (each comparison boxes an array item).
        self.print_starts = array(
            "I", (bisect_left(self.prints_high, top << 48) for top in range(1 << 16))
        )
        self.print_starts.append(self.size)
        # The row number that first took each stored key in this run; 0 while none has.
        self.first = array("I", bytes(4 * self.size))

    def position(self, organisation_id: int, internal_code: str) -> int | None:
        """Where the source's row with this key is, if it held one live at the start."""
        high, low = key_digest(organisation_id, internal_code)
        at = bisect_left(self.high, high)
        while at < self.size and self.high[at] == high:
            if self.low[at] == low:
                return at
            at += 1
        return None

    def recognise(
        self, fingerprint: bytes, organisation_id: int, platform_id: int | None
    ) -> int | None:
        """The position of the row stored from a raw row with this fingerprint under this
        organisation and on this platform, if the source holds one. Its code is the raw row's:
        the fingerprint covers the code, and validation stores the code as it is."""
        high, low = int.from_bytes(fingerprint[:8], "big"), int.from_bytes(fingerprint[8:], "big")
        top = high >> 48
        at = bisect_left(self.prints_high, high, self.print_starts[top], self.print_starts[top + 1])
        platform_id = platform_id or 0
        while at < self.size and self.prints_high[at] == high:
            if (
                self.prints_low[at] == low
                and self.organisations[at] == organisation_id
                and self.platforms[at] == platform_id
            ):
                return self.places[at]
            at += 1
        return None

    def take(
        self, rows: list[tuple[int, dict]], known: list[Known]
    ) -> tuple[list[tuple[int, dict]], list[Known], list[upsert.Rejection], dict[int, int]]:
        """The batch's rows and known rows without those whose stored key an earlier row took
        (rejected as its duplicates), and the keys the rest take (position → row number), to be
        kept (``keep``) once the batch is stored. Rows with keys the source did not hold are
        left to import_seen."""
        taking: dict[int, int] = {}
        duplicates: list[upsert.Rejection] = []
        kept_rows: list[tuple[int, dict]] = []
        kept_known: list[Known] = []
        items = [(number, values, None) for number, values in rows]
        items += [(k.row_number, None, k) for k in known]
        items.sort(key=lambda item: item[0])
        for number, values, known_row in items:
            if known_row is not None:
                position, code = known_row.position, known_row.internal_code
            else:
                code = values["internal_code"]
                position = self.position(values["organisation_id"], code) if self.size else None
            if position is not None:
                first = self.first[position] or taking.get(position)
                if first:
                    duplicates.append(
                        upsert.Rejection(number, upsert.KEY_HEADER, f"与第 {first} 行重复", code)
                    )
                    continue
                taking[position] = number
            if known_row is not None:
                kept_known.append(known_row)
            else:
                kept_rows.append((number, values))
        return kept_rows, kept_known, duplicates, taking

    def keep(self, taking: dict[int, int]) -> None:
        for position, number in taking.items():
            self.first[position] = number

    def untaken_keys(self) -> list[str]:
        """The keys (md5 in hex) of the stored rows no row of this run has taken, for
        withdraw_missing."""
        return [
            f"{self.high[at]:016x}{self.low[at]:016x}"
            for at in range(self.size)
            if not self.first[at]
        ]
