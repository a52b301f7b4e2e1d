"""The action-view base: POST .../<pk>/<verb>/ on an object the caller may see."""

from rest_framework import permissions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView


class ActionApi(APIView):
    """The object as the reader may see it (404 otherwise), the optional input checked, the
    service called (which decides 403 and 409), and the answer made from what it returned."""

    permission_classes = [permissions.IsAuthenticated]
    input_serializer: type[serializers.Serializer] | None = None

    def get_object(self, request, pk: int):
        raise NotImplementedError

    def act(self, request, obj, data):
        """Call the service; return the object to answer with, or None for ``obj``."""
        raise NotImplementedError

    def respond(self, request, obj) -> Response:
        raise NotImplementedError

    def post(self, request, pk: int):
        obj = self.get_object(request, pk)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = self.act(request, obj, data)
        return self.respond(request, obj if result is None else result)


class JsonForErrors(BaseContentNegotiation):
    """File downloads answer with their file whatever Accept says; errors still leave as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
