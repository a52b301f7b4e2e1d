"""The manager's console in the API: an instrument's opening hours, booking policy, rates and
usage log (with its CSV and XLSX export).

Its managers and administrators only: an instrument that does not exist is 404, one that exists
but is not the caller's is 403 (selectors.managed_instrument_get asks
rules.may_manage_instrument, as the console's pages do). The services check every value; a
refusal names the field or the row of the week (error.fields) and writes nothing.
"""

import datetime

from django.db.models import F
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import bounds
from portal.api import keyset
from portal.api.cursors import CURSOR_HELP
from portal.api.pages import keyset_answer
from portal.api.query import query_params
from portal.api.views import ActionApi, JsonForErrors
from portal.text import ONE_LINE
from sharing.bookings import usage
from sharing.bookings.api.booking_serializers import BookingDetailSerializer
from sharing.bookings.availability import policy_for
from sharing.bookings.models import Booking
from sharing.bookings.selectors import booking_get, managed_instrument_get
from sharing.bookings.services import instrument_setup as setup
from sharing.bookings.services.usage import booking_adjust_usage
from sharing.catalogue.models import Instrument

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
USAGE_PAGE_SIZE = 50
USAGE_MAX_PAGE_SIZE = 200
# Newest use first, as the page and the export list them.
USAGE_ORDER = (
    keyset.SortKey("started", F("period__startswith"), descending=True, kind=datetime.datetime),
    keyset.by_id(descending=True),
)

_REFUSALS = {
    400: OpenApiResponse(description="A value or a combination is refused (error.fields)."),
    403: OpenApiResponse(description="Not a manager of this instrument."),
    404: OpenApiResponse(description="No such instrument."),
}


# --- Opening hours --------------------------------------------------------------------------


class HoursRowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text=_("0 = 星期一 … 6 = 星期日。"))
    opens = serializers.CharField(max_length=8, help_text=_("开放时间 HH:MM（北京时间）。"))
    closes = serializers.CharField(
        max_length=8, help_text=_("关闭时间 HH:MM；24:00 表示开放到午夜。")
    )


class HoursSerializer(serializers.Serializer):
    hours = HoursRowSerializer(
        many=True,
        max_length=7 * setup.MAX_INTERVALS_PER_DAY,
        help_text=_("一周的全部开放时段；保存时整体替换，空列表表示不开放。"),
    )


class HoursAnswerSerializer(HoursSerializer):
    instrument = serializers.IntegerField()
    slot_minutes = serializers.IntegerField(help_text=_("开放时间须落在该粒度的时段上。"))


def _hours_answer(instrument: Instrument) -> dict:
    return {
        "instrument": instrument.pk,
        "slot_minutes": policy_for(instrument).slot_minutes,
        "hours": [
            {
                "weekday": weekday,
                "opens": setup.time_text(opens),
                "closes": setup.time_text(closes, closing=True),
            }
            for weekday, opens, closes in setup.hours_of(instrument)
        ],
    }


class InstrumentHoursApi(APIView):
    """The instrument's weekly opening hours (Asia/Shanghai). PUT replaces the whole week at
    once; any bad row (weekday outside 0–6, opening not before closing, off the slot grid, two
    intervals of a day overlapping or touching) refuses all of it."""

    @extend_schema(
        summary="Opening hours of an instrument I manage",
        operation_id="instruments_hours_retrieve",
        responses={200: HoursAnswerSerializer, **_REFUSALS},
    )
    def get(self, request, pk: int):
        return Response(_hours_answer(managed_instrument_get(pk=pk, user=request.user)))

    @extend_schema(
        summary="Replace the opening hours of an instrument I manage",
        operation_id="instruments_hours_update",
        request=HoursSerializer,
        responses={200: HoursAnswerSerializer, **_REFUSALS},
    )
    def put(self, request, pk: int):
        instrument = managed_instrument_get(pk=pk, user=request.user)
        payload = HoursSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = [(r["weekday"], r["opens"], r["closes"]) for r in payload.validated_data["hours"]]
        setup.opening_hours_set(instrument=instrument, by=request.user, hours=rows)
        return Response(_hours_answer(instrument))


# --- Booking policy ---------------------------------------------------------------------------


def _bounded(name: str, help_text, **extra) -> serializers.IntegerField:
    low, high = setup.POLICY_NUMBERS[name]
    return serializers.IntegerField(min_value=low, max_value=high, help_text=help_text, **extra)


class PolicySerializer(serializers.Serializer):
    slot_minutes = _bounded("slot_minutes", _("时段粒度（分钟），须能整除一天。"))
    min_minutes = _bounded("min_minutes", _("最短预约（分钟）。"))
    max_minutes = _bounded("max_minutes", _("最长预约（分钟），不短于最短预约和一个时段。"))
    min_notice_minutes = _bounded("min_notice_minutes", _("最短提前（分钟）。"))
    max_advance_days = _bounded("max_advance_days", _("最远可约（天）。"))
    buffer_minutes = _bounded("buffer_minutes", _("前后间隔（分钟），对之后的新预约生效。"))
    weekly_quota_minutes = _bounded(
        "weekly_quota_minutes", _("每人每周限额（分钟）；null 表示不限。"), allow_null=True
    )
    closed_on_holidays = serializers.BooleanField(help_text=_("法定节假日不开放。"))
    qualification_required = serializers.BooleanField(help_text=_("需持有上机资格。"))
    walk_up_allowed = serializers.BooleanField(help_text=_("允许扫码现场直接上机。"))
    approval_required = serializers.BooleanField(help_text=_("预约需管理员审批。"))


def _policy_answer(instrument: Instrument) -> dict:
    policy = policy_for(instrument)
    answer = {name: getattr(policy, name) for name in (*setup.POLICY_NUMBERS, *setup.POLICY_FLAGS)}
    answer["approval_required"] = instrument.approval_required
    return answer


class InstrumentPolicyApi(APIView):
    """The instrument's booking rules. PATCH changes the fields given; each value and their
    combination (shortest ≤ longest, a slot that divides the day and fits the opening hours, a
    quota that admits one booking) is checked before anything is written."""

    @extend_schema(
        summary="Booking policy of an instrument I manage",
        operation_id="instruments_policy_retrieve",
        responses={200: PolicySerializer, **_REFUSALS},
    )
    def get(self, request, pk: int):
        return Response(_policy_answer(managed_instrument_get(pk=pk, user=request.user)))

    @extend_schema(
        summary="Change the booking policy of an instrument I manage",
        operation_id="instruments_policy_partial_update",
        request=PolicySerializer(partial=True),
        responses={200: PolicySerializer, **_REFUSALS},
    )
    def patch(self, request, pk: int):
        instrument = managed_instrument_get(pk=pk, user=request.user)
        payload = PolicySerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        fields = payload.validated_data
        setup.booking_policy_update(instrument=instrument, by=request.user, **fields)
        return Response(_policy_answer(managed_instrument_get(pk=pk, user=request.user)))


# --- Rates ----------------------------------------------------------------------------------


def _rate_field(help_text) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, required=False, help_text=help_text
    )


class RatesSerializer(serializers.Serializer):
    internal = _rate_field(_("本单位用户（元/小时），null 表示未定价。"))
    same_region = _rate_field(_("同地区用户（元/小时）。"))
    other_region = _rate_field(_("跨地区用户（元/小时）。"))
    firm = _rate_field(_("企业用户（元/小时）。"))


class RatesAnswerSerializer(RatesSerializer):
    fee_text = serializers.CharField(help_text=_("参考收费标准（目录中的文字，仅供对照）。"))


def _rates_answer(instrument: Instrument) -> dict:
    answer = {name: getattr(instrument, column) for name, column in setup.RATE_FIELDS.items()}
    answer["fee_text"] = instrument.fee_text
    return RatesAnswerSerializer(answer).data


class InstrumentRatesApi(APIView):
    """The instrument's hourly rates per user category (元/小时, 0 to 100000). PATCH changes
    those given; new bookings are priced by them, booked ones keep their price."""

    @extend_schema(
        summary="Rates of an instrument I manage",
        operation_id="instruments_rates_retrieve",
        responses={200: RatesAnswerSerializer, **_REFUSALS},
    )
    def get(self, request, pk: int):
        return Response(_rates_answer(managed_instrument_get(pk=pk, user=request.user)))

    @extend_schema(
        summary="Change the rates of an instrument I manage",
        operation_id="instruments_rates_partial_update",
        request=RatesSerializer,
        responses={200: RatesAnswerSerializer, **_REFUSALS},
    )
    def patch(self, request, pk: int):
        instrument = managed_instrument_get(pk=pk, user=request.user)
        payload = RatesSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rates = {name: getattr(instrument, column) for name, column in setup.RATE_FIELDS.items()}
        rates.update(payload.validated_data)
        instrument = setup.instrument_rates_update(instrument=instrument, by=request.user, **rates)
        return Response(_rates_answer(instrument))


# --- Usage log ------------------------------------------------------------------------------


class UsageQuerySerializer(serializers.Serializer):
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=USAGE_MAX_PAGE_SIZE, default=USAGE_PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=200, help_text=CURSOR_HELP)


class UsageEntrySerializer(serializers.Serializer):
    booking = serializers.IntegerField()
    person = serializers.CharField()
    organisation = serializers.CharField()
    status = serializers.CharField()
    booked_start = serializers.DateTimeField()
    booked_end = serializers.DateTimeField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True)
    minutes = serializers.IntegerField(allow_null=True, help_text=_("上机到下机的分钟数。"))
    charge = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    voucher_paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("创新券抵扣（扣除退回）。")
    )
    checkout_forgotten = serializers.BooleanField(help_text=_("未签退，由系统按预约结束签退。"))
    walk_up = serializers.BooleanField()


class UsagePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = UsageEntrySerializer(many=True)


class InstrumentUsageApi(APIView):
    """The instrument's usage log: sessions used (completed or checked in now), newest first,
    in keyset pages (follow ``next``)."""

    @extend_schema(
        summary="Usage log of an instrument I manage",
        operation_id="instruments_usage_list",
        parameters=[UsageQuerySerializer],
        responses={200: UsagePageSerializer, **_REFUSALS},
    )
    def get(self, request, pk: int):
        instrument = managed_instrument_get(pk=pk, user=request.user)
        data = query_params(UsageQuerySerializer, request)
        answer = keyset_answer(
            request,
            usage.usage_log(instrument=instrument),
            keys=USAGE_ORDER,
            scope=f"usage-{instrument.pk}",
            cursor=data.get("cursor"),
            size=data["page_size"],
            serialize=lambda rows: (
                UsageEntrySerializer([usage.entry(b, reveal=True) for b in rows], many=True).data
            ),
        )
        return Response(answer)


class _UsageExportApi(APIView):
    content_negotiation_class = JsonForErrors

    def _instrument(self, request, pk: int) -> Instrument:
        return managed_instrument_get(pk=pk, user=request.user)


class InstrumentUsageCsvApi(_UsageExportApi):
    """The whole usage log as CSV (UTF-8 with a BOM, Chinese headers), streamed."""

    @extend_schema(
        summary="Export the usage log of an instrument I manage as CSV",
        operation_id="instruments_usage_export_csv",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR), **_REFUSALS},
    )
    def get(self, request, pk: int):
        instrument = self._instrument(request, pk)
        response = StreamingHttpResponse(
            usage.usage_csv(instrument=instrument, reveal=True),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="usage-{instrument.pk}.csv"'
        response["X-Export-Row-Limit"] = str(usage.EXPORT_MAX_ROWS)
        return response


class InstrumentUsageXlsxApi(_UsageExportApi):
    """The whole usage log as an XLSX workbook (cells guarded against formulas)."""

    @extend_schema(
        summary="Export the usage log of an instrument I manage as XLSX",
        operation_id="instruments_usage_export_xlsx",
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY), **_REFUSALS},
    )
    def get(self, request, pk: int):
        instrument = self._instrument(request, pk)
        response = FileResponse(
            usage.usage_xlsx(instrument=instrument, reveal=True),
            as_attachment=True,
            filename=f"usage-{instrument.pk}.xlsx",
            content_type=XLSX,
        )
        response["X-Export-Row-Limit"] = str(usage.EXPORT_MAX_ROWS)
        return response


# --- Correcting a forgotten check-out ---------------------------------------------------------


class AdjustUsageSerializer(serializers.Serializer):
    checked_in_at = bounds.DateTimeField(help_text=_("实际上机时间，ISO 8601。"))
    checked_out_at = bounds.DateTimeField(help_text=_("实际下机时间，ISO 8601。"))
    charge = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        required=False,
        help_text=_("实际费用（元）；不填则按实际时间计费。"),
    )
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, validators=[ONE_LINE]
    )


class BookingAdjustUsageApi(ActionApi):
    """A manager of the instrument (not its user) corrects a session beat closed because nobody
    checked out: the real times and, if needed, a lower charge; once."""

    input_serializer = AdjustUsageSerializer

    def get_object(self, request, pk: int) -> Booking:
        return booking_get(pk=pk, user=request.user)

    def act(self, request, obj, data):
        return booking_adjust_usage(booking=obj, by=request.user, **data)

    def respond(self, request, obj) -> Response:
        booking = (
            Booking.objects.prefetch_related("transitions__by")
            .select_related("instrument__region", "requester__organisation")
            .get(pk=obj.pk)
        )
        return Response(BookingDetailSerializer(booking).data)

    @extend_schema(
        summary="Correct a forgotten check-out",
        operation_id="bookings_adjust_usage",
        request=AdjustUsageSerializer,
        responses={
            200: BookingDetailSerializer,
            400: OpenApiResponse(description="Times or charge refused (error.fields)."),
            403: OpenApiResponse(description="Not another manager of this instrument."),
            404: OpenApiResponse(description="No such booking visible to this person."),
            409: OpenApiResponse(description="Not a forgotten check-out (any more)."),
        },
    )
    def post(self, request, pk: int):
        return super().post(request, pk)
