"""API of listings: search and detail by tier, the owner's drafts and their way through the
secrecy and export review, the reviewer's queue, and the needs matched to a listing. Who sees how
much of a listing is its tier (rules.listing_tier); hidden listings answer 404 as if absent."""

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.pagination import numbered_page, page_of
from portal.api.represent import represent
from portal.api.serializers import NamedSerializer, RegionSerializer
from portal.api.views import ActionApi
from portal.errors import require
from portal.text import SEVERAL_LINES
from sharing.techmarket import rules, selectors, services
from sharing.techmarket.api.common import (
    MatchSerializer,
    ReadOpenly,
    list_query,
    listing_or_404,
)
from sharing.techmarket.models import (
    HighTechField,
    ListingReview,
    Patent,
    TechListing,
    TransferMode,
)


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


TIER_FIELDS = {
    rules.TEASER: frozenset([*TEASER_FIELDS, "region"]),
    rules.MEMBER: frozenset([*TEASER_FIELDS, "region", *MEMBER_FIELDS]),
    rules.FULL: frozenset([*TEASER_FIELDS, "region", *MEMBER_FIELDS, *FULL_FIELDS]),
}


class ListingPageSerializer(serializers.ListSerializer):
    """Decides the tiers of a whole page in two queries rather than two per listing."""

    def to_representation(self, data):
        listings = list(data.all() if hasattr(data, "all") else data)
        self.context.setdefault("_tiers", {}).update(
            rules.listing_tiers(user=self.context["request"].user, listings=listings)
        )
        return super().to_representation(listings)


class ListingSerializer(serializers.ModelSerializer):
    """One shape for every tier; fields above the reader's tier are left out of the output
    (and not computed: a teaser costs no query for files or reviews)."""

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
        list_serializer_class = ListingPageSerializer

    def get_tier(self, listing) -> str:
        return self._tier(listing)

    def _tier(self, listing) -> str:
        cache = self.context.setdefault("_tiers", {})
        if listing.pk not in cache:
            cache[listing.pk] = rules.listing_tier(
                user=self.context["request"].user, listing=listing
            )
        return cache[listing.pk]

    def to_representation(self, listing):
        tier = self._tier(listing)
        shown = TIER_FIELDS[tier]
        data = {}
        for field in self._readable_fields:
            if field.field_name not in shown:
                continue
            if field.field_name == "files":
                visible = rules.files_visible(tier=tier, files=listing.files.all())
                data["files"] = field.to_representation(visible)
                continue
            value = field.get_attribute(listing)
            data[field.field_name] = None if value is None else field.to_representation(value)
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


def _detail(request, listing: TechListing) -> Response:
    listing = selectors.listing_get(user=request.user, pk=listing.pk)
    return Response(ListingSerializer(listing, context={"request": request}).data)


def _write_data(serializer) -> tuple[dict, list | None]:
    data = dict(serializer.validated_data)
    patents = data.pop("patents", None)
    return data, patents


# The related rows a list page may show: field → what to prefetch for it.
_PREFETCHES = {"patents": "patents", "files": "files", "reviews": "reviews__reviewer"}


class ListingListCreateApi(ReadOpenly, APIView):
    """GET: anyone — published listings (teasers for anonymous visitors). POST: a technology
    owner drafts a listing for their organisation."""

    @extend_schema(
        operation_id="tech_listings_list",
        parameters=[ListingQuerySerializer],
        responses=page_of(ListingSerializer),
    )
    def get(self, request):
        query = list_query(ListingQuerySerializer, request)
        qs = selectors.listing_search(user=request.user, **query)
        if not query.get("q"):
            qs = qs.order_by("-published_at", "-id")

        def serialize(rows):
            tiers = rules.listing_tiers(user=request.user, listings=rows)
            # Only the relations a tier on this page shows: a page of teasers (every anonymous
            # visitor's) read patents, files and reviews for nothing, half its time.
            shown = set().union(*(TIER_FIELDS[tier] for tier in set(tiers.values())))
            prefetch_related_objects(
                rows, *(lookup for field, lookup in _PREFETCHES.items() if field in shown)
            )
            context = {"request": request, "_tiers": tiers}
            return represent(ListingSerializer, rows, context=context)

        return numbered_page(self, request, qs, ListingSerializer, serialize=serialize)

    @extend_schema(request=ListingWriteSerializer, responses={201: ListingSerializer})
    def post(self, request):
        serializer = ListingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, patents = _write_data(serializer)
        listing = services.listing_create(user=request.user, data=data, patents=patents)
        response = _detail(request, listing)
        response.status_code = status.HTTP_201_CREATED
        return response


class ListingDetailApi(ReadOpenly, APIView):
    """GET: anyone who may see it, at their tier. PATCH: its owner, while a draft."""

    @extend_schema(responses=ListingSerializer)
    def get(self, request, pk: int):
        return _detail(request, listing_or_404(request, pk))

    @extend_schema(request=ListingWriteSerializer, responses=ListingSerializer)
    def patch(self, request, pk: int):
        listing = listing_or_404(request, pk)
        serializer = ListingWriteSerializer(listing, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, patents = _write_data(serializer)
        listing = services.listing_update(
            user=request.user, listing=listing, data=data, patents=patents
        )
        return _detail(request, listing)


class _ListingAction(ActionApi):
    def get_object(self, request, pk: int):
        return listing_or_404(request, pk)

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
        require(rules.may_see_review_queue(user=request.user))
        qs = selectors.review_queue(user=request.user)
        return numbered_page(self, request, qs, ListingSerializer)


class ListingMatchesApi(APIView):
    """The needs matched to a listing, best first, each with why: the listing's owner, brokers,
    coordinators and administrators."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: page_of(MatchSerializer), 403: OpenApiResponse(description="forbidden")}
    )
    def get(self, request, pk: int):
        qs = selectors.matches_for_listing(user=request.user, listing=listing_or_404(request, pk))
        return numbered_page(self, request, qs, MatchSerializer)
