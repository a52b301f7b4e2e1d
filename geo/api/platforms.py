"""Platforms as GeoJSON, in keyset pages by id, filtered by box, distance, kind, region, zone."""

import json
import math
import struct

from django.contrib.gis.gdal import OGRGeometry
from django.db.models import F, FloatField, Func
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo import selectors
from geo.api.fields import in_range, parse_numbers
from portal.accounts.models import Confidence
from portal.api.keyset import by_id, keyset_page
from portal.api.query import query_params
from portal.api.serializers import ChoiceLabelField, choice_labels
from sharing.catalogue.models import Platform

PLATFORM_PAGE = 1000
PLATFORM_PAGE_MAX = 5000
MAX_DISTANCE_M = 1_000_000  # 1000 km: both cities and everything between
_BIGINT_MAX = 2**63 - 1
_BY_ID = (by_id(),)


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
        numbers = parse_numbers(value, 2)
        if numbers is None or not in_range(*numbers):
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
        if text is None:
            return None
        numbers = parse_numbers(text, 4)
        valid = (
            numbers is not None
            and in_range(numbers[0], numbers[1])
            and in_range(numbers[2], numbers[3])
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
    ``next`` links to the following page, null on the last. No COUNT(*). The pages are the
    portal's keyset pages (portal.api.keyset); the plain ``after`` id stays this API's
    documented parameter, not the signed cursor of the other lists (a platform id is public)."""

    def paginate_queryset(self, queryset, request, view=None):
        data = query_params(_KeysetQuerySerializer, request)
        limit, after = data["limit"], data.get("after")
        self.request = request
        rows, position = keyset_page(
            queryset, keys=_BY_ID, after=None if after is None else [after], size=limit
        )
        self.next_after = position[0] if position else None
        return rows

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


class PlatformFeatureSerializer(GeoFeatureModelSerializer):
    """A platform as a GeoJSON Feature with what a map popup needs. ``location_approximate``
    is true when the point is only an approximation (low confidence): say so where it shows."""

    kind = serializers.CharField(help_text=_("平台类型代码。"))
    kind_label = ChoiceLabelField("kind")
    level = serializers.CharField(help_text=_("级别代码；空串表示未定。"))
    level_label = ChoiceLabelField("level")
    host = serializers.CharField(source="host.name", default=None, allow_null=True)
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    location_confidence = serializers.CharField(help_text=_("high、medium 或 low。"))
    location_confidence_label = ChoiceLabelField("location_confidence")
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


# --- The lean page -------------------------------------------------------------------------
# PlatformFeatureSerializer describes the answer (and the OpenAPI schema); the page itself is
# built from one .values() query as plain dicts with exactly the same keys, order and values.
# Through the serializer a 1,000-feature page cost ~0.4 ms a feature, most of it one GDAL
# GeoJSON export (and a json.loads) per point; here it is one export per page.

_PROPERTY_VALUES = [
    "name",
    "name_en",
    "kind",
    "level",
    "host__name",
    "region__code",
    "region__name",
    "location_confidence",
    "location_note",
]


def platform_feature_rows(qs):
    """``qs`` (platform_geo_search, filtered) as the dicts platform_features() reads."""
    fields = ["id", *_PROPERTY_VALUES, "lon", "lat"]
    if "distance_m" in qs.query.annotations:
        fields.append("distance_m")
    return qs.annotate(
        lon=Func(F("location"), function="ST_X", output_field=FloatField()),
        lat=Func(F("location"), function="ST_Y", output_field=FloatField()),
    ).values(*fields)


def gdal_point_coordinates(pairs: list[tuple[float, float]]) -> list[list[float]]:
    """Each (lon, lat) as the serializer's GeometryField writes it: GDAL's GeoJSON export
    (which rounds some doubles at the 15th decimal, so Python's own repr would differ). One
    MultiPoint for the whole page, exported once: GDAL writes each point's coordinates with
    the same routine as a lone Point's."""
    if not pairs:
        return []
    # Little-endian WKB: a MultiPoint header, then each point as (1, Point=1, lon, lat).
    values = [1, 4, len(pairs)]
    for lon, lat in pairs:
        values += (1, 1, lon, lat)
    wkb = struct.pack("<BII" + "BIdd" * len(pairs), *values)
    return json.loads(OGRGeometry(memoryview(wkb)).json)["coordinates"]


def platform_features(rows: list[dict]) -> list[dict]:
    """The features PlatformFeatureSerializer(rows, many=True) gives, from .values() rows."""
    labels = {
        name: {key: str(label) for key, label in choice_labels(Platform, name).items()}
        for name in ("kind", "level", "location_confidence")
    }
    kinds, levels, confidences = (
        labels["kind"],
        labels["level"],
        labels["location_confidence"],
    )
    coordinates = gdal_point_coordinates([(row["lon"], row["lat"]) for row in rows])
    features = []
    for row, point in zip(rows, coordinates, strict=True):
        distance = row.get("distance_m")
        features.append(
            {
                "id": row["id"],
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": point},
                "properties": {
                    "name": row["name"],
                    "name_en": row["name_en"],
                    "kind": row["kind"],
                    "kind_label": kinds.get(row["kind"], row["kind"]),
                    "level": row["level"],
                    "level_label": levels.get(row["level"], row["level"]),
                    "host": row["host__name"],
                    "region": row["region__code"],
                    "region_name": row["region__name"],
                    "location_confidence": row["location_confidence"],
                    "location_confidence_label": confidences.get(
                        row["location_confidence"], row["location_confidence"]
                    ),
                    "location_approximate": Confidence.is_approximate(row["location_confidence"]),
                    "location_note": row["location_note"],
                    "distance_m": None if distance is None else round(distance, 1),
                },
            }
        )
    return features


class PlatformGeoApi(generics.ListAPIView):
    """Public (AllowAny): platforms with a location as a GeoJSON FeatureCollection, in keyset
    pages by id. Filters: in_bbox, point + dist (metres, on the spheroid), kind, region, zone
    (spatial containment)."""

    replica_ok = True  # a read that may lag (portal/replicas.py)

    permission_classes = [permissions.AllowAny]
    serializer_class = PlatformFeatureSerializer
    pagination_class = IdKeysetGeoJsonPagination
    filter_backends = [CheckedInBBoxFilter]
    bbox_filter_field = "location"

    def get_queryset(self):
        data = query_params(PlatformGeoQuerySerializer, self.request)
        return selectors.platform_geo_search(
            kind=data.get("kind"),
            region=data.get("region"),
            zone=data.get("zone"),
            near=data.get("point"),
            within_m=data.get("dist"),
        )

    def list(self, request, *args, **kwargs):
        # The lean page (above): the same answer as the serializer's, without a model, a
        # serializer field or a GDAL export per row.
        queryset = self.filter_queryset(self.get_queryset())
        rows = self.paginate_queryset(platform_feature_rows(queryset))
        return self.get_paginated_response({"features": platform_features(rows)})

    @extend_schema(
        summary="Platforms (GeoJSON)",
        operation_id="geo_platforms_list",
        parameters=[PlatformGeoQuerySerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
