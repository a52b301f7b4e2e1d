"""The zones of 一圈一廊一带 as GeoJSON, and which of them hold a point."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo import selectors
from geo.api.fields import LonLatQuerySerializer
from geo.models import Zone
from portal.api.query import query_params
from portal.api.serializers import ChoiceLabelField


class ZoneFeatureSerializer(GeoFeatureModelSerializer):
    """A zone as a GeoJSON Feature: id is the zone's code; properties hold the plan's text
    (description) and the nodes it was built from (key, role, name, lon, lat, confidence;
    role ``link`` marks a corridor link outside Beibei, drawn as a line, not an area)."""

    kind = serializers.CharField(help_text=_("ring（一圈）、corridor（一廊）或 belt（一带）。"))
    kind_label = ChoiceLabelField("kind")

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


class ZoneRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    kind_label = ChoiceLabelField("kind")
    name = serializers.CharField()
    name_en = serializers.CharField()


class LocateSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    zones = ZoneRefSerializer(many=True, help_text=_("包含该点的分区；不在任何分区时为空。"))


class ZoneListApi(generics.ListAPIView):
    """Public (AllowAny): the three zones of 一圈一廊一带 as a GeoJSON FeatureCollection."""

    replica_ok = True  # a read that may lag (portal/replicas.py)

    permission_classes = [permissions.AllowAny]
    serializer_class = ZoneFeatureSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.zone_list()

    @extend_schema(summary="Layout zones (GeoJSON)", operation_id="geo_zones_list")
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
        data = query_params(LonLatQuerySerializer, request)
        lon, lat = data["lon"], data["lat"]
        zones = selectors.zone_containing(selectors.wgs84_point(lon, lat))
        return Response(LocateSerializer({"lon": lon, "lat": lat, "zones": zones}).data)
