"""One keyset page as the API answers it: ``{"next", "results"}`` after the request's cursor."""

from collections.abc import Callable, Sequence

from django.db.models import QuerySet

from portal.api.cursors import cursor_decode, next_link
from portal.api.keyset import SortKey, keyset_page, kinds


def keyset_answer(
    request,
    qs: QuerySet,
    *,
    keys: Sequence[SortKey],
    scope: str,
    cursor: str | None,
    size: int,
    serialize: Callable[[list], object],
    page: Callable[..., tuple[list, list | None]] | None = None,
) -> dict:
    """The page of ``qs`` after ``cursor`` (a cursor of ``scope``, else InvalidCursor: 400),
    its rows serialized, and the address of the next page (None after the last). ``page``, when
    given, replaces keyset_page (same arguments and answer): a list whose pages need more than
    the one query (the catalogue's search) brings its own."""
    after = cursor_decode(cursor, scope=scope, kinds=kinds(keys)) if cursor else None
    rows, last = (page or keyset_page)(qs, keys=keys, after=after, size=size)
    return {"next": next_link(request, scope=scope, position=last), "results": serialize(rows)}
