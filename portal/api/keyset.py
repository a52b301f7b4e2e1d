"""Keyset pages: the rows after a position in an ordering, one query, no OFFSET, no COUNT.

An ordering is a tuple of SortKeys ending in the id, which makes every position unique. A page
returns its rows and the position of its last row when more follow (None on the last page);
the position goes to the client inside the one signed cursor (portal.api.cursors).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering: its name on the row, the expression that computes it (None
    for a plain field or an annotation already there), its direction and its cursor type."""

    name: str
    expression: object = None
    descending: bool = False
    kind: type = int


def by_id(*, descending: bool = False) -> SortKey:
    return SortKey("id", F("id"), descending=descending, kind=int)


def kinds(keys: Sequence[SortKey]) -> list[type]:
    return [key.kind for key in keys]


def after_position(keys: Sequence[SortKey], values: Sequence) -> Q:
    """Rows strictly after ``values`` in the order of ``keys``: (a > x) or (a = x and b > y)…"""
    condition = Q()
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
        condition |= equal & beyond
        equal &= Q(**{key.name: value})
    return condition


def ordered(qs: QuerySet, keys: Sequence[SortKey]) -> QuerySet:
    computed = {
        k.name: k.expression
        for k in keys
        if k.expression is not None
        and not (isinstance(k.expression, F) and k.expression.name == k.name)
    }
    if computed:
        qs = qs.annotate(**computed)
    return qs.order_by(*(f"-{k.name}" if k.descending else k.name for k in keys))


def keyset_page(
    qs: QuerySet, *, keys: Sequence[SortKey], after: Sequence | None, size: int
) -> tuple[list, list | None]:
    """One page of ``qs`` in the order of ``keys`` after the position ``after``. Returns the
    rows and the position of the last one when more follow, else None."""
    qs = ordered(qs, keys)
    if after is not None:
        qs = qs.filter(after_position(keys, after))
    rows = list(qs[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]
    # Model rows, or the dicts of a ``.values()`` page (a lean list that skips the models).
    if isinstance(last, dict):
        return rows, [last[k.name] for k in keys]
    return rows, [getattr(last, k.name) for k in keys]
