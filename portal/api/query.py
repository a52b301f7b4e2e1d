"""Query strings: one rule for every list's filters."""

from rest_framework import serializers


def query_params(serializer_class: type[serializers.Serializer], request, **kwargs) -> dict:
    """The query checked by ``serializer_class``; a 400 in the error shape otherwise.

    A blank filter (``?status=``) is refused, as the schema says (minLength 1), unless the
    field allows blank (a search text). The serializer gets a plain dict, not the QueryDict:
    DRF reads "?field=" in a QueryDict as "not given", so a blank filter would pass unnoticed.
    """
    query = serializer_class(data=request.query_params.dict(), **kwargs)
    query.is_valid(raise_exception=True)
    return query.validated_data
