"""API of the centre's services: a member requests one, the centre's staff carry it to
completion, the requester may cancel it."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.pagination import numbered_page, page_of
from portal.errors import NotFound
from portal.text import SEVERAL_LINES
from sharing.techmarket import selectors, services
from sharing.techmarket.models import ServiceRequest, TechListing, TechNeed


class _VisibleId(serializers.PrimaryKeyRelatedField):
    """The id of a listing or need the caller may see. One that does not exist and one that is
    hidden get the same 400 with the same words: a 404 for hidden ones alone would tell a
    draft's id apart from an id nobody has."""

    default_error_messages = {"does_not_exist": _lazy("不存在或无权查看。")}

    def get_queryset(self):
        return self.queryset.model.objects.for_user(self.context["request"].user)


class ServiceRequestSerializer(serializers.ModelSerializer):
    requester = serializers.CharField(source="requester.username", read_only=True)
    listing = _VisibleId(
        queryset=TechListing.objects.all(), required=False, allow_null=True, default=None
    )
    need = _VisibleId(
        queryset=TechNeed.objects.all(), required=False, allow_null=True, default=None
    )
    handler = serializers.CharField(
        source="handler.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "kind",
            "description",
            "listing",
            "need",
            "status",
            "requester",
            "handler",
            "result",
            "created_at",
            "completed_at",
        ]
        read_only_fields = ["id", "status", "requester", "handler", "result", "completed_at"]


class ServiceAdvanceSerializer(serializers.Serializer):
    to = serializers.ChoiceField(
        [s for s in ServiceRequest.Status.choices if s[0] != ServiceRequest.Status.REQUESTED]
    )
    result = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default="", validators=[SEVERAL_LINES]
    )


class ServiceRequestListCreateApi(APIView):
    """GET: a person's own requests; the centre's staff (brokers) and administrators see all.
    POST: any signed-in member of an organisation requests a service."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=page_of(ServiceRequestSerializer))
    def get(self, request):
        return numbered_page(
            self, request, selectors.service_requests(user=request.user), ServiceRequestSerializer
        )

    @extend_schema(
        request=ServiceRequestSerializer,
        responses={
            201: ServiceRequestSerializer,
            400: OpenApiResponse(description="invalid, or no such listing or need visible"),
        },
    )
    def post(self, request):
        serializer = ServiceRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.service_request_create(
            user=request.user,
            kind=data["kind"],
            description=data["description"],
            listing=data.get("listing"),
            need=data.get("need"),
        )
        return Response(ServiceRequestSerializer(created).data, status=status.HTTP_201_CREATED)


class ServiceRequestAdvanceApi(APIView):
    """Brokers accept, work on and complete a request; the requester may cancel it."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ServiceAdvanceSerializer, responses=ServiceRequestSerializer)
    def post(self, request, pk: int):
        item = selectors.service_requests(user=request.user).filter(pk=pk).first()
        if item is None:
            raise NotFound(_("服务申请不存在。"))
        serializer = ServiceAdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.service_request_advance(
            user=request.user, request=item, **serializer.validated_data
        )
        return Response(ServiceRequestSerializer(item).data)
