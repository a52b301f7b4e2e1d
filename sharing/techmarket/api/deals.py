"""API of deals: inquiries and their stages, contracts and registration, the contract register
and the 技术合同成交额 indicator. Parties only; others get 404."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.pagination import numbered_page, page_of
from portal.api.query import query_params
from portal.api.views import ActionApi
from portal.errors import NotFound
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.techmarket import selectors, services
from sharing.techmarket.api.common import listing_or_404, need_or_404
from sharing.techmarket.models import Inquiry, InquiryTransition, TechContract


class ContractSerializer(serializers.ModelSerializer):
    seller = serializers.CharField(source="seller.name", read_only=True)
    buyer = serializers.CharField(source="buyer.name", read_only=True)
    listing = serializers.CharField(source="inquiry.listing.title", read_only=True)

    class Meta:
        model = TechContract
        fields = [
            "id",
            "inquiry",
            "listing",
            "contract_type",
            "amount",
            "seller",
            "buyer",
            "signed_on",
            "registration_number",
            "registered_on",
        ]


class InquiryTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default="", read_only=True)

    class Meta:
        model = InquiryTransition
        fields = ["from_stage", "to_stage", "by", "note", "at"]


class InquirySerializer(serializers.ModelSerializer):
    listing_title = serializers.CharField(source="listing.title", read_only=True)
    need_title = serializers.CharField(
        source="need.title", default=None, allow_null=True, read_only=True
    )
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    broker_name = serializers.CharField(
        source="broker.username", default=None, allow_null=True, read_only=True
    )
    transitions = InquiryTransitionSerializer(many=True, read_only=True)
    contract = serializers.SerializerMethodField()
    # Blank until the inquiry is closed: the schema says so.
    close_reason = serializers.ChoiceField(
        choices=Inquiry.CloseReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "listing",
            "listing_title",
            "need",
            "need_title",
            "firm",
            "firm_name",
            "broker",
            "broker_name",
            "message",
            "nda_accepted_at",
            "stage",
            "close_reason",
            "close_note",
            "created_at",
            "updated_at",
            "transitions",
            "contract",
        ]
        read_only_fields = fields

    @extend_schema_field(ContractSerializer(allow_null=True))
    def get_contract(self, inquiry) -> dict | None:
        contract = getattr(inquiry, "contract", None) if hasattr(inquiry, "contract") else None
        return ContractSerializer(contract).data if contract else None


class InquiryCreateSerializer(serializers.Serializer):
    listing = serializers.IntegerField(min_value=1)
    need = serializers.IntegerField(min_value=1, required=False)
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default="", validators=[SEVERAL_LINES]
    )
    nda_accepted = serializers.BooleanField(default=False)


class InquiryQuerySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(Inquiry.Stage.choices, required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000)


class AdvanceSerializer(serializers.Serializer):
    to = serializers.ChoiceField(
        [Inquiry.Stage.CONTACTED, Inquiry.Stage.NDA_SIGNED, Inquiry.Stage.NEGOTIATING]
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", validators=[SEVERAL_LINES]
    )


class CloseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(Inquiry.CloseReason.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", validators=[SEVERAL_LINES]
    )


class ContractCreateSerializer(serializers.Serializer):
    contract_type = serializers.ChoiceField(TechContract.Type.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    signed_on = serializers.DateField()


class RegisterSerializer(serializers.Serializer):
    registration_number = serializers.CharField(max_length=64, validators=[ONE_LINE])
    registered_on = serializers.DateField()


def _inquiry(request, pk: int) -> Inquiry:
    try:
        return (
            selectors.inquiry_list(user=request.user).prefetch_related("transitions__by").get(pk=pk)
        )
    except Inquiry.DoesNotExist:
        raise NotFound(_("意向不存在。")) from None


def _inquiry_response(request, inquiry: Inquiry, code: int = 200) -> Response:
    inquiry = _inquiry(request, inquiry.pk)
    return Response(InquirySerializer(inquiry).data, status=code)


class InquiryListCreateApi(APIView):
    """GET: the inquiries the person is a party to. POST: a firm expresses interest in a
    listing (accepting its confidentiality terms opens documents and contact), or a broker
    links a published need to a published listing."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="tech_inquiries_list",
        parameters=[InquiryQuerySerializer],
        responses=page_of(InquirySerializer),
    )
    def get(self, request):
        query = query_params(InquiryQuerySerializer, request)
        qs = selectors.inquiry_list(user=request.user, stage=query.get("stage"))
        qs = qs.prefetch_related("transitions__by").select_related("contract")
        return numbered_page(self, request, qs, InquirySerializer)

    @extend_schema(
        request=InquiryCreateSerializer,
        responses={201: InquirySerializer, 404: OpenApiResponse(description="no such listing")},
    )
    def post(self, request):
        serializer = InquiryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        listing = listing_or_404(request, data["listing"])
        if "need" in data:
            need = need_or_404(request, data["need"])
            inquiry = services.inquiry_link(
                user=request.user, listing=listing, need=need, note=data["message"]
            )
        else:
            inquiry = services.inquiry_create(
                user=request.user,
                listing=listing,
                message=data["message"],
                nda_accepted=data["nda_accepted"],
            )
        return _inquiry_response(request, inquiry, status.HTTP_201_CREATED)


class InquiryDetailApi(APIView):
    """The parties of the inquiry, brokers assigned to it, coordinators and administrators."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=InquirySerializer)
    def get(self, request, pk: int):
        return _inquiry_response(request, _inquiry(request, pk))


class _InquiryAction(ActionApi):
    # The acts return nothing: the answer re-reads the inquiry with its new stage and contract.
    def get_object(self, request, pk: int):
        return _inquiry(request, pk)

    def respond(self, request, obj) -> Response:
        return _inquiry_response(request, obj)


@extend_schema(request=AdvanceSerializer, responses=InquirySerializer)
class InquiryAdvanceApi(_InquiryAction):
    """The assigned broker moves the inquiry one stage on: contacted, NDA signed, negotiating."""

    input_serializer = AdvanceSerializer

    def act(self, request, inquiry, data):
        services.inquiry_advance(user=request.user, inquiry=inquiry, **data)


@extend_schema(request=CloseSerializer, responses=InquirySerializer)
class InquiryCloseApi(_InquiryAction):
    """The broker or the firm closes the inquiry with a structured reason."""

    input_serializer = CloseSerializer

    def act(self, request, inquiry, data):
        services.inquiry_close(user=request.user, inquiry=inquiry, **data)


@extend_schema(request=ContractCreateSerializer, responses=InquirySerializer)
class InquiryContractApi(_InquiryAction):
    """The assigned broker records the signed contract (type under 民法典 第八百四十三条)."""

    input_serializer = ContractCreateSerializer

    def act(self, request, inquiry, data):
        services.contract_record(user=request.user, inquiry=inquiry, **data)


@extend_schema(request=RegisterSerializer, responses=InquirySerializer)
class InquiryRegisterApi(_InquiryAction):
    """The assigned broker records the 技术合同认定登记 of the signed contract."""

    input_serializer = RegisterSerializer

    def act(self, request, inquiry, data):
        services.contract_register(user=request.user, inquiry=inquiry, **data)


class ContractListApi(APIView):
    """The contract register: coordinators, brokers and administrators see every contract; a
    party sees its own."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=page_of(ContractSerializer))
    def get(self, request):
        qs = selectors.contract_register_rows(user=request.user)
        return numbered_page(self, request, qs, ContractSerializer)


class TurnoverSerializer(serializers.Serializer):
    region = serializers.CharField()
    region_name = serializers.CharField()
    region_name_en = serializers.CharField(allow_null=True)
    output_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    output_count = serializers.IntegerField()
    absorbed_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    absorbed_count = serializers.IntegerField()


class TurnoverQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class ContractTurnoverApi(APIView):
    """技术合同成交额 per region from registered contracts; signed-in members (aggregates
    only, no party named)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[TurnoverQuerySerializer], responses=TurnoverSerializer(many=True))
    def get(self, request):
        query = query_params(TurnoverQuerySerializer, request)
        rows = selectors.contract_turnover_by_region(year=query.get("year"))
        return Response(TurnoverSerializer(rows, many=True).data)
