"""API of listings and needs, and their matches. Who sees how much of a listing is its tier
(selectors.listing_tier); hidden objects answer 404 as if absent."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from portal.errors import Forbidden, NotFound
from portal.text import SEVERAL_LINES
from sharing.catalogue.api import NamedSerializer, RegionSerializer
from sharing.techmarket import selectors, services
from sharing.techmarket.models import (
    HighTechField,
    ListingReview,
    Match,
    Patent,
    TechListing,
    TechNeed,
    TransferMode,
)

# --- Serializers -------------------------------------------------------------------------------


class PatentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patent
        fields = ["number", "legal_status", "holder"]


class ListingFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj) -> str:
        return f"/api/tech/files/{obj.pk}/"


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")

    class Meta:
        model = ListingReview
        fields = [
            "decision",
            "secrecy_checked",
            "export_control_checked",
            "reason",
            "reviewer",
            "decided_at",
        ]


TEASER_FIELDS = ["id", "tier", "title", "abstract", "hightech_field", "industry_section", "trl"]
MEMBER_FIELDS = [
    "status",
    "key_points",
    "advantages",
    "applications",
    "specifications",
    "keywords",
    "industry_division",
    "strategic_industry",
    "trl_scale",
    "trl_evidence",
    "stage",
    "ip_type",
    "patents",
    "transfer_modes",
    "price",
    "price_negotiable",
    "pricing_route",
    "organisation",
    "confidentiality",
    "export_controlled",
    "declassified",
    "declassification_authority",
    "declassification_ref",
    "declassified_on",
    "published_at",
    "files",
]
FULL_FIELDS = ["contact_name", "contact_phone", "contact_email", "reviews"]


class ListingSerializer(serializers.ModelSerializer):
    """One shape for every tier; fields above the reader's tier are left out of the output."""

    tier = serializers.SerializerMethodField()
    region = RegionSerializer()
    organisation = NamedSerializer(required=False)
    patents = PatentSerializer(many=True, required=False)
    # Images for members; documents too at the full tier (filtered in to_representation).
    files = ListingFileSerializer(many=True, required=False)
    reviews = ReviewSerializer(many=True, required=False)

    class Meta:
        model = TechListing
        fields = [*TEASER_FIELDS, "region", *MEMBER_FIELDS, *FULL_FIELDS]
        extra_kwargs = {name: {"required": False} for name in MEMBER_FIELDS + FULL_FIELDS}

    def get_tier(self, listing) -> str:
        return self._tier(listing)

    def _tier(self, listing) -> str:
        cache = self.context.setdefault("_tiers", {})
        if listing.pk not in cache:
            cache[listing.pk] = selectors.listing_tier(
                user=self.context["request"].user, listing=listing
            )
        return cache[listing.pk]

    def to_representation(self, listing):
        data = super().to_representation(listing)
        tier = self._tier(listing)
        hidden = []
        if tier == selectors.TEASER:
            hidden = MEMBER_FIELDS + FULL_FIELDS
        elif tier == selectors.MEMBER:
            hidden = FULL_FIELDS
        for name in hidden:
            data.pop(name, None)
        if "files" in data:
            visible = selectors.files_visible(tier=tier, files=listing.files.all())
            data["files"] = ListingFileSerializer(visible, many=True).data
        return data


class ListingWriteSerializer(serializers.ModelSerializer):
    patents = PatentSerializer(many=True, required=False)

    class Meta:
        model = TechListing
        fields = [*sorted(services.LISTING_FIELDS), "patents"]


class ListingQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    hightech_field = serializers.ChoiceField(HighTechField.choices, required=False)
    industry_section = serializers.RegexField(r"^[A-T]$", required=False)
    region = serializers.CharField(required=False, max_length=32)
    trl_min = serializers.IntegerField(required=False, min_value=1, max_value=9)
    trl_max = serializers.IntegerField(required=False, min_value=1, max_value=9)
    transfer_mode = serializers.ChoiceField(TransferMode.choices, required=False)
    status = serializers.ChoiceField(TechListing.Status.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000)

    def validate(self, attrs):
        low, high = attrs.get("trl_min"), attrs.get("trl_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"trl_max": [_("最高成熟度不能低于最低成熟度。")]})
        return attrs


class DecisionAnswerSerializer(serializers.Serializer):
    """A reviewer's decision as made: a returned listing is a draft the reviewer no longer
    sees, so the answer is the decision and the listing's new status, not the listing."""

    listing = serializers.IntegerField(source="listing_id")
    status = serializers.CharField(source="listing.status")
    review = ReviewSerializer(source="*")


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(ListingReview.Decision.choices)
    reason = serializers.CharField(max_length=2000, validators=[SEVERAL_LINES])
    secrecy_checked = serializers.BooleanField(default=False)
    export_control_checked = serializers.BooleanField(default=False)
    confidentiality = serializers.ChoiceField(TechListing.Confidentiality.choices, required=False)


class CloseListingSerializer(serializers.Serializer):
    transferred = serializers.BooleanField(default=False)


class NeedSerializer(serializers.ModelSerializer):
    region = RegionSerializer(read_only=True)
    organisation = NamedSerializer(read_only=True)

    class Meta:
        model = TechNeed
        fields = [
            "id",
            "status",
            *sorted(services.NEED_FIELDS),
            "region",
            "organisation",
            "review_note",
            "published_at",
        ]
        read_only_fields = ["id", "status", "review_note", "published_at"]


class NeedQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(TechNeed.Status.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000)


class NeedDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", validators=[SEVERAL_LINES]
    )


class MatchSerializer(serializers.ModelSerializer):
    listing = inline_serializer(
        "MatchedListing", {"id": serializers.IntegerField(), "title": serializers.CharField()}
    )
    need = inline_serializer(
        "MatchedNeed", {"id": serializers.IntegerField(), "title": serializers.CharField()}
    )
    reasons = serializers.DictField()

    class Meta:
        model = Match
        fields = ["listing", "need", "score", "reasons", "computed_at"]

    def to_representation(self, match):
        return {
            "listing": {"id": match.listing_id, "title": match.listing.title},
            "need": {"id": match.need_id, "title": match.need.title},
            "score": round(match.score, 4),
            "reasons": match.reasons,
            "computed_at": match.computed_at.isoformat(),
        }


class Paginator(PageNumberPagination):
    """Pages by number without COUNT(*): a broad search would count every match to say how
    many pages there are. One row more than the page tells whether there is a next one."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request) or self.page_size
        try:
            self.number = max(1, int(request.query_params.get(self.page_query_param, 1)))
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.has_next = len(rows) > size
        return rows[:size]

    def get_paginated_response(self, data):
        url = self.request.build_absolute_uri()
        return Response(
            {
                "next": replace_query_param(url, self.page_query_param, self.number + 1)
                if self.has_next
                else None,
                "previous": replace_query_param(url, self.page_query_param, self.number - 1)
                if self.number > 1
                else None,
                "results": data,
            }
        )


_PAGES: dict[type, type] = {}


def page_of(serializer_class: type) -> type:
    """The response schema of a page of ``serializer_class`` (next, previous, results)."""
    if serializer_class not in _PAGES:
        name = serializer_class.__name__.removesuffix("Serializer")
        _PAGES[serializer_class] = type(
            f"{name}PageSerializer",
            (serializers.Serializer,),
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": serializer_class(many=True),
            },
        )
    return _PAGES[serializer_class]


def _page(view, request, qs, serializer_class, **kwargs):
    paginator = Paginator()
    page = paginator.paginate_queryset(qs, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}, **kwargs).data
    return paginator.get_paginated_response(data)


def _query(serializer_class, request) -> dict:
    # A plain dict, not the QueryDict: DRF reads "?field=" in a QueryDict as "not given", so a
    # blank filter would pass unnoticed instead of being refused.
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


def _listing(request, pk: int) -> TechListing:
    try:
        return selectors.listing_get(user=request.user, pk=pk)
    except TechListing.DoesNotExist:
        raise NotFound(_("成果不存在。")) from None


def _need(request, pk: int) -> TechNeed:
    try:
        return selectors.need_get(user=request.user, pk=pk)
    except TechNeed.DoesNotExist:
        raise NotFound(_("需求不存在。")) from None


def _detail(request, listing: TechListing) -> Response:
    listing = selectors.listing_get(user=request.user, pk=listing.pk)
    return Response(ListingSerializer(listing, context={"request": request}).data)


def _write_data(serializer) -> tuple[dict, list | None]:
    data = dict(serializer.validated_data)
    patents = data.pop("patents", None)
    return data, patents


# --- Listings ----------------------------------------------------------------------------------


class ListingListCreateApi(APIView):
    """GET: anyone — published listings (teasers for anonymous visitors). POST: a technology
    owner drafts a listing for their organisation."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        operation_id="tech_listings_list",
        parameters=[ListingQuerySerializer],
        responses=page_of(ListingSerializer),
    )
    def get(self, request):
        query = _query(ListingQuerySerializer, request)
        query.pop("page", None)
        if query.get("mine") and not request.user.is_authenticated:
            raise Forbidden(_("请先登录。"))
        qs = selectors.listing_search(user=request.user, **query)
        if not query.get("q"):
            qs = qs.order_by("-published_at", "-id")
        return _page(self, request, qs.prefetch_related("patents"), ListingSerializer)

    @extend_schema(request=ListingWriteSerializer, responses={201: ListingSerializer})
    def post(self, request):
        serializer = ListingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, patents = _write_data(serializer)
        listing = services.listing_create(user=request.user, data=data, patents=patents)
        response = _detail(request, listing)
        response.status_code = status.HTTP_201_CREATED
        return response


class ListingDetailApi(APIView):
    """GET: anyone who may see it, at their tier. PATCH: its owner, while a draft."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(responses=ListingSerializer)
    def get(self, request, pk: int):
        return _detail(request, _listing(request, pk))

    @extend_schema(request=ListingWriteSerializer, responses=ListingSerializer)
    def patch(self, request, pk: int):
        listing = _listing(request, pk)
        serializer = ListingWriteSerializer(listing, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, patents = _write_data(serializer)
        listing = services.listing_update(
            user=request.user, listing=listing, data=data, patents=patents
        )
        return _detail(request, listing)


class ActionApi(APIView):
    """POST .../<pk>/<verb>/: the object as the reader may see it (404 otherwise), the optional
    input checked, the service called, and the object answered as it is now."""

    permission_classes = [permissions.IsAuthenticated]
    input_serializer: type[serializers.Serializer] | None = None

    def get_object(self, request, pk: int):
        raise NotImplementedError

    def act(self, request, obj, data):
        """Call the service; return the object to answer with, or None for ``obj``."""
        raise NotImplementedError

    def respond(self, request, obj) -> Response:
        raise NotImplementedError

    def post(self, request, pk: int):
        obj = self.get_object(request, pk)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = self.act(request, obj, data)
        return self.respond(request, obj if result is None else result)


class _ListingAction(ActionApi):
    def get_object(self, request, pk: int):
        return _listing(request, pk)

    def respond(self, request, obj) -> Response:
        return _detail(request, obj)


@extend_schema(request=None, responses=ListingSerializer)
class ListingSubmitApi(_ListingAction):
    """The owner submits a complete draft for secrecy and export-control review."""

    def act(self, request, listing, data):
        return services.listing_submit(user=request.user, listing=listing)


@extend_schema(request=None, responses=ListingSerializer)
class ListingWithdrawApi(_ListingAction):
    """The owner takes a submitted listing back before review starts."""

    def act(self, request, listing, data):
        return services.listing_withdraw(user=request.user, listing=listing)


@extend_schema(request=None, responses=ListingSerializer)
class ListingReviewStartApi(_ListingAction):
    """A reviewer (not of the owning organisation) takes the listing into review."""

    def act(self, request, listing, data):
        return services.listing_review_start(user=request.user, listing=listing)


@extend_schema(request=DecisionSerializer, responses=DecisionAnswerSerializer)
class ListingDecideApi(_ListingAction):
    """A reviewer publishes or returns the listing, with the reason and the checks made;
    answered with the decision (a returned draft is the owner's alone)."""

    input_serializer = DecisionSerializer

    def act(self, request, listing, data):
        listing = services.listing_decide(user=request.user, listing=listing, **data)
        return listing.reviews.select_related("listing", "reviewer").latest("decided_at", "pk")

    def respond(self, request, review) -> Response:
        return Response(DecisionAnswerSerializer(review).data)


@extend_schema(request=CloseListingSerializer, responses=ListingSerializer)
class ListingCloseApi(_ListingAction):
    """The owner closes a published listing, or marks it transferred."""

    input_serializer = CloseListingSerializer

    def act(self, request, listing, data):
        return services.listing_close(user=request.user, listing=listing, **data)


class ReviewQueueApi(APIView):
    """Reviewers: listings waiting for review or in review, oldest first."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=page_of(ListingSerializer))
    def get(self, request):
        if not request.user.has_role("reviewer"):
            raise Forbidden(_("只有审核员可以查看审查队列。"))
        return _page(self, request, selectors.review_queue(user=request.user), ListingSerializer)


# --- Needs -------------------------------------------------------------------------------------


class NeedListCreateApi(APIView):
    """GET: anyone — published needs (and a firm's own with mine=true). POST: a firm user."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        operation_id="tech_needs_list",
        parameters=[NeedQuerySerializer],
        responses=page_of(NeedSerializer),
    )
    def get(self, request):
        query = _query(NeedQuerySerializer, request)
        query.pop("page", None)
        if query.get("mine") and not request.user.is_authenticated:
            raise Forbidden(_("请先登录。"))
        qs = selectors.need_list(user=request.user, **query)
        return _page(self, request, qs, NeedSerializer)

    @extend_schema(request=NeedSerializer, responses={201: NeedSerializer})
    def post(self, request):
        serializer = NeedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        need = services.need_create(user=request.user, data=dict(serializer.validated_data))
        return Response(NeedSerializer(need).data, status=status.HTTP_201_CREATED)


class NeedDetailApi(APIView):
    """GET: anyone who may see it. PATCH: the firm that posted it, while a draft."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(responses=NeedSerializer)
    def get(self, request, pk: int):
        return Response(NeedSerializer(_need(request, pk)).data)

    @extend_schema(request=NeedSerializer, responses=NeedSerializer)
    def patch(self, request, pk: int):
        need = _need(request, pk)
        serializer = NeedSerializer(need, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        need = services.need_update(
            user=request.user, need=need, data=dict(serializer.validated_data)
        )
        return Response(NeedSerializer(need).data)


class _NeedAction(ActionApi):
    def get_object(self, request, pk: int):
        return _need(request, pk)

    def respond(self, request, obj) -> Response:
        return Response(NeedSerializer(obj).data)


@extend_schema(request=None, responses=NeedSerializer)
class NeedSubmitApi(_NeedAction):
    """The firm submits its draft need for the light review."""

    def act(self, request, need, data):
        return services.need_submit(user=request.user, need=need)


@extend_schema(request=NeedDecisionSerializer, responses=NeedSerializer)
class NeedDecideApi(_NeedAction):
    """A reviewer publishes the need or returns it with a note."""

    input_serializer = NeedDecisionSerializer

    def act(self, request, need, data):
        return services.need_decide(user=request.user, need=need, **data)


@extend_schema(request=None, responses=NeedSerializer)
class NeedCloseApi(_NeedAction):
    """The firm closes its need."""

    def act(self, request, need, data):
        return services.need_close(user=request.user, need=need)


# --- Matches -----------------------------------------------------------------------------------


class ListingMatchesApi(APIView):
    """The needs matched to a listing, best first, each with why: the listing's owner, brokers,
    coordinators and administrators."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: page_of(MatchSerializer), 403: OpenApiResponse(description="forbidden")}
    )
    def get(self, request, pk: int):
        qs = selectors.matches_for_listing(user=request.user, listing=_listing(request, pk))
        return _page(self, request, qs, MatchSerializer)


class NeedMatchesApi(APIView):
    """The listings matched to a need, best first, each with why: the firm that posted it,
    brokers, coordinators and administrators."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: page_of(MatchSerializer), 403: OpenApiResponse(description="forbidden")}
    )
    def get(self, request, pk: int):
        qs = selectors.matches_for_need(user=request.user, need=_need(request, pk))
        return _page(self, request, qs, MatchSerializer)
