"""What the project, charge-approval and statement API reads and answers."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.accounts.models import User
from portal.text import ONE_LINE
from sharing.bookings.models import ChargeApproval, Project

_BIGINT_MAX = 2**63 - 1
MONEY_MAX = Decimal("9999999999.99")
MONTH_PATTERN = r"^(20[0-9]{2})-(0[1-9]|1[0-2])$"


class _Person(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


class ProjectSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    investigator = _Person(read_only=True)
    funding_source_label = serializers.CharField(
        source="get_funding_source_display", read_only=True
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "organisation",
            "name",
            "number",
            "funding_source",
            "funding_source_label",
            "investigator",
            "active",
            "created_at",
        ]
        read_only_fields = fields


class _InvestigatorField(serializers.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=_BIGINT_MAX, **kwargs)


def _member(pk: int, request) -> User:
    """A person of the caller's organisation (administrators: anyone), else a field error."""
    user = request.user
    qs = User.objects.filter(pk=pk, is_active=True)
    if not user.is_administrator:
        qs = qs.filter(organisation_id=user.organisation_id)
    found = qs.first()
    if found is None:
        raise serializers.ValidationError(_("课题负责人须为本单位成员。"))
    return found


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, validators=[ONE_LINE])
    number = serializers.CharField(
        max_length=64, validators=[ONE_LINE], help_text=_("课题编号或经费卡号，本单位内唯一。")
    )
    funding_source = serializers.ChoiceField(choices=Project.FundingSource.choices)
    investigator = _InvestigatorField(
        required=False, help_text=_("课题负责人的用户编号；不填则为本人。")
    )

    def validate_investigator(self, pk):
        return _member(pk, self.context["request"])


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, validators=[ONE_LINE], required=False)
    funding_source = serializers.ChoiceField(choices=Project.FundingSource.choices, required=False)
    investigator = _InvestigatorField(required=False)
    active = serializers.BooleanField(required=False)

    def validate_investigator(self, pk):
        return _member(pk, self.context["request"])


class ProjectListQuerySerializer(serializers.Serializer):
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class ThresholdSerializer(serializers.Serializer):
    organisation = serializers.CharField(read_only=True)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MONEY_MAX,
        allow_null=True,
        help_text=_("超过该金额（元）的课题费用须经课题负责人同意；null 表示无需审批。"),
    )


class ChargeApprovalSerializer(serializers.ModelSerializer):
    project = serializers.SerializerMethodField()
    requester = _Person()
    decided_by = _Person(allow_null=True)
    status_label = serializers.CharField(source="get_status_display")
    kind = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()
    instrument = serializers.SerializerMethodField()

    class Meta:
        model = ChargeApproval
        fields = [
            "id",
            "project",
            "kind",
            "service",
            "instrument",
            "requester",
            "amount",
            "threshold",
            "status",
            "status_label",
            "decided_by",
            "decided_at",
            "reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_project(self, approval) -> dict:
        return {
            "id": approval.project_id,
            "number": approval.project.number,
            "name": approval.project.name,
        }

    def get_kind(self, approval) -> str:
        return "booking" if approval.booking_id else "order"

    def get_service(self, approval) -> int:
        return approval.booking_id or approval.order_id

    def get_instrument(self, approval) -> str:
        return approval.service.instrument.name


class ApprovalListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[("investigator", _("待我审批")), ("mine", _("我提交的"))],
        default="investigator",
        help_text=_("investigator：我负责的课题上的费用；mine：我提交的费用。"),
    )
    pending = serializers.BooleanField(default=True, help_text=_("只列待审批的。"))


class ChargeDecideSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", validators=[ONE_LINE]
    )


class ChargeRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, validators=[ONE_LINE])


class StatementQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(
        MONTH_PATTERN, max_length=7, help_text=_("月份，YYYY-MM（北京时间）。")
    )
    project = serializers.IntegerField(
        required=False, min_value=1, max_value=_BIGINT_MAX, help_text=_("课题编号（可选）。")
    )
    organisation = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=_BIGINT_MAX,
        help_text=_("机构编号（协调员和管理员；默认本单位）。"),
    )

    def validate_month(self, value) -> datetime.date:
        year, month = value.split("-")
        return datetime.date(int(year), int(month), 1)


class StatementLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    ref = serializers.IntegerField()
    date = serializers.DateField()
    person = serializers.CharField()
    instrument = serializers.CharField()
    provider = serializers.CharField()
    project_id = serializers.IntegerField(allow_null=True)
    project = serializers.CharField()
    charge = serializers.DecimalField(max_digits=14, decimal_places=2)
    voucher_part = serializers.DecimalField(max_digits=14, decimal_places=2)
    due = serializers.DecimalField(max_digits=14, decimal_places=2)


class StatementSerializer(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.name")
    month = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()
    lines = StatementLineSerializer(many=True)
    charge = serializers.DecimalField(max_digits=14, decimal_places=2)
    voucher_part = serializers.DecimalField(max_digits=14, decimal_places=2)
    due = serializers.DecimalField(max_digits=14, decimal_places=2)

    def get_month(self, statement) -> str:
        return f"{statement.month:%Y-%m}"

    def get_project(self, statement) -> int | None:
        return statement.project.pk if statement.project is not None else None
