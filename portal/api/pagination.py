"""Pages by number without COUNT(*), for lists short enough that OFFSET costs nothing."""

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class NoCountPagination(PageNumberPagination):
    """A broad search would count every match to say how many pages there are; one row more
    than the page tells whether there is a next one."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request) or self.page_size
        try:
            self.number = max(1, int(request.query_params.get(self.page_query_param, 1)))
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.has_next = len(rows) > size
        return rows[:size]

    def get_paginated_response(self, data):
        url = self.request.build_absolute_uri()
        return Response(
            {
                "next": replace_query_param(url, self.page_query_param, self.number + 1)
                if self.has_next
                else None,
                "previous": replace_query_param(url, self.page_query_param, self.number - 1)
                if self.number > 1
                else None,
                "results": data,
            }
        )


_PAGES: dict[type, type] = {}


def page_of(serializer_class: type) -> type:
    """The response schema of a numbered page of ``serializer_class`` (next, previous,
    results)."""
    if serializer_class not in _PAGES:
        name = serializer_class.__name__.removesuffix("Serializer")
        _PAGES[serializer_class] = type(
            f"{name}PageSerializer",
            (serializers.Serializer,),
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": serializer_class(many=True),
            },
        )
    return _PAGES[serializer_class]


def numbered_page(view, request, qs, serializer_class, *, serialize=None, **kwargs) -> Response:
    """Answer one numbered page of ``qs`` serialized by ``serializer_class``, or by
    ``serialize(rows)`` where a hot list keeps its serializer (portal.api.represent)."""
    paginator = NoCountPagination()
    page = paginator.paginate_queryset(qs, request, view=view)
    if serialize is not None:
        data = serialize(page)
    else:
        data = serializer_class(page, many=True, context={"request": request}, **kwargs).data
    return paginator.get_paginated_response(data)
