"""The sharing indicators API: share rate and utilisation for a year, by level.

Who may see which level is rules.may_see_indicators, asked by indicators_for_user.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import bounds
from portal.api.query import query_params
from sharing.bookings.indicators import LEVELS, indicators_for_user, yearly_base_hours


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
        data = query_params(IndicatorQuerySerializer, request)
        level = data["level"]
        year = data.get("year") or timezone.localdate().year
        rows = indicators_for_user(user=request.user, level=level, year=year)
        body = {"level": level, "year": year, "base_hours": yearly_base_hours(), "results": rows}
        return Response(IndicatorsSerializer(body).data)
