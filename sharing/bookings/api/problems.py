"""The problem-report API: report a problem on an instrument one has used, see one's own reports
(managers: those on their instruments), resolve one, and fetch a report's photo.

A report is seen by its reporter, the instrument's managers and administrators; to anyone else
it does not exist (404). Of those, only the managers may resolve it (403 for the reporter).
"""

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import bounds
from portal.api import keyset
from portal.api.cursors import CURSOR_HELP
from portal.api.pages import keyset_answer
from portal.api.query import query_params
from portal.api.views import ActionApi
from portal.errors import NotFound
from portal.text import SEVERAL_LINES
from sharing.bookings.api.booking_serializers import MAX_PAGE_SIZE, PAGE_SIZE, InstrumentField
from sharing.bookings.models import Booking, ProblemReport
from sharing.bookings.selectors import bookable_instrument_get
from sharing.bookings.selectors_facility import problem_get, problems_visible
from sharing.bookings.services import problems as problem_services

ORDER = (keyset.by_id(descending=True),)
CURSOR_SCOPE = "problems"
_BIGINT_MAX = 2**63 - 1

# --- Input --------------------------------------------------------------------------------


class ProblemListQuerySerializer(serializers.Serializer):
    instrument = serializers.IntegerField(required=False, min_value=1, max_value=_BIGINT_MAX)
    status = serializers.ChoiceField(choices=ProblemReport.Status.choices, required=False)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=200, help_text=CURSOR_HELP)


class ProblemCreateSerializer(serializers.Serializer):
    instrument = InstrumentField()
    severity = serializers.ChoiceField(choices=ProblemReport.Severity.choices)
    description = serializers.CharField(max_length=2000, validators=[SEVERAL_LINES])
    photo = serializers.FileField(
        required=False, allow_null=True, help_text=_("照片：JPEG、PNG 或 WebP，最大 5 MB。")
    )
    booking = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=_BIGINT_MAX
    )
    expected_end = bounds.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("停机时预计恢复的时间（默认 7 天后）；只对 down 有效。"),
    )

    def validate_instrument(self, pk):
        try:
            return bookable_instrument_get(pk=pk)
        except NotFound as exc:
            raise serializers.ValidationError(_("仪器不存在或已撤回。")) from exc

    def validate_booking(self, pk):
        if pk is None:
            return None
        booking = Booking.objects.filter(pk=pk, requester=self.context["request"].user).first()
        if booking is None:
            raise serializers.ValidationError(_("没有找到您的这条预约。"))
        return booking


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=2000, validators=[SEVERAL_LINES])


# --- Output -------------------------------------------------------------------------------


class _ClosureBrief(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.DateTimeField(source="period.lower")
    end = serializers.DateTimeField(source="period.upper")


class ProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.IntegerField(source="instrument_id")
    instrument_name = serializers.CharField(source="instrument.name")
    reporter = serializers.CharField(source="reporter.username")
    booking = serializers.IntegerField(source="booking_id", allow_null=True)
    severity = serializers.CharField()
    status = serializers.CharField()
    description = serializers.CharField()
    photo = serializers.SerializerMethodField()
    closure = _ClosureBrief(allow_null=True)
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField(
        source="resolved_by.username", default=None, allow_null=True
    )
    resolution = serializers.CharField()

    def get_photo(self, problem) -> str | None:
        return f"/api/problems/{problem.pk}/photo/" if problem.photo else None


class ProblemPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    results = ProblemSerializer(many=True)


def _detail(problem: ProblemReport) -> dict:
    problem = ProblemReport.objects.select_related(
        "instrument", "reporter", "resolved_by", "closure"
    ).get(pk=problem.pk)
    return ProblemSerializer(problem).data


# --- Views --------------------------------------------------------------------------------


class ProblemListCreateApi(APIView):
    """Signed in. GET: my reports and those on instruments I manage, newest first. POST
    (multipart, for the photo; JSON without one): report a problem on an instrument I used."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        summary="Problem reports I may see",
        operation_id="problems_list",
        parameters=[ProblemListQuerySerializer],
        responses=ProblemPageSerializer,
    )
    def get(self, request):
        data = query_params(ProblemListQuerySerializer, request)
        qs = problems_visible(user=request.user)
        if data.get("instrument"):
            qs = qs.filter(instrument_id=data["instrument"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        answer = keyset_answer(
            request,
            qs,
            keys=ORDER,
            scope=CURSOR_SCOPE,
            cursor=data.get("cursor"),
            size=data["page_size"],
            serialize=lambda rows: ProblemSerializer(rows, many=True).data,
        )
        return Response(answer)

    @extend_schema(
        summary="Report a problem on an instrument",
        operation_id="problems_create",
        request={"multipart/form-data": ProblemCreateSerializer},
        responses={
            201: ProblemSerializer,
            400: OpenApiResponse(description="Bad input or photo (error.rule names it)."),
            403: OpenApiResponse(description="Never used this instrument."),
        },
    )
    def post(self, request):
        payload = ProblemCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        problem = problem_services.problem_report(
            reporter=request.user,
            instrument=data["instrument"],
            severity=data["severity"],
            description=data["description"],
            photo=data.get("photo"),
            booking=data.get("booking"),
            expected_end=data.get("expected_end"),
        )
        return Response(_detail(problem), status=status.HTTP_201_CREATED)


class ProblemDetailApi(APIView):
    """Signed in: one report, to its reporter, the instrument's managers and administrators."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="One problem report", operation_id="problems_retrieve", responses=ProblemSerializer
    )
    def get(self, request, pk: int):
        return Response(_detail(problem_get(pk=pk, user=request.user)))


class ProblemResolveApi(ActionApi):
    """The instrument's managers and administrators record what was done; a breakdown ends
    now and the instrument's running status comes back."""

    input_serializer = ResolveSerializer

    @extend_schema(
        summary="Resolve a problem",
        operation_id="problems_resolve",
        request=ResolveSerializer,
        responses={
            200: ProblemSerializer,
            403: OpenApiResponse(description="Not a manager of the instrument."),
            404: OpenApiResponse(description="No such report visible to this person."),
            409: OpenApiResponse(description="Resolved already."),
        },
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def get_object(self, request, pk: int) -> ProblemReport:
        return problem_get(pk=pk, user=request.user)

    def act(self, request, problem, data):
        return problem_services.problem_resolve(
            problem=problem, by=request.user, resolution=data["resolution"]
        )

    def respond(self, request, obj) -> Response:
        return Response(_detail(obj))


class ProblemPhotoApi(APIView):
    """The photo of a report, to its reporter, the instrument's managers and administrators
    only, as an attachment that cannot run as a page of this site."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="The photo of a problem report",
        operation_id="problems_photo",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        problem = problem_get(pk=pk, user=request.user)
        if not problem.photo:
            raise NotFound(_("该报告没有照片。"))
        response = FileResponse(
            problem.photo.open("rb"),
            as_attachment=True,
            filename=f"problem-{problem.pk}{_suffix(problem.photo.name)}",
            content_type=problem_services.photo_content_type(problem.photo.name),
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


def _suffix(name: str) -> str:
    for suffix in (".png", ".webp", ".jpeg", ".jpg"):
        if name.lower().endswith(suffix):
            return suffix
    return ""
