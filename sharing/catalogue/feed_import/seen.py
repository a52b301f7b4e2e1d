"""The rows a source holds, read once when its re-import starts, and which of their keys the run
has seen (issue 17).

A re-import recognises its unchanged rows here, in memory, instead of asking the database per
batch, and keeps what it has seen of these keys here instead of in the import_seen temporary
table (at a million rows both cost more than the rest of the run). Keys the source did not hold
(new rows) still go through import_seen, so the first row with a key still wins either way.

Per live, fingerprinted row of the source 40 bytes in five arrays, ordered by the md5 of its key:
the digest (2 × 8 bytes), the fingerprint's first 8 bytes, the platform and the row's id; plus
4 bytes for the row number that first had the key (40 MB and 4 MB for a million rows).
"""

import hashlib
import sys
from array import array
from bisect import bisect_left
from dataclasses import dataclass

from sharing.catalogue.feed_import import upsert


@dataclass
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


class SourceRows:
    def __init__(self, source_id: int):
        self.high, self.low, self.fingerprints, self.platforms, self.ids = (
            array("Q") for _ in range(5)
        )
        for chunk in upsert.source_rows(source_id):
            records = array("Q", chunk)
            if sys.byteorder == "little":
                records.byteswap()  # the database sends big-endian
            for target, offset in zip(
                (self.high, self.low, self.fingerprints, self.platforms, self.ids),
                range(upsert.SOURCE_ROW_FIELDS),
                strict=True,
            ):
                target.extend(records[offset :: upsert.SOURCE_ROW_FIELDS])
        self.size = len(self.ids)
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

    def unchanged(self, position: int, fingerprint: bytes, platform_id: int | None) -> bool:
        """Whether the row at ``position`` was stored from a raw row with this fingerprint and
        is on this platform (the organisation and code are its key, already equal)."""
        return self.fingerprints[position] == int.from_bytes(
            fingerprint[:8], "big"
        ) and self.platforms[position] == (platform_id or 0)

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

    def untaken_ids(self) -> list[int]:
        """The stored rows no row of this run has had the key of (for withdraw_missing)."""
        return [self.ids[at] for at in range(self.size) if not self.first[at]]
