"""The live instruments nearest a point."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from geo import selectors
from geo.api.fields import LonLatQuerySerializer
from portal.api.query import query_params
from portal.api.serializers import LocationSerializer

NEAREST_DEFAULT = 10
NEAREST_MAX = 100


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


# The portal's lon/lat pair under the schema name this API has always used (Point). No
# docstring: it would become the component's description in the schema.
class PointSerializer(LocationSerializer):
    pass


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


class NearestInstrumentsApi(APIView):
    """Public (AllowAny): the live instruments nearest a point, nearest first, with their
    distance in metres (KNN on the location's GiST index, ranked on the spheroid)."""

    replica_ok = True  # a read that may lag (portal/replicas.py)

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Nearest instruments",
        operation_id="geo_nearest_instruments",
        parameters=[NearestQuerySerializer],
        responses=NearestSerializer,
    )
    def get(self, request):
        data = query_params(NearestQuerySerializer, request)
        rows = selectors.instruments_nearest(
            point=selectors.wgs84_point(data["lon"], data["lat"]),
            category=data.get("category"),
            limit=data["limit"],
        )
        return Response(
            NearestSerializer({"lon": data["lon"], "lat": data["lat"], "results": rows}).data
        )
