"""What the booking API reads and answers: times in (ISO 8601, Asia/Shanghai without an
offset), bookings, series results and waitlist entries out (with +08:00)."""

import datetime

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal import bounds
from portal.api.cursors import CURSOR_HELP
from portal.api.serializers import ChoiceLabelField
from portal.errors import NotFound
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.bookings.models import Booking, Project
from sharing.bookings.selectors import bookable_instrument_get
from sharing.bookings.vouchers.selectors import voucher_get

AVAILABILITY_MAX_DAYS = 62
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_BIGINT_MAX = 2**63 - 1


# --- Input --------------------------------------------------------------------------------


class RangeSerializer(serializers.Serializer):
    # Bounded to 2000–2099 (portal.bounds): far-off years overflow the arithmetic behind.
    start = bounds.DateTimeField(help_text=_("开始时间，ISO 8601；不带时区时按北京时间。"))
    end = bounds.DateTimeField(help_text=_("结束时间（不含），ISO 8601。"))

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("结束时间须晚于开始时间。")]})
        return attrs


class AvailabilityQuerySerializer(RangeSerializer):
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["end"] - attrs["start"] > datetime.timedelta(days=AVAILABILITY_MAX_DAYS):
            raise serializers.ValidationError({"end": [_("查询范围不能超过 62 天。")]})
        return attrs


def InstrumentField():  # reads as a field in the serializers below
    return serializers.IntegerField(min_value=1, max_value=_BIGINT_MAX, help_text=_("仪器编号。"))


def ProjectField():  # reads as a field in the serializers below
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=_BIGINT_MAX,
        help_text=_("记账课题的编号（可选）：须为本单位在用的课题。"),
    )


def project_for_charge(pk):
    """The project of that number, or a field error; whether the caller may charge to it is
    the service's rule (projects.rules.may_charge_to)."""
    if pk is None:
        return None
    project = Project.objects.select_related("investigator").filter(pk=pk).first()
    if project is None:
        raise serializers.ValidationError(_("课题不存在。"))
    return project


class _InstrumentMixin:
    def validate_instrument(self, pk):
        try:
            return bookable_instrument_get(pk=pk)
        except NotFound as exc:
            raise serializers.ValidationError(_("仪器不存在或已撤回。")) from exc


class BookingCreateSerializer(_InstrumentMixin, RangeSerializer):
    instrument = InstrumentField()
    purpose = serializers.CharField(
        max_length=300, validators=[ONE_LINE], help_text=_("用途，如测试内容。")
    )
    sample_notes = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", validators=[SEVERAL_LINES]
    )
    voucher = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=_BIGINT_MAX,
        help_text=_("所用科技创新券的编号（可选）。"),
    )
    service_mode = serializers.ChoiceField(
        choices=Booking.ServiceMode.choices,
        default=Booking.ServiceMode.SELF_OPERATED,
        help_text=_("服务方式，写入国家服务记录；默认自主上机。"),
    )
    project_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        validators=[ONE_LINE],
        help_text=_("项目（课题）名称（可选），写入国家服务记录。"),
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


class BookingSeriesCreateSerializer(BookingCreateSerializer):
    weeks = serializers.IntegerField(
        min_value=1, max_value=52, help_text=_("每周重复的次数（含第一次），1–52。")
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )


class BookingListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[("mine", _("我的预约")), ("manager", _("我管理的仪器的预约"))],
        default="mine",
        help_text=_("mine：我的预约；manager：我管理的仪器上的预约。"),
    )
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=200, help_text=CURSOR_HELP)


class WaitlistCreateSerializer(_InstrumentMixin, RangeSerializer):
    instrument = InstrumentField()


# --- Output -------------------------------------------------------------------------------


class IntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class _InstrumentBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField(source="region.code")


class _PersonBrief(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name", default=None)


class TransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    # None for what the portal did by itself (expiry, no-show release).
    by = serializers.CharField(source="by.username", default=None, allow_null=True)
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class BookingSerializer(serializers.ModelSerializer):
    instrument = _InstrumentBrief()
    requester = _PersonBrief()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status_label = ChoiceLabelField("status")
    rate_category_label = ChoiceLabelField("rate_category")
    service_mode_label = ChoiceLabelField("service_mode")

    class Meta:
        model = Booking
        fields = [
            "id",
            "instrument",
            "requester",
            "start",
            "end",
            "status",
            "status_label",
            "purpose",
            "sample_notes",
            "service_mode",
            "service_mode_label",
            "project_name",
            "project",
            "walk_up",
            "series",
            "cross_region",
            "rate_category",
            "rate_category_label",
            "hourly_rate",
            "fee_estimate",
            "charge",
            "checked_in_at",
            "checked_out_at",
            "checkout_forgotten",
            "created_at",
        ]
        read_only_fields = fields


class BookingDetailSerializer(BookingSerializer):
    transitions = TransitionSerializer(many=True)
    charge_approval = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "transitions", "charge_approval"]
        read_only_fields = fields

    def get_charge_approval(self, booking) -> str | None:
        """The principal investigator's word on the charge: pending, approved, rejected, or
        null when the charge needs none."""
        approval = getattr(booking, "charge_approval", None)
        return approval.status if approval is not None else None


class BookingPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = BookingSerializer(many=True)


class OccurrenceSerializer(serializers.Serializer):
    date = serializers.DateField()
    ok = serializers.BooleanField()
    booking = BookingSerializer(allow_null=True)
    error = serializers.DictField(
        allow_null=True, help_text=_("未成功时的原因：code、rule、message。")
    )


class SeriesResultSerializer(serializers.Serializer):
    series = serializers.IntegerField()
    occurrences = OccurrenceSerializer(many=True)


class WaitlistEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.IntegerField(source="instrument_id")
    start = serializers.DateTimeField(source="period.lower")
    end = serializers.DateTimeField(source="period.upper")
    created_at = serializers.DateTimeField()
