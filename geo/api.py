"""The spatial API: zones and platforms as GeoJSON, point location, nearest instruments, zone
figures. Everything here is public and read-only (AllowAny, GET only); no personal data.
Coordinates are WGS-84 longitude/latitude; distances are metres. Errors leave in the API's one
shape (portal.errors)."""

import math

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo import selectors
from geo.models import Zone
from sharing.catalogue.models import Platform

PLATFORM_PAGE = 1000
PLATFORM_PAGE_MAX = 5000
NEAREST_DEFAULT = 10
NEAREST_MAX = 100
MAX_DISTANCE_M = 1_000_000  # 1000 km: both cities and everything between
_BIGINT_MAX = 2**63 - 1


# --- Input ---------------------------------------------------------------------------------


class CoordinateField(serializers.FloatField):
    """A finite longitude or latitude within its range (NaN and infinities are refused)."""

    def __init__(self, *, limit: float, **kwargs):
        super().__init__(min_value=-limit, max_value=limit, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def _lon(**kwargs):
    return CoordinateField(limit=180, help_text=_("经度（WGS-84），-180 至 180。"), **kwargs)


def _lat(**kwargs):
    return CoordinateField(limit=90, help_text=_("纬度（WGS-84），-90 至 90。"), **kwargs)


def _parse_numbers(text: str, count: int) -> list[float] | None:
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        return None
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        return None
    return numbers


def _in_range(lon: float, lat: float) -> bool:
    return -180 <= lon <= 180 and -90 <= lat <= 90


class LonLatQuerySerializer(serializers.Serializer):
    lon = _lon()
    lat = _lat()


class NearestQuerySerializer(LonLatQuerySerializer):
    category = serializers.RegexField(
        r"^[0-9]{2}(?:[0-9]{2}){0,2}$",
        required=False,
        help_text=_("设备分类编码前缀：2、4 或 6 位数字，如 01、0101、010102。"),
        error_messages={"invalid": _("分类编码应为 2、4 或 6 位数字。")},
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=NEAREST_MAX,
        default=NEAREST_DEFAULT,
        help_text=_("返回条数，最多 100。"),
    )


class PlatformGeoQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Platform.Kind.choices, required=False, help_text=_("平台类型。")
    )
    region = serializers.RegexField(
        r"^(?:[a-z][a-z0-9_-]{0,31}|[0-9]{6})$",
        required=False,
        help_text=_("地区代号（mianyang、beibei）或行政区划代码（510700、500109）。"),
        error_messages={"invalid": _("地区应为地区代号或 6 位行政区划代码。")},
    )
    zone = serializers.SlugField(
        required=False, max_length=32, help_text=_("分区代号：只返回位于该分区内的平台。")
    )
    point = serializers.CharField(
        required=False,
        max_length=100,
        help_text=_("中心点“经度,纬度”（WGS-84），与 dist 一起使用。"),
    )
    dist = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_DISTANCE_M,
        help_text=_("距中心点的最大距离（米），与 point 一起使用。"),
    )

    def validate_zone(self, value: str) -> str:
        if not selectors.zone_exists(value):
            raise serializers.ValidationError(_("没有这个分区代号。"))
        return value

    def validate_point(self, value: str):
        numbers = _parse_numbers(value, 2)
        if numbers is None or not _in_range(*numbers):
            raise serializers.ValidationError(
                _("中心点应为“经度,纬度”，经度在 -180 至 180 之间，纬度在 -90 至 90 之间。")
            )
        return selectors.wgs84_point(*numbers)

    def validate_dist(self, value: float) -> float:
        if not math.isfinite(value):
            raise serializers.ValidationError(_("距离应为有限的米数。"))
        return value

    def validate(self, attrs):
        if ("point" in attrs) != ("dist" in attrs):
            raise serializers.ValidationError(
                {"dist" if "point" in attrs else "point": [_("point 与 dist 须同时给出。")]}
            )
        return attrs


class CheckedInBBoxFilter(InBBoxFilter):
    """``in_bbox=min_lon,min_lat,max_lon,max_lat``; a malformed or out-of-range box is a 400
    in the API's error shape. Uses the location's GiST index (``@`` bbox containment)."""

    def get_filter_bbox(self, request):
        text = request.query_params.get(self.bbox_param)
        if not text:
            return None
        numbers = _parse_numbers(text, 4)
        valid = (
            numbers is not None
            and _in_range(numbers[0], numbers[1])
            and _in_range(numbers[2], numbers[3])
            and numbers[0] <= numbers[2]
            and numbers[1] <= numbers[3]
        )
        if not valid:
            raise serializers.ValidationError(
                {
                    self.bbox_param: [
                        _(
                            "范围应为“最小经度,最小纬度,最大经度,最大纬度”，"
                            "坐标在有效范围内且最小值不大于最大值。"
                        )
                    ]
                }
            )
        return super().get_filter_bbox(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] = str(
                _("范围过滤：in_bbox=最小经度,最小纬度,最大经度,最大纬度（WGS-84）。")
            )
            parameter["schema"]["example"] = [106.3, 29.7, 106.6, 29.9]
        return parameters


class IdKeysetGeoJsonPagination(BasePagination):
    """Keyset pages of a FeatureCollection in id order: ``limit`` features after id ``after``;
    ``next`` links to the following page, null on the last. No COUNT(*)."""

    def paginate_queryset(self, queryset, request, view=None):
        params = _KeysetQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit, after = params.validated_data["limit"], params.validated_data.get("after")
        self.request = request
        if after is not None:
            queryset = queryset.filter(id__gt=after)
        rows = list(queryset.order_by("id")[: limit + 1])
        self.next_after = rows[limit - 1].id if len(rows) > limit else None
        return rows[:limit]

    def get_next_link(self):
        if self.next_after is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "after", self.next_after)

    def get_paginated_response(self, data):
        return Response(
            {
                "type": "FeatureCollection",
                "next": self.get_next_link(),
                "features": data["features"],
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "allOf": [
                schema,
                {
                    "type": "object",
                    "properties": {
                        "next": {"type": "string", "format": "uri", "nullable": True},
                    },
                },
            ]
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": str(_("每页要素数，最多 5000。")),
                "schema": {"type": "integer", "minimum": 1, "maximum": PLATFORM_PAGE_MAX},
            },
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": str(_("上一页最后一个平台的编号（见 next 链接）。")),
                "schema": {"type": "integer", "minimum": 0},
            },
        ]


class _KeysetQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=PLATFORM_PAGE_MAX, default=PLATFORM_PAGE
    )
    after = serializers.IntegerField(required=False, min_value=0, max_value=_BIGINT_MAX)


# --- Output --------------------------------------------------------------------------------


class ZoneFeatureSerializer(GeoFeatureModelSerializer):
    """A zone as a GeoJSON Feature: id is the zone's code; properties hold the plan's text
    (description) and the nodes it was built from (key, role, name, lon, lat, confidence;
    role ``link`` marks a corridor link outside Beibei, drawn as a line, not an area)."""

    kind = serializers.CharField(help_text=_("ring（一圈）、corridor（一廊）或 belt（一带）。"))
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Zone
        geo_field = "geometry"
        id_field = "code"
        fields = [
            "code",
            "kind",
            "kind_label",
            "name",
            "name_en",
            "description",
            "nodes",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class PlatformFeatureSerializer(GeoFeatureModelSerializer):
    """A platform as a GeoJSON Feature with what a map popup needs. ``location_approximate``
    is true when the point is only an approximation (low confidence): say so where it shows."""

    kind = serializers.CharField(help_text=_("平台类型代码。"))
    kind_label = serializers.CharField(source="get_kind_display")
    level = serializers.CharField(help_text=_("级别代码；空串表示未定。"))
    level_label = serializers.CharField(source="get_level_display")
    host = serializers.CharField(source="host.name", default=None, allow_null=True)
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    location_confidence = serializers.CharField(help_text=_("high、medium 或 low。"))
    location_confidence_label = serializers.CharField(source="get_location_confidence_display")
    location_approximate = serializers.BooleanField(source="location_is_approximate")
    distance_m = serializers.SerializerMethodField()

    class Meta:
        model = Platform
        geo_field = "location"
        fields = [
            "id",
            "name",
            "name_en",
            "kind",
            "kind_label",
            "level",
            "level_label",
            "host",
            "region",
            "region_name",
            "location_confidence",
            "location_confidence_label",
            "location_approximate",
            "location_note",
            "distance_m",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_m(self, platform) -> float | None:
        distance = getattr(platform, "distance_m", None)
        return None if distance is None else round(distance, 1)


class ZoneRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    name = serializers.CharField()
    name_en = serializers.CharField()


class LocateSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    zones = ZoneRefSerializer(many=True, help_text=_("包含该点的分区；不在任何分区时为空。"))


class PointSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()


class NearInstrumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    category_code = serializers.CharField()
    model = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name")
    platform = serializers.CharField(source="platform.name", default=None, allow_null=True)
    region = serializers.CharField(source="region.code")
    location = serializers.SerializerMethodField()
    distance_m = serializers.SerializerMethodField(help_text=_("到查询点的距离（米）。"))

    @extend_schema_field(PointSerializer)
    def get_location(self, instrument) -> dict:
        return {"lon": instrument.location.x, "lat": instrument.location.y}

    def get_distance_m(self, instrument) -> float:
        return round(instrument.distance_m, 1)


class NearestSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    results = NearInstrumentSerializer(many=True, help_text=_("由近及远。"))


class CountRowKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class CountRowLevelSerializer(serializers.Serializer):
    level = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class ZonePlatformStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="platforms_total")
    by_kind = CountRowKindSerializer(source="platforms_by_kind", many=True)
    by_level = CountRowLevelSerializer(source="platforms_by_level", many=True)


class ZoneInstrumentStatsSerializer(serializers.Serializer):
    count = serializers.IntegerField(source="instruments_count")
    original_value_total = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        source="instruments_original_value",
        help_text=_("原值合计（万元）。"),
    )


class ZoneStatsSerializer(serializers.Serializer):
    zone = ZoneRefSerializer()
    platforms = ZonePlatformStatsSerializer(source="*")
    instruments = ZoneInstrumentStatsSerializer(source="*")


# --- Views ---------------------------------------------------------------------------------


class ZoneListApi(generics.ListAPIView):
    """Public (AllowAny): the three zones of 一圈一廊一带 as a GeoJSON FeatureCollection."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ZoneFeatureSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.zone_list()

    @extend_schema(summary="Layout zones (GeoJSON)", operation_id="geo_zones_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PlatformGeoApi(generics.ListAPIView):
    """Public (AllowAny): platforms with a location as a GeoJSON FeatureCollection, in keyset
    pages by id. Filters: in_bbox, point + dist (metres, on the spheroid), kind, region, zone
    (spatial containment)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = PlatformFeatureSerializer
    pagination_class = IdKeysetGeoJsonPagination
    filter_backends = [CheckedInBBoxFilter]
    bbox_filter_field = "location"

    def get_queryset(self):
        params = PlatformGeoQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.platform_geo_search(
            kind=data.get("kind"),
            region=data.get("region"),
            zone=data.get("zone"),
            near=data.get("point"),
            within_m=data.get("dist"),
        )

    @extend_schema(
        summary="Platforms (GeoJSON)",
        operation_id="geo_platforms_list",
        parameters=[PlatformGeoQuerySerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LocateApi(APIView):
    """Public (AllowAny): the zones that contain a point."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Zones containing a point",
        operation_id="geo_locate",
        parameters=[LonLatQuerySerializer],
        responses=LocateSerializer,
    )
    def get(self, request):
        params = LonLatQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        lon, lat = params.validated_data["lon"], params.validated_data["lat"]
        zones = selectors.zone_containing(selectors.wgs84_point(lon, lat))
        return Response(LocateSerializer({"lon": lon, "lat": lat, "zones": zones}).data)


class NearestInstrumentsApi(APIView):
    """Public (AllowAny): the live instruments nearest a point, nearest first, with their
    distance in metres (KNN on the location's GiST index, ranked on the spheroid)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Nearest instruments",
        operation_id="geo_nearest_instruments",
        parameters=[NearestQuerySerializer],
        responses=NearestSerializer,
    )
    def get(self, request):
        params = NearestQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        rows = selectors.instruments_nearest(
            point=selectors.wgs84_point(data["lon"], data["lat"]),
            category=data.get("category"),
            limit=data["limit"],
        )
        return Response(
            NearestSerializer({"lon": data["lon"], "lat": data["lat"], "results": rows}).data
        )


class ZoneStatsApi(APIView):
    """Public (AllowAny): one zone's figures: platforms by kind and level, live instruments
    and their total original value (万元)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Zone figures",
        operation_id="geo_zone_stats",
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)],
        responses=ZoneStatsSerializer,
    )
    def get(self, request, code: str):
        stats = selectors.zone_stats(selectors.zone_get(code=code))
        return Response(ZoneStatsSerializer(stats).data)
