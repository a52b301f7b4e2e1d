from django.db.models import Count, Q

from geo import selectors as geo_selectors
from portal.accounts.models import Organisation, Region
from portal.api.cursors import cursor_decode, cursor_encode
from portal.api.keyset import kinds
from sharing.bookings import rules as bookings_rules
from sharing.catalogue import selectors as catalogue_selectors
from sharing.catalogue.models import Instrument, InstrumentClass, Platform


def region_summaries():
    return Region.objects.annotate(
        organisation_count=Count("organisations", distinct=True),
        platform_count=Count("platforms", distinct=True),
    ).order_by("adcode")


def platforms(*, region: str = "", kind: str = "", zone: str = ""):
    """Platforms with their live instrument count and the zones of 一圈一廊一带 they stand in
    (``zone_names``, from the spatial query, not stored), filtered by region, kind and zone."""
    qs = Platform.objects.select_related("region", "host").annotate(
        instrument_count=Count("instruments", filter=Q(instruments__withdrawn_at__isnull=True))
    )
    if region:
        qs = qs.filter(region__code=region)
    if kind:
        qs = qs.filter(kind=kind)
    if zone:
        qs = qs.filter(pk__in=geo_selectors.platform_geo_search(zone=zone).values("pk"))
    rows = list(qs.order_by("region__adcode", "kind", "name"))
    zones = list(geo_selectors.zone_list())
    for platform in rows:
        platform.zones = (
            [z for z in zones if z.geometry.intersects(platform.location)]
            if platform.location
            else []
        )
    return rows


# Catalogue pages. Withdrawn instruments keep their detail page (links to them live on elsewhere)
# but are left out of every list.

CATALOGUE_LIST_LIMIT = 50


def _live_instruments():
    return Instrument.objects.filter(withdrawn_at__isnull=True).select_related(
        "organisation", "region", "category"
    )


def instrument_detail(instrument_id: int) -> Instrument | None:
    return (
        Instrument.objects.select_related(
            "organisation__region", "platform__region", "region", "category"
        )
        .filter(pk=instrument_id)
        .first()
    )


def organisation_detail(organisation_id: int) -> Organisation | None:
    return Organisation.objects.select_related("region").filter(pk=organisation_id).first()


def organisation_platforms(organisation: Organisation):
    return organisation.platforms.select_related("region").order_by("name")


def organisation_instruments(organisation: Organisation, *, limit: int = CATALOGUE_LIST_LIMIT):
    """The first `limit` live instruments and whether there are more (one extra row, no COUNT)."""
    rows = list(_live_instruments().filter(organisation=organisation).order_by("id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def platform_detail(platform_id: int) -> Platform | None:
    return Platform.objects.select_related("region", "host").filter(pk=platform_id).first()


def platform_instruments(platform: Platform, *, limit: int = CATALOGUE_LIST_LIMIT):
    rows = list(_live_instruments().filter(platform=platform).order_by("id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def instrument_classes():
    return InstrumentClass.objects.order_by("code")


def regions():
    return Region.objects.order_by("adcode")


def instrument_search_page(*, user, filters: dict, cursor: str | None, size: int):
    """One page of the catalogue search and the cursor of the next page (None on the last).

    Ranked by relevance when there are keywords, else by id; keyset paging in either case,
    so no COUNT and no OFFSET however deep the reader goes. The cursor is the API's signed
    token: one the page did not write raises InvalidCursor.
    """
    ordering = "relevance" if filters.get("q") else "id"
    scope = catalogue_selectors.cursor_scope(ordering)
    after = None
    if cursor:
        keys = catalogue_selectors.ordering_keys(ordering)
        after = cursor_decode(cursor, scope=scope, kinds=kinds(keys))
    only_bookable = filters.pop("bookable", False)
    queryset = catalogue_selectors.instrument_search(user=user, **filters)
    if only_bookable:
        queryset = bookings_rules.bookable(queryset)
    rows, position = catalogue_selectors.instrument_page(
        queryset, ordering=ordering, after=after, size=size, q=filters.get("q")
    )
    bookable_ids = set(
        bookings_rules.bookable(Instrument.objects.filter(pk__in=[r.pk for r in rows])).values_list(
            "pk", flat=True
        )
    )
    for row in rows:
        row.bookable = row.pk in bookable_ids
    return rows, (cursor_encode(scope=scope, position=position) if position is not None else None)


def zones():
    return geo_selectors.zone_list()
