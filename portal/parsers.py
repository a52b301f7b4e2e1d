"""The API's request parsers."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that a body nested deeper than Python's recursion limit (a few
    kilobytes of ``[[[[…``) is a 400 like any other malformed JSON instead of a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套层数过多。")) from None
