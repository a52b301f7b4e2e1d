"""The booking API: availability, bookings and their actions, series, waitlist.

Thin views: a serializer checks the shape of the input, a service or selector does the work,
portal.errors turns domain errors and constraint violations into the one error shape. Times
come in as ISO 8601 (without an offset they are read as Asia/Shanghai) and go out with +08:00.
"""

import datetime

from django.core import signing
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from portal import bounds
from portal.errors import NotFound
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.bookings import services
from sharing.bookings.availability import availability
from sharing.bookings.models import Booking
from sharing.bookings.selectors import (
    bookable_instrument_get,
    booking_get,
    booking_list,
    booking_page,
)

AVAILABILITY_MAX_DAYS = 62
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_CURSOR_SALT = "bookings.list.cursor"
_BIGINT_MAX = 2**63 - 1


# --- Input --------------------------------------------------------------------------------


class RangeSerializer(serializers.Serializer):
    # Bounded to 2000–2099 (portal.bounds): far-off years overflow the arithmetic behind.
    start = bounds.DateTimeField(help_text=_("开始时间，ISO 8601；不带时区时按北京时间。"))
    end = bounds.DateTimeField(help_text=_("结束时间（不含），ISO 8601。"))

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("结束时间须晚于开始时间。")]})
        return attrs


class AvailabilityQuerySerializer(RangeSerializer):
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["end"] - attrs["start"] > datetime.timedelta(days=AVAILABILITY_MAX_DAYS):
            raise serializers.ValidationError({"end": [_("查询范围不能超过 62 天。")]})
        return attrs


def InstrumentField():  # reads as a field in the serializers below
    return serializers.IntegerField(min_value=1, max_value=_BIGINT_MAX, help_text=_("仪器编号。"))


class _InstrumentMixin:
    def validate_instrument(self, pk):
        try:
            return bookable_instrument_get(pk=pk)
        except NotFound as exc:
            raise serializers.ValidationError(_("仪器不存在或已撤回。")) from exc


class BookingCreateSerializer(_InstrumentMixin, RangeSerializer):
    instrument = InstrumentField()
    purpose = serializers.CharField(
        max_length=300, validators=[ONE_LINE], help_text=_("用途，如测试内容。")
    )
    sample_notes = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", validators=[SEVERAL_LINES]
    )
    voucher = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=_BIGINT_MAX,
        help_text=_("所用科技创新券的编号（可选）。"),
    )

    def validate_voucher(self, pk):
        if pk is None:
            return None
        from sharing.bookings.vouchers import voucher_get

        try:
            return voucher_get(pk=pk, user=self.context["request"].user)
        except NotFound as exc:
            raise serializers.ValidationError(_("没有找到这张创新券。")) from exc


class BookingSeriesCreateSerializer(BookingCreateSerializer):
    weeks = serializers.IntegerField(
        min_value=1, max_value=52, help_text=_("每周重复的次数（含第一次），1–52。")
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )


class BookingListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[("mine", _("我的预约")), ("manager", _("我管理的仪器的预约"))],
        default="mine",
        help_text=_("mine：我的预约；manager：我管理的仪器上的预约。"),
    )
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(
        required=False, max_length=200, help_text=_("上一页响应中 next 链接携带的游标。")
    )


class WaitlistCreateSerializer(_InstrumentMixin, RangeSerializer):
    instrument = InstrumentField()


# --- Output -------------------------------------------------------------------------------


class IntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class _InstrumentBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField(source="region.code")


class _PersonBrief(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name", default=None)


class TransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    by = serializers.CharField(source="by.username", default=None)
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class BookingSerializer(serializers.ModelSerializer):
    instrument = _InstrumentBrief()
    requester = _PersonBrief()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status_label = serializers.CharField(source="get_status_display")
    rate_category_label = serializers.CharField(source="get_rate_category_display")

    class Meta:
        model = Booking
        fields = [
            "id",
            "instrument",
            "requester",
            "start",
            "end",
            "status",
            "status_label",
            "purpose",
            "sample_notes",
            "series",
            "cross_region",
            "rate_category",
            "rate_category_label",
            "hourly_rate",
            "fee_estimate",
            "charge",
            "checked_in_at",
            "checked_out_at",
            "created_at",
        ]
        read_only_fields = fields


class BookingDetailSerializer(BookingSerializer):
    transitions = TransitionSerializer(many=True)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "transitions"]
        read_only_fields = fields


class BookingPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = BookingSerializer(many=True)


class OccurrenceSerializer(serializers.Serializer):
    date = serializers.DateField()
    ok = serializers.BooleanField()
    booking = BookingSerializer(allow_null=True)
    error = serializers.DictField(
        allow_null=True, help_text=_("未成功时的原因：code、rule、message。")
    )


class SeriesResultSerializer(serializers.Serializer):
    series = serializers.IntegerField()
    occurrences = OccurrenceSerializer(many=True)


class WaitlistEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.IntegerField(source="instrument_id")
    start = serializers.DateTimeField(source="period.lower")
    end = serializers.DateTimeField(source="period.upper")
    created_at = serializers.DateTimeField()


def _detail(booking: Booking) -> dict:
    booking = (
        Booking.objects.prefetch_related("transitions__by")
        .select_related("instrument__region", "requester__organisation")
        .get(pk=booking.pk)
    )
    return BookingDetailSerializer(booking).data


# --- Views --------------------------------------------------------------------------------


class InstrumentAvailabilityApi(APIView):
    """Public (AllowAny): an instrument's free time in [start, end), at most 62 days, after
    opening hours, holidays and 调休, blackouts, bookings with their buffer, minimum notice and
    how far ahead. Per-person rules (qualification, quota) are checked when booking."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Free time of an instrument",
        operation_id="instruments_availability",
        parameters=[AvailabilityQuerySerializer],
        responses=IntervalSerializer(many=True),
    )
    def get(self, request, pk: int):
        params = AvailabilityQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        instrument = bookable_instrument_get(pk=pk)
        free = availability(
            instrument=instrument,
            start=params.validated_data["start"],
            end=params.validated_data["end"],
        )
        return Response([{"start": a.isoformat(), "end": b.isoformat()} for a, b in free])


def _cursor_decode(token: str) -> int:
    try:
        value = signing.loads(token, salt=_CURSOR_SALT)
    except signing.BadSignature as exc:
        raise serializers.ValidationError(
            {"cursor": [_("翻页游标无效或已失效，请从第一页重新开始。")]}
        ) from exc
    if not isinstance(value, int) or isinstance(value, bool):
        raise serializers.ValidationError(
            {"cursor": [_("翻页游标无效或已失效，请从第一页重新开始。")]}
        )
    return value


class BookingListCreateApi(APIView):
    """Signed in. GET: my bookings, or with role=manager those on the instruments I manage;
    newest first, keyset pages (follow ``next``), no count. POST: book."""

    @extend_schema(
        summary="My bookings, or those on instruments I manage",
        operation_id="bookings_list",
        parameters=[BookingListQuerySerializer],
        responses=BookingPageSerializer,
    )
    def get(self, request):
        params = BookingListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        after = _cursor_decode(data["cursor"]) if data.get("cursor") else None
        qs = booking_list(user=request.user, role=data["role"], status=data.get("status"))
        rows, last = booking_page(qs, after=after, size=data["page_size"])
        next_url = None
        if last is not None:
            next_url = replace_query_param(
                request.build_absolute_uri(), "cursor", signing.dumps(last, salt=_CURSOR_SALT)
            )
        return Response({"next": next_url, "results": BookingSerializer(rows, many=True).data})

    @extend_schema(
        summary="Book an instrument",
        operation_id="bookings_create",
        request=BookingCreateSerializer,
        responses={
            201: BookingDetailSerializer,
            400: OpenApiResponse(description="A rule is broken; error.rule names it."),
            409: OpenApiResponse(description="The time is taken (error.rule = slot_taken)."),
        },
    )
    def post(self, request):
        payload = BookingCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        booking = services.booking_create(requester=request.user, **payload.validated_data)
        return Response(_detail(booking), status=status.HTTP_201_CREATED)


class BookingSeriesApi(APIView):
    """Signed in: the same time every week for ``weeks`` weeks; each occurrence is booked or
    refused on its own and the answer has a result per occurrence (201 even if some failed)."""

    @extend_schema(
        summary="Book a weekly series",
        operation_id="bookings_series_create",
        request=BookingSeriesCreateSerializer,
        responses={201: SeriesResultSerializer},
    )
    def post(self, request):
        payload = BookingSeriesCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        series, results = services.booking_series_create(
            requester=request.user,
            instrument=data["instrument"],
            first_start=data["start"],
            first_end=data["end"],
            weeks=data["weeks"],
            purpose=data["purpose"],
            sample_notes=data["sample_notes"],
            voucher=data.get("voucher"),
        )
        occurrences = []
        for day, outcome in results:
            ok = isinstance(outcome, Booking)
            occurrences.append(
                {
                    "date": day.isoformat(),
                    "ok": ok,
                    "booking": BookingSerializer(outcome).data if ok else None,
                    "error": None if ok else outcome,
                }
            )
        return Response(
            {"series": series.pk, "occurrences": occurrences}, status=status.HTTP_201_CREATED
        )


class BookingDetailApi(APIView):
    """Signed in: one booking, to its requester, the instrument's managers and administrators;
    to anyone else it does not exist (404)."""

    @extend_schema(
        summary="One booking with its history",
        operation_id="bookings_retrieve",
        responses=BookingDetailSerializer,
    )
    def get(self, request, pk: int):
        return Response(_detail(booking_get(pk=pk, user=request.user)))


class _BookingActionApi(APIView):
    """A status change on a booking the caller can see (others 404); the service decides
    whether the caller may do it (403) and whether the status allows it (409)."""

    takes_reason = True

    def act(self, booking: Booking, user, reason: str) -> Booking:
        raise NotImplementedError

    def post(self, request, pk: int):
        booking = booking_get(pk=pk, user=request.user)
        reason = ""
        if self.takes_reason:
            body = ReasonSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            reason = body.validated_data["reason"]
        booking = self.act(booking, request.user, reason)
        return Response(_detail(booking))


def _action_schema(summary: str, operation_id: str, takes_reason: bool = True):
    return extend_schema(
        summary=summary,
        operation_id=operation_id,
        request=ReasonSerializer if takes_reason else None,
        responses={
            200: BookingDetailSerializer,
            400: OpenApiResponse(description="A rule is broken (error.rule), e.g. too_early."),
            403: OpenApiResponse(description="Not allowed for this person."),
            404: OpenApiResponse(description="No such booking visible to this person."),
            409: OpenApiResponse(description="The booking's status does not allow it."),
        },
    )


class BookingApproveApi(_BookingActionApi):
    """The instrument's managers and administrators approve a request."""

    @_action_schema("Approve a request", "bookings_approve")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, booking, user, reason):
        return services.booking_approve(booking=booking, by=user, reason=reason)


class BookingRejectApi(_BookingActionApi):
    """The instrument's managers and administrators reject a request, with a reason."""

    @_action_schema("Reject a request", "bookings_reject")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, booking, user, reason):
        return services.booking_reject(booking=booking, by=user, reason=reason)


class BookingCancelApi(_BookingActionApi):
    """The requester or a manager cancels a requested or approved booking; any voucher amount
    goes back and people waiting for that time are told. Once an approved booking has started
    its requester may no longer cancel it (409, error.rule = already_started): it becomes a
    no-show, which keeps the voucher redemption."""

    @_action_schema("Cancel a booking", "bookings_cancel")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, booking, user, reason):
        return services.booking_cancel(booking=booking, by=user, reason=reason)


class BookingCheckInApi(_BookingActionApi):
    """The requester or a manager checks in, from 15 minutes before the start."""

    takes_reason = False

    @_action_schema("Check in", "bookings_check_in", takes_reason=False)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, booking, user, reason):
        return services.booking_check_in(booking=booking, by=user)


class BookingCheckOutApi(_BookingActionApi):
    """The requester or a manager checks out; the charge is fixed from the time used."""

    takes_reason = False

    @_action_schema("Check out", "bookings_check_out", takes_reason=False)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, booking, user, reason):
        return services.booking_check_out(booking=booking, by=user)


class WaitlistApi(APIView):
    """Signed in: wait for a taken time; told once when a booking overlapping it is cancelled,
    rejected, expires or is released as a no-show."""

    @extend_schema(
        summary="Join the waitlist for a taken time",
        operation_id="waitlist_create",
        request=WaitlistCreateSerializer,
        responses={201: WaitlistEntrySerializer},
    )
    def post(self, request):
        payload = WaitlistCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.waitlist_join(user=request.user, **payload.validated_data)
        return Response(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
