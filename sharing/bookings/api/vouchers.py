"""The voucher API: my organisation's vouchers and one voucher with its ledger.

Who may see which is decided in vouchers/selectors.py (rules.sees_every_organisation); the
views only shape the answer. Errors leave in the portal's one shape.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.serializers import ChoiceLabelField, NamedSerializer, RegionSerializer
from sharing.bookings.models import Voucher, VoucherEntry
from sharing.bookings.vouchers.selectors import (
    voucher_get,
    voucher_ledger,
    voucher_list,
    voucher_today_valid,
)


# The shared shapes under this API's own component names (_Region, _Named), which the
# published schema has always had.
class _RegionSerializer(RegionSerializer):
    pass


class _NamedSerializer(NamedSerializer):
    pass


class VoucherSerializer(serializers.ModelSerializer):
    issuing_region = _RegionSerializer()
    organisation = _NamedSerializer()
    accepted_in = _RegionSerializer(many=True)
    valid_today = serializers.SerializerMethodField(help_text=_("今天（北京时间）是否在有效期内。"))
    refunded = serializers.DecimalField(
        14, 2, read_only=True, help_text=_("累计释放（元）：预留后未使用而退回的部分。")
    )
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
            "reserved",
            "redeemed",
            "settled",
            "refunded",
            "entry_count",
        ]
        read_only_fields = fields

    def get_valid_today(self, voucher: Voucher) -> bool:
        return voucher_today_valid(voucher)


class VoucherEntrySerializer(serializers.ModelSerializer):
    kind_label = ChoiceLabelField("kind")
    booking = serializers.IntegerField(source="booking_id", allow_null=True)
    order = serializers.IntegerField(
        source="order_id", allow_null=True, help_text=_("委托测试单（不是预约时）。")
    )
    instrument = _NamedSerializer()
    booking_start = serializers.DateTimeField(
        source="service_start", allow_null=True, help_text=_("预约开始时间；委托测试为出报告时间。")
    )

    class Meta:
        model = VoucherEntry
        fields = [
            "id",
            "kind",
            "kind_label",
            "amount",
            "booking",
            "order",
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
