"""The closures API: an instrument's closures (停用, 维护, 故障停机), adding one with a preview of
the bookings it falls on, and taking one back.

Anyone sees the periods (they already show as unavailable); the instrument's managers and
administrators also see the reasons and who set them, and alone may add or remove closures.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.serializers import ChoiceLabelField
from portal.errors import require
from portal.text import ONE_LINE
from sharing.bookings import rules
from sharing.bookings.api.booking_serializers import IntervalSerializer, RangeSerializer
from sharing.bookings.models import Blackout
from sharing.bookings.selectors import bookable_instrument_get
from sharing.bookings.selectors_facility import closure_get, closures_of
from sharing.bookings.services import closures as closure_services

# --- Input --------------------------------------------------------------------------------


class ClosureCreateSerializer(RangeSerializer):
    kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in closure_services.MANAGED_KINDS],
        default=Blackout.Kind.BLACKOUT,
        help_text=_("blackout：停用；maintenance：维护。故障停机由问题报告产生。"),
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )
    preview = serializers.BooleanField(
        required=False, default=False, help_text=_("为 true 时只列出受影响的预约，不保存。")
    )


# --- Output -------------------------------------------------------------------------------


class ClosureSerializer(serializers.Serializer):
    """What anyone sees of a closure."""

    id = serializers.IntegerField()
    start = serializers.DateTimeField(source="period.lower")
    end = serializers.DateTimeField(source="period.upper")
    kind = serializers.CharField()
    kind_label = ChoiceLabelField("kind")


class ManagedClosureSerializer(ClosureSerializer):
    """What the instrument's managers see besides."""

    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)


class AffectedSerializer(serializers.Serializer):
    booking = serializers.IntegerField(source="booking.pk")
    requester = serializers.CharField(source="booking.requester.username")
    start = serializers.DateTimeField(source="booking.start")
    end = serializers.DateTimeField(source="booking.end")
    status = serializers.CharField(source="booking.status")
    action = serializers.ChoiceField(
        choices=["cancelled", "told"],
        help_text=_("cancelled：预约取消并退回创新券；told：使用中的预约只通知、不取消。"),
    )
    offers = IntervalSerializer(
        many=True, source="offer_periods", help_text=_("向预约人提供的最近空闲时段。")
    )


class ClosurePreviewSerializer(serializers.Serializer):
    preview = serializers.BooleanField()
    affected = AffectedSerializer(many=True)


class ClosureCreatedSerializer(serializers.Serializer):
    closure = ManagedClosureSerializer()
    affected = AffectedSerializer(many=True)


# --- Views --------------------------------------------------------------------------------


class InstrumentClosuresApi(APIView):
    """GET (public): the closures still to end. POST (the instrument's managers and
    administrators): add one; with ``preview: true`` only list the bookings it falls on."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        summary="Closures of an instrument",
        operation_id="instruments_closures_list",
        responses=ManagedClosureSerializer(many=True),
        description="Reason and author only for the instrument's managers and administrators.",
    )
    def get(self, request, pk: int):
        instrument = bookable_instrument_get(pk=pk)
        rows = closures_of(instrument=instrument)
        managed = request.user.is_authenticated and rules.is_manager_of(
            user=request.user, instrument=instrument
        )
        serializer = ManagedClosureSerializer if managed else ClosureSerializer
        return Response(serializer(rows, many=True).data)

    @extend_schema(
        summary="Close an instrument for a period (or preview it)",
        operation_id="instruments_closures_create",
        request=ClosureCreateSerializer,
        responses={
            200: ClosurePreviewSerializer,
            201: ClosureCreatedSerializer,
            400: OpenApiResponse(description="Bad period (error.rule names it)."),
            403: OpenApiResponse(description="Not a manager of the instrument."),
            409: OpenApiResponse(description="Overlaps another closure (closure_overlap)."),
        },
    )
    def post(self, request, pk: int):
        instrument = bookable_instrument_get(pk=pk)
        require(rules.may_manage_instrument(user=request.user, instrument=instrument))
        payload = ClosureCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data["preview"]:
            affected = closure_services.closure_preview(
                instrument=instrument,
                by=request.user,
                start=data["start"],
                end=data["end"],
                kind=data["kind"],
            )
            return Response(
                {"preview": True, "affected": AffectedSerializer(affected, many=True).data}
            )
        closure, affected = closure_services.closure_create(
            instrument=instrument,
            by=request.user,
            start=data["start"],
            end=data["end"],
            kind=data["kind"],
            reason=data["reason"],
        )
        return Response(
            {
                "closure": ManagedClosureSerializer(closure).data,
                "affected": AffectedSerializer(affected, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )


class InstrumentClosureDetailApi(APIView):
    """DELETE (the instrument's managers and administrators): a closure still to come is
    removed (204); one under way ends now (200 with it). Past closures and breakdowns: 409."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Remove a closure, or end one under way",
        operation_id="instruments_closures_destroy",
        responses={
            200: ManagedClosureSerializer,
            204: None,
            403: OpenApiResponse(description="Not a manager of the instrument."),
            404: OpenApiResponse(description="No such closure of this instrument."),
            409: OpenApiResponse(description="Over already, or a breakdown."),
        },
    )
    def delete(self, request, pk: int, closure_id: int):
        instrument = bookable_instrument_get(pk=pk)
        require(rules.may_manage_instrument(user=request.user, instrument=instrument))
        closure = closure_get(instrument=instrument, pk=closure_id)
        ended = closure_services.closure_delete(closure=closure, by=request.user)
        if ended is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ManagedClosureSerializer(ended).data)
