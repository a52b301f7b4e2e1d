"""The API's request parsers."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _surrogate_in(value) -> bool:
    """Whether a lone surrogate is anywhere in the parsed value, keys included. A loop, not
    recursion: the value may be nested nearly as deep as the recursion limit."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that

    - a body nested deeper than Python's recursion limit (a few kilobytes of ``[[[[…``) is a
      400 like any other malformed JSON instead of a 500;
    - a lone surrogate (the escape ``"\\ud800"``, valid JSON but not text) is refused here, once
      for every view: no field, model or error message that would echo it ever sees it, since
      it cannot be encoded as UTF-8 for the database or the answer. The field is named when
      the body is an object and the key itself is text."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套层数过多。")) from None
        if _surrogate_in(data):
            message = _("含有不成对的 UTF-16 代理字符（U+D800–U+DFFF），不是有效的文本。")
            if isinstance(data, dict):
                named = [k for k, v in data.items() if not _has_surrogate(k) and _surrogate_in(v)]
                if named:
                    raise ValidationError({named[0]: [message]})
            raise ParseError(message)
        return data
