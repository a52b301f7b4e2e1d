"""One zone's figures: platforms by kind and level, live instruments and their original value."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from geo import selectors
from geo.api.zones import ZoneRefSerializer


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


class ZoneStatsApi(APIView):
    """Public (AllowAny): one zone's figures: platforms by kind and level, live instruments
    and their total original value (万元)."""

    replica_ok = True  # a read that may lag (portal/replicas.py)

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
