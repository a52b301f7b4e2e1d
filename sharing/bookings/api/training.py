"""The training and qualification API: ask for training, schedule it, record the result;
grant, renew and revoke qualifications.

Who sees what is selectors_training's answer (the person, the instrument's managers,
administrators; anyone else 404); who may act is the service's rule (403), and a status that
does not allow the step is 409. Thin views: a serializer checks the shape of the input.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import bounds
from portal.accounts.models import User
from portal.api import keyset
from portal.api.cursors import CURSOR_HELP
from portal.api.pages import keyset_answer
from portal.api.query import query_params
from portal.api.serializers import ChoiceLabelField
from portal.api.views import ActionApi
from portal.errors import NotFound
from portal.text import ONE_LINE
from sharing.bookings.api.booking_serializers import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    InstrumentField,
)
from sharing.bookings.models import Qualification, TrainingRequest
from sharing.bookings.selectors import bookable_instrument_get
from sharing.bookings.selectors_training import (
    qualification_get,
    qualification_list,
    training_get,
    training_list,
)
from sharing.bookings.services import qualifications as qualification_services
from sharing.bookings.services import training as training_services

ORDER = (keyset.by_id(descending=True),)
ROLES = [
    ("all", _("我的和我管理的仪器的")),
    ("mine", _("我自己的")),
    ("manager", _("我管理的仪器的")),
]

# --- Input --------------------------------------------------------------------------------


def _instrument(pk: int):
    try:
        return bookable_instrument_get(pk=pk)
    except NotFound as exc:
        raise serializers.ValidationError(_("仪器不存在或已撤回。")) from exc


class TrainingCreateSerializer(serializers.Serializer):
    instrument = InstrumentField()
    message = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        validators=[ONE_LINE],
        help_text=_("给仪器管理员的说明（可选），如方便的时间。"),
    )

    def validate_instrument(self, pk):
        return _instrument(pk)


class TrainingScheduleSerializer(serializers.Serializer):
    when = bounds.DateTimeField(help_text=_("培训时间，ISO 8601；不带时区时按北京时间。"))
    place = serializers.CharField(max_length=200, validators=[ONE_LINE], help_text=_("培训地点。"))


class TrainingRecordSerializer(serializers.Serializer):
    passed = serializers.BooleanField(help_text=_("是否通过。"))
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )
    valid_until = bounds.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("通过时上机资格的有效期至（可选，默认一年）。"),
    )


class TrainingListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLES, default="all")
    instrument = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=TrainingRequest.Status.choices, required=False)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=200, help_text=CURSOR_HELP)


class QualificationListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLES, default="all")
    instrument = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=200, help_text=CURSOR_HELP)


class QualificationGrantSerializer(serializers.Serializer):
    instrument = InstrumentField()
    username = serializers.CharField(max_length=150, help_text=_("被授予者的用户名。"))
    valid_until = bounds.DateField(
        required=False, allow_null=True, default=None, help_text=_("有效期至（可选，默认一年）。")
    )
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )

    def validate_instrument(self, pk):
        return _instrument(pk)

    def validate_username(self, name):
        user = User.objects.filter(username=name, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(_("没有这个用户名的用户。"))
        return user


class QualificationRenewSerializer(serializers.Serializer):
    valid_until = bounds.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("新的有效期至（可选，默认一年）。"),
    )


class QualificationRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, validators=[ONE_LINE], help_text=_("撤销理由。"))


# --- Output -------------------------------------------------------------------------------


class _TrainingInstrument(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _Trainee(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    organisation = serializers.CharField(source="organisation.name", default=None)


class TrainingRequestSerializer(serializers.ModelSerializer):
    instrument = _TrainingInstrument()
    user = _Trainee()
    status_label = ChoiceLabelField("status")
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = TrainingRequest
        fields = [
            "id",
            "instrument",
            "user",
            "message",
            "status",
            "status_label",
            "scheduled_for",
            "place",
            "decided_by",
            "outcome_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class QualificationSerializer(serializers.ModelSerializer):
    instrument = _TrainingInstrument()
    user = _Trainee()
    granted_by = serializers.CharField(source="granted_by.username", default=None, allow_null=True)
    valid = serializers.SerializerMethodField(help_text=_("今天是否有效（未过期且未撤销）。"))

    class Meta:
        model = Qualification
        fields = [
            "id",
            "instrument",
            "user",
            "valid_until",
            "valid",
            "granted_by",
            "granted_at",
            "revoked_at",
            "note",
        ]
        read_only_fields = fields

    def get_valid(self, obj) -> bool:
        return obj.revoked_at is None and obj.valid_until >= timezone.localdate()


class TrainingPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = TrainingRequestSerializer(many=True)


class QualificationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = QualificationSerializer(many=True)


class TrainingResultSerializer(serializers.Serializer):
    training = TrainingRequestSerializer()
    qualification = QualificationSerializer(allow_null=True)


class RevokeResultSerializer(serializers.Serializer):
    qualification = QualificationSerializer()
    bookings_left = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("该用户在此仪器上仍待进行的预约编号：撤销不会自动取消，请管理员逐一处理。"),
    )


ERRORS = {
    400: OpenApiResponse(description="Bad input, or a rule is broken (error.rule)."),
    403: OpenApiResponse(description="Not allowed for this person."),
    404: OpenApiResponse(description="Not there for this person."),
    409: OpenApiResponse(description="The status does not allow it (error.rule)."),
}


# --- Training requests ----------------------------------------------------------------------


class TrainingListCreateApi(APIView):
    """Signed in. GET: my training requests and those on the instruments I manage
    (administrators: all); newest first, keyset pages. POST: ask for training."""

    @extend_schema(
        summary="Training requests I made or may decide",
        operation_id="training_requests_list",
        parameters=[TrainingListQuerySerializer],
        responses=TrainingPageSerializer,
    )
    def get(self, request):
        data = query_params(TrainingListQuerySerializer, request)
        qs = training_list(
            user=request.user,
            role=data["role"],
            instrument=data.get("instrument"),
            status=data.get("status"),
        )
        return Response(
            keyset_answer(
                request,
                qs,
                keys=ORDER,
                scope="training",
                cursor=data.get("cursor"),
                size=data["page_size"],
                serialize=lambda rows: TrainingRequestSerializer(rows, many=True).data,
            )
        )

    @extend_schema(
        summary="Ask for training on an instrument that requires a qualification",
        operation_id="training_requests_create",
        request=TrainingCreateSerializer,
        responses={201: TrainingRequestSerializer, **ERRORS},
    )
    def post(self, request):
        payload = TrainingCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        training = training_services.training_request(user=request.user, **payload.validated_data)
        return Response(TrainingRequestSerializer(training).data, status=status.HTTP_201_CREATED)


class TrainingDetailApi(APIView):
    @extend_schema(
        summary="One training request",
        operation_id="training_requests_retrieve",
        responses={200: TrainingRequestSerializer, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        return Response(TrainingRequestSerializer(training_get(pk=pk, user=request.user)).data)


class _TrainingActionApi(ActionApi):
    def get_object(self, request, pk: int) -> TrainingRequest:
        return training_get(pk=pk, user=request.user)

    def respond(self, request, obj) -> Response:
        return Response(TrainingRequestSerializer(obj).data)


class TrainingScheduleApi(_TrainingActionApi):
    """The instrument's managers set (or move) the time and place."""

    input_serializer = TrainingScheduleSerializer

    @extend_schema(
        summary="Schedule a training",
        operation_id="training_requests_schedule",
        request=TrainingScheduleSerializer,
        responses={200: TrainingRequestSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, training, data):
        return training_services.training_schedule(
            request=training, by=request.user, when=data["when"], place=data["place"]
        )


class TrainingRecordApi(_TrainingActionApi):
    """The instrument's managers record the result of a scheduled training; a pass grants (or
    renews) the qualification."""

    input_serializer = TrainingRecordSerializer

    @extend_schema(
        summary="Record a training's result",
        operation_id="training_requests_record",
        request=TrainingRecordSerializer,
        responses={200: TrainingResultSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, training, data):
        return training_services.training_record(request=training, by=request.user, **data)

    def respond(self, request, obj) -> Response:
        training, qualification = obj
        return Response(
            {
                "training": TrainingRequestSerializer(training).data,
                "qualification": (
                    QualificationSerializer(qualification).data if qualification else None
                ),
            }
        )


class TrainingCancelApi(_TrainingActionApi):
    """The person who asked withdraws an open request."""

    @extend_schema(
        summary="Cancel my training request",
        operation_id="training_requests_cancel",
        request=None,
        responses={200: TrainingRequestSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, training, data):
        return training_services.training_cancel(request=training, by=request.user)


# --- Qualifications -------------------------------------------------------------------------


class QualificationListCreateApi(APIView):
    """Signed in. GET: my qualifications and those on the instruments I manage
    (administrators: all), by instrument if asked. POST: a manager grants one."""

    @extend_schema(
        summary="Qualifications I hold or manage",
        operation_id="qualifications_list",
        parameters=[QualificationListQuerySerializer],
        responses=QualificationPageSerializer,
    )
    def get(self, request):
        data = query_params(QualificationListQuerySerializer, request)
        qs = qualification_list(
            user=request.user, role=data["role"], instrument=data.get("instrument")
        )
        return Response(
            keyset_answer(
                request,
                qs,
                keys=ORDER,
                scope="qualifications",
                cursor=data.get("cursor"),
                size=data["page_size"],
                serialize=lambda rows: QualificationSerializer(rows, many=True).data,
            )
        )

    @extend_schema(
        summary="Grant a qualification",
        operation_id="qualifications_create",
        request=QualificationGrantSerializer,
        responses={201: QualificationSerializer, **ERRORS},
    )
    def post(self, request):
        payload = QualificationGrantSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        qualification = qualification_services.qualification_grant(
            instrument=data["instrument"],
            user=data["username"],
            by=request.user,
            valid_until=data["valid_until"],
            note=data["note"],
        )
        return Response(QualificationSerializer(qualification).data, status=status.HTTP_201_CREATED)


class QualificationDetailApi(APIView):
    @extend_schema(
        summary="One qualification",
        operation_id="qualifications_retrieve",
        responses={200: QualificationSerializer, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        return Response(QualificationSerializer(qualification_get(pk=pk, user=request.user)).data)


class _QualificationActionApi(ActionApi):
    def get_object(self, request, pk: int) -> Qualification:
        return qualification_get(pk=pk, user=request.user)

    def respond(self, request, obj) -> Response:
        return Response(QualificationSerializer(obj).data)


class QualificationRenewApi(_QualificationActionApi):
    """The instrument's managers give a qualification a new expiry (clearing a revocation)."""

    input_serializer = QualificationRenewSerializer

    @extend_schema(
        summary="Renew a qualification",
        operation_id="qualifications_renew",
        request=QualificationRenewSerializer,
        responses={200: QualificationSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, qualification, data):
        return qualification_services.qualification_renew(
            qualification=qualification, by=request.user, valid_until=data["valid_until"]
        )


class QualificationRevokeApi(_QualificationActionApi):
    """The instrument's managers revoke a qualification with a reason. The person's bookings
    already made stay; their numbers come back in ``bookings_left`` for the manager to judge."""

    input_serializer = QualificationRevokeSerializer

    @extend_schema(
        summary="Revoke a qualification",
        operation_id="qualifications_revoke",
        request=QualificationRevokeSerializer,
        responses={200: RevokeResultSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, qualification, data):
        return qualification_services.qualification_revoke(
            qualification=qualification, by=request.user, reason=data["reason"]
        )

    def respond(self, request, obj) -> Response:
        qualification, left = obj
        return Response(
            {
                "qualification": QualificationSerializer(qualification).data,
                "bookings_left": [booking.pk for booking in left],
            }
        )
