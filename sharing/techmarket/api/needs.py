"""API of needs: a firm's drafts, the light review that publishes them, closing, and the
listings matched to a need. Hidden needs answer 404 as if absent."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.pagination import numbered_page, page_of
from portal.api.serializers import NamedSerializer, RegionSerializer
from portal.api.views import ActionApi
from portal.text import SEVERAL_LINES
from sharing.techmarket import selectors, services
from sharing.techmarket.api.common import MatchSerializer, ReadOpenly, list_query, need_or_404
from sharing.techmarket.models import TechNeed


class NeedSerializer(serializers.ModelSerializer):
    region = RegionSerializer(read_only=True)
    organisation = NamedSerializer(read_only=True)

    class Meta:
        model = TechNeed
        fields = [
            "id",
            "status",
            *sorted(services.NEED_FIELDS),
            "region",
            "organisation",
            "review_note",
            "published_at",
        ]
        read_only_fields = ["id", "status", "review_note", "published_at"]


class NeedQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(TechNeed.Status.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000)


class NeedDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", validators=[SEVERAL_LINES]
    )


class NeedListCreateApi(ReadOpenly, APIView):
    """GET: anyone — published needs (and a firm's own with mine=true). POST: a firm user."""

    @extend_schema(
        operation_id="tech_needs_list",
        parameters=[NeedQuerySerializer],
        responses=page_of(NeedSerializer),
    )
    def get(self, request):
        query = list_query(NeedQuerySerializer, request)
        qs = selectors.need_list(user=request.user, **query)
        return numbered_page(self, request, qs, NeedSerializer)

    @extend_schema(request=NeedSerializer, responses={201: NeedSerializer})
    def post(self, request):
        serializer = NeedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        need = services.need_create(user=request.user, data=dict(serializer.validated_data))
        return Response(NeedSerializer(need).data, status=status.HTTP_201_CREATED)


class NeedDetailApi(ReadOpenly, APIView):
    """GET: anyone who may see it. PATCH: the firm that posted it, while a draft."""

    @extend_schema(responses=NeedSerializer)
    def get(self, request, pk: int):
        return Response(NeedSerializer(need_or_404(request, pk)).data)

    @extend_schema(request=NeedSerializer, responses=NeedSerializer)
    def patch(self, request, pk: int):
        need = need_or_404(request, pk)
        serializer = NeedSerializer(need, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        need = services.need_update(
            user=request.user, need=need, data=dict(serializer.validated_data)
        )
        return Response(NeedSerializer(need).data)


class _NeedAction(ActionApi):
    def get_object(self, request, pk: int):
        return need_or_404(request, pk)

    def respond(self, request, obj) -> Response:
        return Response(NeedSerializer(obj).data)


@extend_schema(request=None, responses=NeedSerializer)
class NeedSubmitApi(_NeedAction):
    """The firm submits its draft need for the light review."""

    def act(self, request, need, data):
        return services.need_submit(user=request.user, need=need)


@extend_schema(request=NeedDecisionSerializer, responses=NeedSerializer)
class NeedDecideApi(_NeedAction):
    """A reviewer publishes the need or returns it with a note."""

    input_serializer = NeedDecisionSerializer

    def act(self, request, need, data):
        return services.need_decide(user=request.user, need=need, **data)


@extend_schema(request=None, responses=NeedSerializer)
class NeedCloseApi(_NeedAction):
    """The firm closes its need."""

    def act(self, request, need, data):
        return services.need_close(user=request.user, need=need)


class NeedMatchesApi(APIView):
    """The listings matched to a need, best first, each with why: the firm that posted it,
    brokers, coordinators and administrators."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: page_of(MatchSerializer), 403: OpenApiResponse(description="forbidden")}
    )
    def get(self, request, pk: int):
        qs = selectors.matches_for_need(user=request.user, need=need_or_404(request, pk))
        return numbered_page(self, request, qs, MatchSerializer)
