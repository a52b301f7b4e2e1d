"""The public instrument catalogue: search, detail and export."""

from decimal import Decimal

from django.db.models import F, FloatField, Func
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.cursors import CURSOR_HELP
from portal.api.lean import Lean
from portal.api.pages import keyset_answer
from portal.api.query import query_params
from portal.api.serializers import (
    ChoiceLabelField,
    LocationSerializer,
    NamedSerializer,
    RegionSerializer,
)
from portal.api.views import JsonForErrors
from sharing.catalogue import rules
from sharing.catalogue.export import LAYOUTS, csv_chunks, xlsx_file
from sharing.catalogue.models import Instrument
from sharing.catalogue.selectors import (
    ORDERINGS,
    contact_field,
    contact_value,
    cursor_scope,
    instrument_export_rows,
    instrument_get,
    instrument_page,
    instrument_search,
    ordering_keys,
)

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# An export is capped so a request ends in reasonable time; narrow the filters for more.
EXPORT_MAX_ROWS = 100_000
# Read from here by sharing.bookings.api_vouchers (and NamedSerializer and RegionSerializer by
# sharing.techmarket.api) until those import them from portal.api.
_JsonForErrors = JsonForErrors
_BIGINT_MAX = 2**63 - 1


# --- Input --------------------------------------------------------------------------------


class InstrumentFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("检索词：仪器名称、英文名称、型号、厂商、功能等，支持缩写如“电镜”“液质”。"),
    )
    category = serializers.RegexField(
        r"^[0-9]{2}(?:[0-9]{2}){0,2}$",
        required=False,
        help_text=_("设备分类编码前缀：2、4 或 6 位数字，如 01、0101、010102。"),
        error_messages={"invalid": _("分类编码应为 2、4 或 6 位数字。")},
    )
    region = serializers.RegexField(
        r"^(?:[a-z][a-z0-9_-]{0,31}|[0-9]{6})$",
        required=False,
        help_text=_("地区代号（mianyang、beibei）或行政区划代码（510700、500109）。"),
        error_messages={"invalid": _("地区应为地区代号或 6 位行政区划代码。")},
    )
    organisation = serializers.IntegerField(
        required=False, min_value=1, max_value=_BIGINT_MAX, help_text=_("所属单位编号。")
    )
    platform = serializers.IntegerField(
        required=False, min_value=1, max_value=_BIGINT_MAX, help_text=_("所属平台编号。")
    )
    sharing_mode = serializers.ChoiceField(
        choices=Instrument.SharingMode.choices, required=False, help_text=_("共享模式。")
    )
    status = serializers.ChoiceField(
        choices=Instrument.RunningStatus.choices, required=False, help_text=_("运行状态。")
    )
    max_rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text=_("适用于当前用户的每小时费率上限（元）；未设该费率的仪器不计入。"),
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS),
        required=False,
        help_text=_("排序：有检索词时默认 relevance（相关度），否则默认 id。"),
    )

    def validate(self, attrs):
        attrs["q"] = (attrs.get("q") or "").strip() or None
        if attrs.get("ordering") == "relevance" and not attrs["q"]:
            raise serializers.ValidationError({"ordering": [_("按相关度排序需要检索词。")]})
        attrs.setdefault("ordering", "relevance" if attrs["q"] else "id")
        return attrs


class InstrumentListQuerySerializer(InstrumentFilterSerializer):
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=1000, help_text=CURSOR_HELP)


class InstrumentExportQuerySerializer(InstrumentFilterSerializer):
    layout = serializers.ChoiceField(
        choices=list(LAYOUTS),
        default="portal",
        help_text=_("portal：门户字段；national：国家平台单台套仪器字段与表头，可再导入。"),
    )


def _filters(data: dict) -> dict:
    names = (
        "q",
        "category",
        "region",
        "organisation",
        "platform",
        "sharing_mode",
        "status",
        "max_rate",
    )
    return {name: data.get(name) for name in names}


# --- Output -------------------------------------------------------------------------------


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class RatesSerializer(serializers.Serializer):
    internal = serializers.DecimalField(10, 2, source="rate_internal", allow_null=True)
    same_region = serializers.DecimalField(10, 2, source="rate_same_region", allow_null=True)
    other_region = serializers.DecimalField(10, 2, source="rate_other_region", allow_null=True)
    firm = serializers.DecimalField(10, 2, source="rate_firm", allow_null=True)
    applicable = serializers.DecimalField(
        10,
        2,
        source="applicable_rate",
        allow_null=True,
        help_text=_("适用于当前用户的费率（元/小时）。"),
    )


class InstrumentSerializer(serializers.ModelSerializer):
    """Every field of the national record plus rates. Contact name, phone and e-mail are masked
    unless the context says the reader is signed in."""

    category = CategorySerializer()
    # Declared, not generated: a read-only model field loses blank=True, and the schema must
    # allow the empty string these two hold when the feed did not give them.
    purpose = serializers.ChoiceField(
        choices=Instrument.Purpose.choices,
        allow_blank=True,
        read_only=True,
        label=Instrument._meta.get_field("purpose").verbose_name,
    )
    booking_url = serializers.URLField(
        allow_blank=True,
        read_only=True,
        label=Instrument._meta.get_field("booking_url").verbose_name,
    )
    purpose_label = ChoiceLabelField("purpose")
    running_status_label = ChoiceLabelField("running_status")
    sharing_mode_label = ChoiceLabelField("sharing_mode")
    organisation = NamedSerializer()
    platform = NamedSerializer(allow_null=True)
    region = RegionSerializer()
    location = serializers.SerializerMethodField()
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    contact_email = serializers.SerializerMethodField()
    rates = RatesSerializer(source="*")

    class Meta:
        model = Instrument
        fields = [
            "id",
            "internal_code",
            "name",
            "name_en",
            "category_code",
            "category",
            "purpose",
            "purpose_label",
            "model",
            "manufacturer",
            "country",
            "original_value",
            "in_service_date",
            "specifications",
            "functions",
            "disciplines",
            "services",
            "fee_text",
            "running_status",
            "running_status_label",
            "sharing_mode",
            "sharing_mode_label",
            "organisation",
            "platform",
            "region",
            "address",
            "location",
            "contact_name",
            "contact_phone",
            "contact_email",
            "booking_url",
            "annual_running_hours",
            "annual_service_hours",
            "rates",
            "approval_required",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LocationSerializer(allow_null=True))
    def get_location(self, instrument: Instrument) -> dict | None:
        point = instrument.location
        return {"lon": point.x, "lat": point.y} if point else None

    def _mask(self) -> bool:
        return self.context.get("mask_contacts", True)

    def get_contact_name(self, instrument: Instrument) -> str:
        return contact_field(instrument, "contact_name", masked=self._mask())

    def get_contact_phone(self, instrument: Instrument) -> str:
        return contact_field(instrument, "contact_phone", masked=self._mask())

    def get_contact_email(self, instrument: Instrument) -> str:
        return contact_field(instrument, "contact_email", masked=self._mask())


class InstrumentPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text=_("下一页地址；没有更多结果时为 null。"))
    results = InstrumentSerializer(many=True)


def _context(request) -> dict:
    return {"request": request, "mask_contacts": not rules.may_see_contacts(request.user)}


def _lean_location(row: dict, context: dict) -> dict | None:
    lon = row["location_lon"]
    return None if lon is None else {"lon": lon, "lat": row["location_lat"]}


def _lean_contact(name: str):
    def read(row: dict, context: dict) -> str:
        return contact_value(row[name], name, masked=context.get("mask_contacts", True))

    return ((name,), read)


# The list's rows as dicts (portal.api.lean): what InstrumentSerializer answers, without making
# five model instances a row. ST_X/ST_Y give the point's doubles as GEOS's x and y do.
INSTRUMENT_LEAN = Lean(
    InstrumentSerializer,
    model=Instrument,
    annotations={
        "location_lon": Func(F("location"), function="ST_X", output_field=FloatField()),
        "location_lat": Func(F("location"), function="ST_Y", output_field=FloatField()),
    },
    methods={
        "location": (("location_lon", "location_lat"), _lean_location),
        "contact_name": _lean_contact("contact_name"),
        "contact_phone": _lean_contact("contact_phone"),
        "contact_email": _lean_contact("contact_email"),
    },
)


# --- Views --------------------------------------------------------------------------------


class InstrumentListApi(APIView):
    """Public (AllowAny): anyone may search the catalogue; contacts are masked for anonymous
    visitors. Keyset pages, no counting: follow ``next`` until it is null."""

    replica_ok = True  # a read that may lag (portal/replicas.py)

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Search instruments",
        operation_id="instruments_list",
        parameters=[InstrumentListQuerySerializer],
        responses=InstrumentPageSerializer,
    )
    def get(self, request):
        data = query_params(InstrumentListQuerySerializer, request)
        ordering = data["ordering"]
        qs = instrument_search(user=request.user, **_filters(data))
        # The page's sort keys ride along (a cursor is made of the last row's): the rank is
        # annotated before the columns are chosen, the other keys after.
        extra = ["rank"] if data["q"] else []
        answer = keyset_answer(
            request,
            qs,
            keys=ordering_keys(ordering),
            scope=cursor_scope(ordering),
            cursor=data.get("cursor"),
            size=data["page_size"],
            serialize=lambda rows: INSTRUMENT_LEAN.represent(rows, context=_context(request)),
            page=lambda qs, *, keys, after, size: instrument_page(
                qs,
                ordering=ordering,
                after=after,
                size=size,
                q=data["q"],
                columns=lambda qs: INSTRUMENT_LEAN.queryset(qs, extra=extra),
            ),
        )
        return Response(answer)


class InstrumentDetailApi(APIView):
    """Public (AllowAny): one instrument on offer; contacts masked for anonymous visitors."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="One instrument",
        operation_id="instruments_retrieve",
        responses=InstrumentSerializer,
    )
    def get(self, request, pk: int):
        instrument = instrument_get(pk=pk, user=request.user)
        return Response(InstrumentSerializer(instrument, context=_context(request)).data)


class _ExportApi(APIView):
    permission_classes = [permissions.AllowAny]
    content_negotiation_class = JsonForErrors
    extension = ""

    def _prepared(self, request):
        data = query_params(InstrumentExportQuerySerializer, request)
        qs = instrument_search(user=request.user, **_filters(data))
        rows = instrument_export_rows(qs, ordering=data["ordering"], limit=EXPORT_MAX_ROWS)
        return rows, data["layout"], not rules.may_see_contacts(request.user)

    def _filename(self) -> str:
        return f"instruments-{timezone.localdate().isoformat()}.{self.extension}"

    def _headers(self, response):
        response["X-Export-Row-Limit"] = str(EXPORT_MAX_ROWS)
        return response


class InstrumentCsvExportApi(_ExportApi):
    """Public (AllowAny): the search's instruments as CSV (UTF-8 with BOM), streamed; at most
    EXPORT_MAX_ROWS rows. Contacts masked for anonymous visitors."""

    extension = "csv"

    @extend_schema(
        summary="Export instruments as CSV",
        operation_id="instruments_export_csv",
        parameters=[InstrumentExportQuerySerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request):
        rows, layout, mask = self._prepared(request)
        response = StreamingHttpResponse(
            csv_chunks(rows, layout=layout, mask=mask), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{self._filename()}"'
        return self._headers(response)


class InstrumentXlsxExportApi(_ExportApi):
    """Public (AllowAny): the search's instruments as an XLSX workbook, built in openpyxl's
    write-only mode; at most EXPORT_MAX_ROWS rows. Contacts masked for anonymous visitors."""

    extension = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    @extend_schema(
        summary="Export instruments as XLSX",
        operation_id="instruments_export_xlsx",
        parameters=[InstrumentExportQuerySerializer],
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY)
        },
    )
    def get(self, request):
        rows, layout, mask = self._prepared(request)
        handle = xlsx_file(rows, layout=layout, mask=mask)
        response = FileResponse(
            handle, as_attachment=True, filename=self._filename(), content_type=self.media_type
        )
        return self._headers(response)
