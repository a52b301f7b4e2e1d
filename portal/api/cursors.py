"""The one keyset cursor of the portal: a signed, opaque token naming a position in an ordering.

A list orders its rows by some keys ending in the id; the last row's keys are the position, and
the next page is the rows after it (no OFFSET, no COUNT). The token carries the list's scope
(which list and ordering wrote it), so a cursor from another list or ordering is refused as
surely as one edited by hand: both are a 400 saying to start from the first page again.
"""

import datetime
import math
from collections.abc import Sequence
from decimal import Decimal

from django.core import signing
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

SALT = "portal.api.cursor"
CURSOR_HELP = _("上一页响应中 next 链接携带的游标（不透明的签名令牌）。")


class InvalidCursor(serializers.ValidationError):
    def __init__(self):
        super().__init__({"cursor": [_("翻页游标无效或已失效，请从第一页重新开始。")]})


def _encode(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _decode(kind: type, value):
    if kind is datetime.datetime and isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if kind is datetime.date and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    if kind is Decimal and isinstance(value, str):
        return Decimal(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(value)
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(value)


def cursor_encode(*, scope: str, position: Sequence) -> str:
    return signing.dumps({"s": scope, "p": [_encode(v) for v in position]}, salt=SALT)


def cursor_decode(token: str, *, scope: str, kinds: Sequence[type]) -> list:
    """The position a cursor of ``scope`` carries, typed by ``kinds``; InvalidCursor (400)
    for anything else."""
    try:
        payload = signing.loads(token, salt=SALT)
        if payload["s"] != scope or len(payload["p"]) != len(kinds):
            raise InvalidCursor
        return [_decode(k, v) for k, v in zip(kinds, payload["p"], strict=True)]
    except (signing.BadSignature, KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidCursor from exc


def next_link(request, *, scope: str, position: Sequence | None) -> str | None:
    """The address of the next page, or None after the last."""
    if position is None:
        return None
    token = cursor_encode(scope=scope, position=position)
    return replace_query_param(request.build_absolute_uri(), "cursor", token)
