"""Service-record exports (服务记录), CSV and XLSX, in the national platform's layout.

Who may export which instruments is decided in service_records.py; the views read the dates and
stream the file. Errors still leave as JSON whatever Accept says (JsonForErrors).
"""

from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from portal import bounds
from portal.api.query import query_params
from portal.api.views import JsonForErrors
from sharing.bookings.orders.records import order_records
from sharing.bookings.service_records import (
    EXPORT_MAX_ROWS,
    Viewer,
    csv_chunks,
    service_records,
    xlsx_file,
)


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
    content_negotiation_class = JsonForErrors
    extension = ""

    def _prepared(self, request):
        data = query_params(ServiceRecordQuerySerializer, request)
        bookings = service_records(
            user=request.user,
            date_from=data["from"],
            date_to=data["to"],
            instrument_id=data.get("instrument"),
        )
        filename = f"service-records-{data['from']:%Y%m%d}-{data['to']:%Y%m%d}.{self.extension}"
        viewer = Viewer.of(request.user)
        # Completed sample-testing orders (委托测试) follow the bookings in the same file.
        self.orders = order_records(
            sees_all=viewer.sees_all,
            managed=viewer.managed,
            date_from=data["from"],
            date_to=data["to"],
            instrument_id=data.get("instrument"),
        )
        return bookings, viewer, filename


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
            csv_chunks(bookings, viewer=viewer, orders=self.orders),
            content_type="text/csv; charset=utf-8",
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
            xlsx_file(bookings, viewer=viewer, orders=self.orders),
            as_attachment=True,
            filename=filename,
            content_type=self.media_type,
        )
        response["X-Export-Row-Limit"] = str(EXPORT_MAX_ROWS)
        return response
