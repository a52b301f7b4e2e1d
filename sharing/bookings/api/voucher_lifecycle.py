"""The voucher lifecycle API: applications to an issuing authority, settlement requests of a
provider with their lines, and the ledger summed per authority, provider and period.

Who sees what is decided in vouchers/selectors.py (404 for the rest), who may act in
vouchers/rules.py (asked by the services: 403, 409); the views only shape the answers.
"""

import datetime
from decimal import Decimal

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.models import Organisation, Region
from portal.api.query import query_params
from portal.api.serializers import ChoiceLabelField
from portal.api.serializers import NamedSerializer as _NamedSerializer
from portal.api.serializers import RegionSerializer as _RegionSerializer
from portal.errors import Forbidden
from sharing.bookings import rules
from sharing.bookings.models import SettlementLine, SettlementRequest, VoucherApplication
from sharing.bookings.vouchers import selectors, services, settlement

EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)


def _date(help_text: str, **kw) -> serializers.DateField:
    return serializers.DateField(help_text=help_text, **kw)


def _in_range(value: datetime.date) -> datetime.date:
    if not EARLIEST <= value <= LATEST:
        raise serializers.ValidationError(_("日期须在 2000-01-01 与 2099-12-31 之间。"))
    return value


def _region_field(**kw) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(), **kw)


# --- Applications -----------------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    organisation = _NamedSerializer()
    issuing_region = _RegionSerializer()
    accepted_in = _RegionSerializer(many=True)
    status_label = ChoiceLabelField("status")
    voucher = serializers.CharField(source="voucher.code", allow_null=True, default=None)

    class Meta:
        model = VoucherApplication
        fields = [
            "id",
            "organisation",
            "issuing_region",
            "purpose",
            "amount_requested",
            "status",
            "status_label",
            "reason",
            "amount",
            "valid_from",
            "valid_until",
            "accepted_in",
            "voucher",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class ApplicationCreateSerializer(serializers.Serializer):
    issuing_region = _region_field(help_text=gettext_lazy("发放地区代号（beibei、mianyang）。"))
    purpose = serializers.CharField(max_length=2000)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))


class ApplicationApproveSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    valid_from = _date("生效日期")
    valid_until = _date("截止日期")
    accepted_in = _region_field(many=True)

    validate_valid_from = staticmethod(_in_range)
    validate_valid_until = staticmethod(_in_range)


class ReasonRequiredSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


_DECIDE_RESPONSES = {
    400: OpenApiResponse(description="A rule is broken (error.rule)."),
    403: OpenApiResponse(description="Not the issuing region's coordinator."),
    404: OpenApiResponse(description="Nothing of that number visible to this person."),
    409: OpenApiResponse(description="Already decided."),
}


class ApplicationListApi(APIView):
    """Signed in: my organisation's applications and, for a coordinator, those to their
    region (GET); a member (firm or researcher) applies for the organisation (POST)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Voucher applications I may see",
        operation_id="voucher_applications_list",
        responses=ApplicationSerializer(many=True),
    )
    def get(self, request):
        rows = selectors.application_list(user=request.user)[:200]
        return Response(ApplicationSerializer(rows, many=True).data)

    @extend_schema(
        summary="Apply for an innovation voucher",
        operation_id="voucher_applications_create",
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer, **_DECIDE_RESPONSES},
    )
    def post(self, request):
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_submit(
            applicant=request.user,
            issuing_region=data.validated_data["issuing_region"],
            purpose=data.validated_data["purpose"],
            amount=data.validated_data["amount"],
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationApproveApi(APIView):
    """The issuing region's coordinator approves: a voucher is issued."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Approve a voucher application (issues the voucher)",
        operation_id="voucher_applications_approve",
        request=ApplicationApproveSerializer,
        responses={200: ApplicationSerializer, **_DECIDE_RESPONSES},
    )
    def post(self, request, pk: int):
        application = selectors.application_get(pk=pk, user=request.user)
        data = ApplicationApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_approve(
            application=application, by=request.user, **data.validated_data
        )
        return Response(ApplicationSerializer(application).data)


class ApplicationRejectApi(APIView):
    """The issuing region's coordinator rejects, with a reason."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Reject a voucher application",
        operation_id="voucher_applications_reject",
        request=ReasonRequiredSerializer,
        responses={200: ApplicationSerializer, **_DECIDE_RESPONSES},
    )
    def post(self, request, pk: int):
        application = selectors.application_get(pk=pk, user=request.user)
        data = ReasonRequiredSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_reject(
            application=application, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(ApplicationSerializer(application).data)


# --- Settlement -------------------------------------------------------------------------------


class SettlementLineSerializer(serializers.ModelSerializer):
    redemption = serializers.IntegerField(source="entry_id")
    voucher = serializers.CharField(source="entry.voucher.code")
    holder = serializers.CharField(source="entry.voucher.organisation.name")
    booking = serializers.IntegerField(source="entry.booking_id", allow_null=True)
    order = serializers.IntegerField(
        source="entry.order_id",
        allow_null=True,
        help_text=gettext_lazy("委托测试单（不是预约时）。"),
    )
    instrument = _NamedSerializer(source="entry.instrument")
    service_start = serializers.DateTimeField(
        source="entry.service_start", help_text=gettext_lazy("预约开始时间；委托测试为出报告时间。")
    )
    status_label = ChoiceLabelField("status")

    class Meta:
        model = SettlementLine
        fields = [
            "id",
            "redemption",
            "voucher",
            "holder",
            "booking",
            "order",
            "instrument",
            "service_start",
            "amount",
            "status",
            "status_label",
            "reason",
            "decided_at",
        ]
        read_only_fields = fields


class SettlementSerializer(serializers.ModelSerializer):
    provider = _NamedSerializer()
    issuing_region = _RegionSerializer()
    status_label = ChoiceLabelField("status")
    line_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = SettlementRequest
        fields = [
            "id",
            "provider",
            "issuing_region",
            "period_from",
            "period_until",
            "status",
            "status_label",
            "total",
            "line_count",
            "created_at",
            "decided_at",
            "paid_at",
        ]
        read_only_fields = fields


class SettlementDetailSerializer(SettlementSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(SettlementSerializer.Meta):
        fields = [*SettlementSerializer.Meta.fields, "lines"]
        read_only_fields = fields

    @extend_schema_field(SettlementLineSerializer(many=True))
    def get_lines(self, request: SettlementRequest) -> list[dict]:
        return SettlementLineSerializer(selectors.settlement_lines(request=request), many=True).data


class SettlementCreateSerializer(serializers.Serializer):
    issuing_region = _region_field(help_text=gettext_lazy("向哪个地区申请兑现（发放地区代号）。"))
    period_from = _date("起始日期（服务日期，北京时间）")
    period_until = _date("截止日期（含）")
    provider = serializers.IntegerField(
        required=False, min_value=1, help_text=gettext_lazy("服务单位；默认本人所在单位。")
    )
    redemptions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("所选抵扣流水；不填则为期间内全部可兑现的。"),
    )

    validate_period_from = staticmethod(_in_range)
    validate_period_until = staticmethod(_in_range)


_SETTLEMENT_RESPONSES = {
    400: OpenApiResponse(description="A rule is broken (error.rule)."),
    403: OpenApiResponse(description="Not allowed for this person."),
    404: OpenApiResponse(description="Nothing of that number visible to this person."),
    409: OpenApiResponse(description="Already requested, decided or paid."),
}


class SettlementListApi(APIView):
    """Signed in: the settlement requests of the organisations I speak for and, for a
    coordinator, those to their region (GET); a provider's manager asks an issuing authority to
    pay the redemptions of a period (POST; 409 when another request took them first)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Settlement requests I may see",
        operation_id="voucher_settlements_list",
        responses=SettlementSerializer(many=True),
    )
    def get(self, request):
        rows = selectors.settlement_list(user=request.user)[:200]
        return Response(SettlementSerializer(rows, many=True).data)

    @extend_schema(
        summary="Ask an issuing authority to pay the voucher part of completed services",
        operation_id="voucher_settlements_create",
        request=SettlementCreateSerializer,
        responses={201: SettlementDetailSerializer, **_SETTLEMENT_RESPONSES},
    )
    def post(self, request):
        data = SettlementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        provider_id = v.get("provider") or request.user.organisation_id
        provider = Organisation.objects.filter(pk=provider_id).first() if provider_id else None
        made = settlement.settlement_request_create(
            provider=provider,
            issuing_region=v["issuing_region"],
            period_from=v["period_from"],
            period_until=v["period_until"],
            by=request.user,
            redemptions=v.get("redemptions"),
        )
        made = selectors.settlement_get(pk=made.pk, user=request.user)
        return Response(SettlementDetailSerializer(made).data, status=status.HTTP_201_CREATED)


class SettlementDetailApi(APIView):
    """One settlement request with its lines; 404 for anyone who may not see it."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="One settlement request with its lines",
        operation_id="voucher_settlements_retrieve",
        responses=SettlementDetailSerializer,
    )
    def get(self, request, pk: int):
        return Response(
            SettlementDetailSerializer(selectors.settlement_get(pk=pk, user=request.user)).data
        )


class _LineDecisionApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    approve = True

    def post(self, request, pk: int, line_id: int):
        made = selectors.settlement_get(pk=pk, user=request.user)
        reason = ""
        if not self.approve:
            data = ReasonRequiredSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            reason = data.validated_data["reason"]
        settlement.settlement_line_decide(
            request=made, line_id=line_id, by=request.user, approve=self.approve, reason=reason
        )
        made = selectors.settlement_get(pk=pk, user=request.user)
        return Response(SettlementDetailSerializer(made).data)


class SettlementLineApproveApi(_LineDecisionApi):
    """The issuing region's coordinator approves one line."""

    @extend_schema(
        summary="Approve one settlement line",
        operation_id="voucher_settlements_line_approve",
        request=None,
        responses={200: SettlementDetailSerializer, **_SETTLEMENT_RESPONSES},
    )
    def post(self, request, pk: int, line_id: int):
        return super().post(request, pk, line_id)


class SettlementLineRejectApi(_LineDecisionApi):
    """The issuing region's coordinator rejects one line, with a reason."""

    approve = False

    @extend_schema(
        summary="Reject one settlement line",
        operation_id="voucher_settlements_line_reject",
        request=ReasonRequiredSerializer,
        responses={200: SettlementDetailSerializer, **_SETTLEMENT_RESPONSES},
    )
    def post(self, request, pk: int, line_id: int):
        return super().post(request, pk, line_id)


class SettlementPaidApi(APIView):
    """The issuing region's coordinator marks the request paid: the approved lines are
    settled on their vouchers."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Mark a settlement request paid",
        operation_id="voucher_settlements_paid",
        request=None,
        responses={200: SettlementDetailSerializer, **_SETTLEMENT_RESPONSES},
    )
    def post(self, request, pk: int):
        made = selectors.settlement_get(pk=pk, user=request.user)
        settlement.settlement_mark_paid(request=made, by=request.user)
        made = selectors.settlement_get(pk=pk, user=request.user)
        return Response(SettlementDetailSerializer(made).data)


# --- The ledger -------------------------------------------------------------------------------


class LedgerQuerySerializer(serializers.Serializer):
    region = _region_field(required=False, help_text=gettext_lazy("发放地区代号"))
    provider = serializers.IntegerField(required=False, min_value=1)
    # "from" is a keyword: the field is declared below under its query name.
    to = _date("截止日期（含，服务日期）", required=False)

    validate_to = staticmethod(_in_range)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = _date("起始日期（服务日期）", required=False, validators=[_in_range])
        return fields


class LedgerRowSerializer(serializers.Serializer):
    issuing_region = serializers.CharField()
    spent_region = serializers.CharField()
    provider = _NamedSerializer()
    reserved = serializers.DecimalField(14, 2)
    redeemed = serializers.DecimalField(14, 2)
    settled = serializers.DecimalField(14, 2)
    paid = serializers.DecimalField(14, 2)


class VoucherLedgerApi(APIView):
    """Voucher money per issuing authority, provider and period (services booked in it):
    reserved, redeemed, settled (approved for payment) and paid. Coordinators and
    administrators see every provider, a provider's managers their own; others 403."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="The voucher ledger per issuing authority, provider and period",
        operation_id="voucher_ledger",
        parameters=[LedgerQuerySerializer],
        responses=LedgerRowSerializer(many=True),
    )
    def get(self, request):
        q = query_params(LedgerQuerySerializer, request)
        user = request.user
        provider_id = q.get("provider")
        if not rules.sees_every_organisation(user=user):
            mine = selectors.provider_organisations(user=user)
            if not mine or (provider_id is not None and provider_id not in mine):
                raise Forbidden(_("只有协调员、管理员和服务单位的仪器管理员可以查看创新券台账。"))
            providers = [provider_id] if provider_id else mine
        else:
            providers = [provider_id] if provider_id else [None]
        region = q.get("region")
        rows = []
        for pid in providers:
            rows += selectors.voucher_ledger_sums(
                region_id=region.pk if region else None,
                provider_id=pid,
                frm=q.get("from"),
                to=q.get("to"),
            )
        return Response(LedgerRowSerializer(rows, many=True).data)


urlpatterns = [
    path(
        "vouchers/applications/",
        ApplicationListApi.as_view(),
        name="voucher-application-list",
    ),
    path(
        "vouchers/applications/<int:pk>/approve/",
        ApplicationApproveApi.as_view(),
        name="voucher-application-approve",
    ),
    path(
        "vouchers/applications/<int:pk>/reject/",
        ApplicationRejectApi.as_view(),
        name="voucher-application-reject",
    ),
    path("vouchers/settlements/", SettlementListApi.as_view(), name="voucher-settlement-list"),
    path(
        "vouchers/settlements/<int:pk>/",
        SettlementDetailApi.as_view(),
        name="voucher-settlement-detail",
    ),
    path(
        "vouchers/settlements/<int:pk>/lines/<int:line_id>/approve/",
        SettlementLineApproveApi.as_view(),
        name="voucher-settlement-line-approve",
    ),
    path(
        "vouchers/settlements/<int:pk>/lines/<int:line_id>/reject/",
        SettlementLineRejectApi.as_view(),
        name="voucher-settlement-line-reject",
    ),
    path(
        "vouchers/settlements/<int:pk>/paid/",
        SettlementPaidApi.as_view(),
        name="voucher-settlement-paid",
    ),
    path("vouchers/ledger/", VoucherLedgerApi.as_view(), name="voucher-ledger"),
]
