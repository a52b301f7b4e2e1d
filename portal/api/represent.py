"""Rows to JSON-ready dicts through a serializer whose fields are built once per thread.

DRF builds a serializer's fields (and every nested serializer's) anew for each instance: for
the instrument list that was about a third of an answer's server time, more than the SQL. The
fields depend only on the class, never on the request, for the serializers passed here, so one
instance per class and thread is kept and the request's context is lent to it for one call.

Only for read serializers whose ``get_fields`` does not look at the context (a serializer that
drops fields per user would keep the first user's choice): the tests compare the answers with a
freshly built serializer for every reader they know.
"""

import threading
from collections.abc import Iterable

from rest_framework import serializers

_local = threading.local()


def represent(
    serializer_class: type[serializers.BaseSerializer], rows: Iterable, *, context: dict
) -> list[dict]:
    kept = _local.__dict__.setdefault("serializers", {})
    serializer = kept.get(serializer_class)
    if serializer is None:
        serializer = kept[serializer_class] = serializer_class(context={})
        serializer.fields  # noqa: B018 — build them now, outside any request's context
    # Field.context reads the root's _context: every nested field sees this request's.
    serializer._context = context
    try:
        return [serializer.to_representation(row) for row in rows]
    finally:
        serializer._context = {}
