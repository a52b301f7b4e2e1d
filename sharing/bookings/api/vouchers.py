"""Vouchers, sharing indicators and service-record exports: thin views over the selectors.

Who may see what is decided in the selectors (vouchers.py, indicators.py, service_records.py);
the views only read parameters and shape the answer. Errors leave in the portal's one shape.
"""

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import bounds
from sharing.bookings.indicators import LEVELS, indicators_for_user, yearly_base_hours
from sharing.bookings.models import Voucher, VoucherEntry
from sharing.bookings.service_records import (
    EXPORT_MAX_ROWS,
    Viewer,
    csv_chunks,
    service_records,
    xlsx_file,
)
from sharing.bookings.vouchers import (
    voucher_get,
    voucher_ledger,
    voucher_list,
    voucher_today_valid,
)
from sharing.catalogue.api import _JsonForErrors

# --- Vouchers ----------------------------------------------------------------------------------


class _RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    adcode = serializers.CharField()
    name = serializers.CharField()


class _NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class VoucherSerializer(serializers.ModelSerializer):
    issuing_region = _RegionSerializer()
    organisation = _NamedSerializer()
    accepted_in = _RegionSerializer(many=True)
    valid_today = serializers.SerializerMethodField(help_text=_("今天（北京时间）是否在有效期内。"))
    redeemed = serializers.DecimalField(
        14, 2, read_only=True, help_text=_("累计抵扣（元），未扣除退回。")
    )
    refunded = serializers.DecimalField(14, 2, read_only=True, help_text=_("累计退回（元）。"))
    entry_count = serializers.IntegerField(read_only=True, help_text=_("流水笔数。"))

    class Meta:
        model = Voucher
        fields = [
            "id",
            "code",
            "issuing_region",
            "organisation",
            "amount",
            "balance",
            "valid_from",
            "valid_until",
            "valid_today",
            "accepted_in",
            "redeemed",
            "refunded",
            "entry_count",
        ]
        read_only_fields = fields

    def get_valid_today(self, voucher: Voucher) -> bool:
        return voucher_today_valid(voucher)


class VoucherEntrySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    booking = serializers.IntegerField(source="booking_id")
    instrument = _NamedSerializer(source="booking.instrument")
    booking_start = serializers.DateTimeField(source="booking.start")

    class Meta:
        model = VoucherEntry
        fields = [
            "id",
            "kind",
            "kind_label",
            "amount",
            "booking",
            "instrument",
            "booking_start",
            "created_at",
        ]
        read_only_fields = fields


class VoucherDetailSerializer(VoucherSerializer):
    ledger = serializers.SerializerMethodField()

    class Meta(VoucherSerializer.Meta):
        fields = [*VoucherSerializer.Meta.fields, "ledger"]
        read_only_fields = fields

    @extend_schema_field(VoucherEntrySerializer(many=True))
    def get_ledger(self, voucher: Voucher) -> list[dict]:
        return VoucherEntrySerializer(voucher_ledger(voucher=voucher), many=True).data


class VoucherListApi(ListAPIView):
    """Signed in: the vouchers of my organisation (all of them for coordinators and
    administrators), with balance and ledger totals. Paginated (``page``)."""

    serializer_class = VoucherSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Voucher.objects.none()
        return voucher_list(user=self.request.user)

    @extend_schema(summary="My organisation's innovation vouchers", operation_id="vouchers_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class VoucherDetailApi(APIView):
    """Signed in: one voucher of my organisation with its ledger; 404 for anyone else's."""

    @extend_schema(
        summary="One innovation voucher with its ledger",
        operation_id="vouchers_retrieve",
        responses=VoucherDetailSerializer,
    )
    def get(self, request, pk: int):
        voucher = voucher_get(pk=pk, user=request.user)
        return Response(VoucherDetailSerializer(voucher).data)


# --- Indicators --------------------------------------------------------------------------------


class IndicatorQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=list(LEVELS), help_text=_("统计层级：instrument、platform、organisation、region。")
    )
    year = serializers.IntegerField(
        min_value=bounds.FIRST_DAY.year,
        max_value=bounds.LAST_DAY.year,
        required=False,
        help_text=_("年度（北京时间自然年），默认今年。"),
    )


class IndicatorRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(help_text=_("该层级对象（仪器、平台、单位或地区）的编号。"))
    name = serializers.CharField()
    bookings = serializers.IntegerField(help_text=_("计入的已完成预约数。"))
    instruments = serializers.IntegerField(help_text=_("该组仪器台数（利用率的分母）。"))
    effective_hours = serializers.DecimalField(12, 2, help_text=_("有效工作机时。"))
    external_hours = serializers.DecimalField(12, 2, help_text=_("对外服务机时。"))
    cross_region_hours = serializers.DecimalField(12, 2, help_text=_("跨地区服务机时。"))
    share_rate = serializers.DecimalField(
        8, 4, allow_null=True, help_text=_("共享率 = 对外服务机时 ÷ 有效工作机时。")
    )
    utilisation = serializers.DecimalField(
        8, 4, allow_null=True, help_text=_("利用率 = 有效工作机时 ÷（年基准机时 × 台数）。")
    )


class IndicatorsSerializer(serializers.Serializer):
    level = serializers.CharField()
    year = serializers.IntegerField()
    base_hours = serializers.DecimalField(8, 1, help_text=_("每台仪器的年基准机时。"))
    results = IndicatorRowSerializer(many=True)


class IndicatorsApi(APIView):
    """Coordinators and administrators, every level; instrument managers, the instrument level
    for their own instruments. One SQL statement per call."""

    @extend_schema(
        summary="Sharing indicators for a year",
        operation_id="indicators_list",
        parameters=[IndicatorQuerySerializer],
        responses=IndicatorsSerializer,
    )
    def get(self, request):
        params = IndicatorQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        level = params.validated_data["level"]
        year = params.validated_data.get("year") or timezone.localdate().year
        rows = indicators_for_user(user=request.user, level=level, year=year)
        body = {"level": level, "year": year, "base_hours": yearly_base_hours(), "results": rows}
        return Response(IndicatorsSerializer(body).data)


# --- Service records -----------------------------------------------------------------------------


class ServiceRecordQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword: declared below under its query-string name.
    # Bounded to 2000–2099 (portal.bounds): the day after 9999-12-31 does not exist.
    to = bounds.DateField(help_text=_("截止日期（含），YYYY-MM-DD。"))
    instrument = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text=_("只导出这台仪器。")
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = bounds.DateField(help_text=_("起始日期（含），YYYY-MM-DD。"))
        return fields


class _ServiceRecordExportApi(APIView):
    content_negotiation_class = _JsonForErrors
    extension = ""

    def _prepared(self, request):
        params = ServiceRecordQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        bookings = service_records(
            user=request.user,
            date_from=data["from"],
            date_to=data["to"],
            instrument_id=data.get("instrument"),
        )
        filename = f"service-records-{data['from']:%Y%m%d}-{data['to']:%Y%m%d}.{self.extension}"
        return bookings, Viewer.of(request.user), filename


class ServiceRecordCsvExportApi(_ServiceRecordExportApi):
    """Instrument managers (their instruments), coordinators, administrators: completed
    bookings in the national service-record layout, CSV in UTF-8 with BOM, streamed; at most
    EXPORT_MAX_ROWS rows."""

    extension = "csv"

    @extend_schema(
        summary="Export service records as CSV",
        operation_id="service_records_export_csv",
        parameters=[ServiceRecordQuerySerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request):
        bookings, viewer, filename = self._prepared(request)
        response = StreamingHttpResponse(
            csv_chunks(bookings, viewer=viewer), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Export-Row-Limit"] = str(EXPORT_MAX_ROWS)
        return response


class ServiceRecordXlsxExportApi(_ServiceRecordExportApi):
    """As the CSV export, as an XLSX workbook built in openpyxl's write-only mode."""

    extension = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    @extend_schema(
        summary="Export service records as XLSX",
        operation_id="service_records_export_xlsx",
        parameters=[ServiceRecordQuerySerializer],
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY)
        },
    )
    def get(self, request):
        bookings, viewer, filename = self._prepared(request)
        response = FileResponse(
            xlsx_file(bookings, viewer=viewer),
            as_attachment=True,
            filename=filename,
            content_type=self.media_type,
        )
        response["X-Export-Row-Limit"] = str(EXPORT_MAX_ROWS)
        return response
