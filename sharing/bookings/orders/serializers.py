"""What the sample-order API reads and answers."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal import bounds
from portal.api.cursors import CURSOR_HELP
from portal.api.serializers import ChoiceLabelField
from portal.errors import NotFound
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.bookings.api.booking_serializers import ProjectField, project_for_charge
from sharing.bookings.models import SampleLine, SampleOrder, TestItem
from sharing.bookings.vouchers.selectors import voucher_get

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_BIGINT_MAX = 2**63 - 1
MONEY_MAX = Decimal("9999999999.99")


def _money(**extra):
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), max_value=MONEY_MAX, **extra
    )


# --- Price list --------------------------------------------------------------------------------


class TestItemSerializer(serializers.ModelSerializer):
    unit_label = ChoiceLabelField("unit", read_only=True)
    price = _money()
    minimum_charge = _money(required=False, default=Decimal("0.00"))
    urgent_surcharge_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(500),
        required=False,
        default=Decimal("0.00"),
        help_text=_("加急加收的百分比，0–500。"),
    )
    name = serializers.CharField(max_length=100, validators=[ONE_LINE])

    class Meta:
        model = TestItem
        fields = [
            "id",
            "name",
            "unit",
            "unit_label",
            "price",
            "minimum_charge",
            "urgent_surcharge_percent",
            "active",
        ]
        read_only_fields = ["id", "unit_label"]


# --- Orders: input -------------------------------------------------------------------------


class SampleLineInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, validators=[ONE_LINE])
    count = serializers.IntegerField(min_value=1, max_value=10000)
    form = serializers.ChoiceField(choices=SampleLine.Form.choices)
    hazards = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )
    afterwards = serializers.ChoiceField(
        choices=SampleLine.Afterwards.choices, default=SampleLine.Afterwards.DISPOSE
    )


class OrderItemInput(serializers.Serializer):
    test_item = serializers.IntegerField(min_value=1, max_value=_BIGINT_MAX)
    quantity = serializers.IntegerField(
        min_value=1, max_value=10000, help_text=_("元/样：样品数；元/项：项数。")
    )


class SampleOrderCreateSerializer(serializers.Serializer):
    instrument = serializers.IntegerField(min_value=1, max_value=_BIGINT_MAX)
    project_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )
    urgent = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", validators=[SEVERAL_LINES]
    )
    samples = SampleLineInput(many=True, allow_empty=False, max_length=50)
    items = OrderItemInput(many=True, allow_empty=False, max_length=50)
    voucher = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=_BIGINT_MAX,
        help_text=_("所用科技创新券的编号（可选）。"),
    )

    project = ProjectField()

    def validate_voucher(self, pk):
        if pk is None:
            return None
        try:
            return voucher_get(pk=pk, user=self.context["request"].user)
        except NotFound as exc:
            raise serializers.ValidationError(_("没有找到这张创新券。")) from exc

    def validate_project(self, pk):
        return project_for_charge(pk)


class QuoteSerializer(serializers.Serializer):
    # Negative prices reach the service, which refuses them with its rule (negative_money).
    price = serializers.DecimalField(max_digits=12, decimal_places=2, max_value=MONEY_MAX)
    date = bounds.DateField(help_text=_("承诺出报告日期，YYYY-MM-DD。"))
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, validators=[ONE_LINE])


class ReportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("检测报告，PDF，最大 20 MB。"))


class OrderListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[("mine", _("我的委托")), ("manager", _("我管理的仪器的委托"))],
        default="mine",
    )
    status = serializers.ChoiceField(choices=SampleOrder.Status.choices, required=False)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=200, help_text=CURSOR_HELP)


# --- Orders: output ------------------------------------------------------------------------


class _Brief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _CustomerBrief(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class SampleLineSerializer(serializers.ModelSerializer):
    form_label = ChoiceLabelField("form")
    afterwards_label = ChoiceLabelField("afterwards")

    class Meta:
        model = SampleLine
        fields = [
            "name",
            "count",
            "form",
            "form_label",
            "hazards",
            "afterwards",
            "afterwards_label",
        ]
        read_only_fields = fields


class OrderItemSerializer(serializers.Serializer):
    test_item = serializers.IntegerField(source="test_item_id")
    name = serializers.CharField(source="test_item.name")
    unit = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class OrderTransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    by = serializers.CharField(source="by.username", default=None, allow_null=True)
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class SampleOrderSerializer(serializers.ModelSerializer):
    instrument = _Brief()
    customer = _CustomerBrief()
    organisation = _Brief(allow_null=True)
    status_label = ChoiceLabelField("status")

    class Meta:
        model = SampleOrder
        fields = [
            "id",
            "instrument",
            "customer",
            "organisation",
            "project_name",
            "project",
            "urgent",
            "status",
            "status_label",
            "estimate",
            "quoted_price",
            "quoted_date",
            "fee",
            "voucher",
            "voucher_part",
            "created_at",
        ]
        read_only_fields = fields


class SampleOrderDetailSerializer(SampleOrderSerializer):
    samples = SampleLineSerializer(many=True)
    items = OrderItemSerializer(many=True)
    transitions = OrderTransitionSerializer(many=True)
    has_report = serializers.SerializerMethodField()
    charge_approval = serializers.SerializerMethodField()

    class Meta(SampleOrderSerializer.Meta):
        fields = [
            *SampleOrderSerializer.Meta.fields,
            "notes",
            "quote_note",
            "cancel_reason",
            "quoted_at",
            "accepted_at",
            "received_at",
            "started_at",
            "reported_at",
            "closed_at",
            "cancelled_at",
            "samples",
            "items",
            "transitions",
            "has_report",
            "charge_approval",
        ]
        read_only_fields = fields

    def get_has_report(self, order) -> bool:
        return hasattr(order, "report")

    def get_charge_approval(self, order) -> str | None:
        """The principal investigator's word on the charge: pending, approved, rejected, or
        null when the charge needs none."""
        approval = getattr(order, "charge_approval", None)
        return approval.status if approval is not None else None


class SampleOrderPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = SampleOrderSerializer(many=True)
