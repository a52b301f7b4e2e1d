"""Reads of the technology exchange: search, queues, pipeline, indicators. How much of a
listing a person sees (its tier) is rules.listing_tier."""

from decimal import Decimal

from django.contrib.postgres.search import SearchQuery
from django.db.models import Count, F, FloatField, Func, Q, QuerySet, Sum, Value

from portal.accounts.models import User
from portal.errors import require
from sharing.catalogue.text import normalise, precise, tsquery_text
from sharing.techmarket import rules
from sharing.techmarket.models import (
    Inquiry,
    ListingFile,
    Match,
    ServiceRequest,
    TechContract,
    TechListing,
    TechNeed,
)


def listing_file_get(*, user: User, pk: int) -> ListingFile:
    """A file the person may download, or ListingFile.DoesNotExist (404: hidden is absent)."""
    item = ListingFile.objects.select_related("listing").get(pk=pk)
    if not TechListing.objects.for_user(user).filter(pk=item.listing_id).exists():
        raise ListingFile.DoesNotExist
    tier = rules.listing_tier(user=user, listing=item.listing)
    if item not in rules.files_visible(tier=tier, files=[item]):
        raise ListingFile.DoesNotExist
    return item


def listing_get(*, user: User, pk: int) -> TechListing:
    """A listing the person may know exists, or DoesNotExist (404: hidden is absent)."""
    return (
        TechListing.objects.for_user(user)
        .select_related("organisation", "region", "created_by")
        .prefetch_related("patents", "files", "reviews__reviewer")
        .get(pk=pk)
    )


def listing_search(
    *,
    user: User,
    q: str | None = None,
    hightech_field: str | None = None,
    industry_section: str | None = None,
    region: str | None = None,
    trl_min: int | None = None,
    trl_max: int | None = None,
    transfer_mode: str | None = None,
    status: str | None = None,
    mine: bool = False,
) -> QuerySet[TechListing]:
    """Listings the person may see, filtered; with ``q`` each row carries ``rank``."""
    qs = TechListing.objects.for_user(user).select_related("organisation", "region")
    if mine:
        qs = qs.filter(
            Q(created_by=user) | Q(organisation_id=user.organisation_id, organisation__isnull=False)
        )
    elif not status:
        qs = qs.filter(status=TechListing.Status.PUBLISHED)
    if status:
        qs = qs.filter(status=status)
    if hightech_field:
        qs = qs.filter(hightech_field=hightech_field)
    if industry_section:
        qs = qs.filter(industry_section=industry_section)
    if region:
        qs = qs.filter(Q(region__code=region) | Q(region__adcode=region))
    if trl_min is not None:
        qs = qs.filter(trl__gte=trl_min)
    if trl_max is not None:
        qs = qs.filter(trl__lte=trl_max)
    if transfer_mode:
        qs = qs.filter(transfer_modes__contains=[transfer_mode])
    if q and q.strip():
        raw = tsquery_text(q)
        if not raw:
            return qs.none().annotate(rank=Value(0.0, output_field=FloatField()))
        query = SearchQuery(raw, search_type="raw", config="simple")
        # RUM's distance (1 / its cover-density rank) is computed from the positions stored in
        # listing_search_rum: ordered by it alone with a LIMIT, PostgreSQL reads a page of rows
        # instead of every match's. A second key (id) would make PostgreSQL 15 sort all the
        # matches again, so ties come in the index's order (the same from page to page when
        # checked on the bench, as long as the listings do not change in between).
        distance = Func(
            F("search_vector"),
            query,
            template="(%(expressions)s)",
            arg_joiner=" <=> ",
            output_field=FloatField(),
        )
        qs = (
            qs.filter(search_vector=query)
            .alias(distance=distance)
            .annotate(rank=Value(1.0, output_field=FloatField()) / F("distance"))
        )
        if _broad(q):
            # Even from the index, ranking 90,000 matches (技术 at 100,000 listings) takes over
            # 100 ms: a word this common lists the newest matches first, which PostgreSQL finds
            # by walking the published index until a page is full.
            return qs.order_by("-published_at", "-id")
        qs = qs.order_by("distance")
    return qs


# A query whose rarest word is in more listings than this is broad (see listing_search): RUM
# ranks a match from the index in about 1.3 µs (90,000 matches of 技术 in 117 ms), so 20,000
# matches fit a 50 ms page with room for a loaded machine.
BROAD_QUERY = 20_000


def _broad(q: str) -> bool:
    """Whether every word of the query is in more than BROAD_QUERY published listings, by the
    document frequencies matching keeps cached; without them (a cold cache) never broad."""
    from sharing.techmarket.matching import cached_corpus

    stats = cached_corpus("listing")
    if stats is None or stats.n <= BROAD_QUERY:
        return False
    words = [w for w in normalise(q).split() if w]
    counts = []
    for word in words:
        pieces = precise(word)
        # A word jieba splits must have all its pieces: at most as common as the rarest.
        counts.append(min((stats.df.get(p, 0) for p in pieces), default=0))
    return bool(counts) and min(counts) > BROAD_QUERY


def review_queue(*, user: User) -> QuerySet[TechListing]:
    """Submitted and in-review listings, oldest first; a reviewer's own organisation excluded."""
    qs = TechListing.objects.filter(
        status__in=[TechListing.Status.SUBMITTED, TechListing.Status.REVIEW]
    ).select_related("organisation", "region")
    if user.organisation_id:
        qs = qs.exclude(organisation_id=user.organisation_id)
    return qs.order_by("submitted_at", "id")


def need_review_queue(*, user: User | None = None) -> QuerySet[TechNeed]:
    qs = TechNeed.objects.filter(status=TechNeed.Status.SUBMITTED).select_related(
        "organisation", "region"
    )
    if user is not None and user.organisation_id:
        qs = qs.exclude(organisation_id=user.organisation_id)
    return qs.order_by("updated_at", "id")


def need_get(*, user: User, pk: int) -> TechNeed:
    return TechNeed.objects.for_user(user).select_related("organisation", "region").get(pk=pk)


def need_list(*, user: User, mine: bool = False, status: str | None = None) -> QuerySet[TechNeed]:
    qs = TechNeed.objects.for_user(user).select_related("organisation", "region")
    if mine:
        qs = qs.filter(Q(created_by=user) | Q(organisation_id=user.organisation_id))
    elif not status:
        qs = qs.filter(status=TechNeed.Status.PUBLISHED)
    if status:
        qs = qs.filter(status=status)
    return qs


def inquiry_list(*, user: User, stage: str | None = None) -> QuerySet[Inquiry]:
    qs = Inquiry.objects.for_user(user).select_related(
        "listing", "need", "firm", "broker", "created_by"
    )
    if stage:
        qs = qs.filter(stage=stage)
    return qs


def pipeline(*, user: User) -> dict[str, list[Inquiry]]:
    """A broker's inquiries by stage, in the order of the board's columns."""
    qs = inquiry_list(user=user)
    if rules.sees_only_own_cards(user=user):
        qs = qs.filter(broker=user)
    board: dict[str, list[Inquiry]] = {stage: [] for stage in Inquiry.Stage.values}
    for inquiry in qs.order_by("updated_at"):
        board[inquiry.stage].append(inquiry)
    return board


def contract_register_rows(*, user: User) -> QuerySet[TechContract]:
    """The register: coordinators, brokers and administrators see all; parties their own."""
    qs = TechContract.objects.select_related("inquiry__listing", "seller", "buyer")
    if rules.sees_every_contract(user=user):
        return qs
    if not user.organisation_id:
        return qs.none()
    return qs.filter(Q(seller_id=user.organisation_id) | Q(buyer_id=user.organisation_id))


def contract_turnover_by_region(*, year: int | None = None) -> list[dict]:
    """技术合同成交额 per region, registered contracts only: what each region's organisations
    sold (技术输出) and bought (技术吸纳), in 万元."""
    qs = TechContract.objects.filter(registered_on__isnull=False)
    if year:
        qs = qs.filter(registered_on__year=year)
    out = {
        row["seller__region__code"]: row
        for row in qs.values(
            "seller__region__code", "seller__region__name", "seller__region__name_en"
        ).annotate(amount=Sum("amount"), count=Count("id"))
    }
    absorbed = {
        row["buyer__region__code"]: row
        for row in qs.values(
            "buyer__region__code", "buyer__region__name", "buyer__region__name_en"
        ).annotate(amount=Sum("amount"), count=Count("id"))
    }
    rows = []
    for code in sorted(set(out) | set(absorbed)):
        sold = out.get(code, {})
        bought = absorbed.get(code, {})
        rows.append(
            {
                "region": code,
                "region_name": sold.get("seller__region__name")
                or bought.get("buyer__region__name"),
                "region_name_en": sold.get("seller__region__name_en")
                or bought.get("buyer__region__name_en"),
                "output_amount": sold.get("amount") or Decimal("0"),
                "output_count": sold.get("count", 0),
                "absorbed_amount": bought.get("amount") or Decimal("0"),
                "absorbed_count": bought.get("count", 0),
            }
        )
    return rows


def service_requests(*, user: User) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.select_related("requester", "organisation", "handler")
    if rules.is_centre_staff(user):
        return qs
    return qs.filter(requester=user)


def service_request_subjects(*, user: User) -> tuple[QuerySet[TechListing], QuerySet[TechNeed]]:
    """What a person may name in a service request: the listings and needs they act for as
    owner (the service checks the same), never a colleague's draft they may not see."""
    listings = TechListing.objects.for_user(user).owned_by(user).order_by("-id")
    needs = TechNeed.objects.for_user(user).owned_by(user).order_by("-id")
    return listings, needs


def matches_for_listing(*, user: User, listing: TechListing) -> QuerySet[Match]:
    """The needs matched to a listing that ``user`` may see, best first."""
    require(rules.may_see_listing_matches(user=user, listing=listing))
    return (
        Match.objects.filter(listing=listing, need__in=TechNeed.objects.for_user(user))
        .select_related("listing", "need")
        .order_by("-score", "id")
    )


def matches_for_need(*, user: User, need: TechNeed) -> QuerySet[Match]:
    """The listings matched to a need that ``user`` may see, best first."""
    require(rules.may_see_need_matches(user=user, need=need))
    return (
        Match.objects.filter(need=need, listing__in=TechListing.objects.for_user(user))
        .select_related("listing", "need")
        .order_by("-score", "id")
    )
