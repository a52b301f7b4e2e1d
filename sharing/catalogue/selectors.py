"""Reads of the instrument catalogue: search, filters, keyset pages."""

import datetime
import json
from collections.abc import Callable
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    FloatField,
    Func,
    Lookup,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Lower
from django.utils.translation import gettext as _

from portal.accounts.models import Organisation
from portal.api.keyset import SortKey, after_position, by_id, keyset_page, ordered
from portal.errors import NotFound
from portal.privacy import mask_email, mask_name, mask_phone
from sharing.catalogue.models import Instrument
from sharing.catalogue.text import normalise, tsquery_text
from sharing.catalogue.vocabulary import compact

# pg_trgm's index only helps from three characters on; shorter words go through the tsvector.
TRIGRAM_MIN_LENGTH = 3


class ILike(Lookup):
    """``lhs ILIKE rhs`` as written, so the gin_trgm_ops indexes on name and model apply
    (Django's icontains compiles to UPPER(x) LIKE UPPER(y), which they cannot serve)."""

    lookup_name = "ilike"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", (*lhs_params, *rhs_params)


class Like(Lookup):
    """``lhs LIKE rhs`` without Django's ``::text`` cast, for the varchar_pattern_ops index."""

    lookup_name = "like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", (*lhs_params, *rhs_params)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _base() -> QuerySet[Instrument]:
    # Every relation the list, the detail and the export show, joined in the one query; the
    # organisation's and platform's points are never shown with an instrument, and making two
    # geometries a row was a fifth of a list answer's time. Nor is the search vector (often the
    # widest column) or the feed row's hash: the query uses them, no reader does.
    return (
        Instrument.objects.filter(withdrawn_at__isnull=True)
        .select_related("category", "organisation", "platform", "region")
        .defer("organisation__location", "platform__location", "search_vector", "row_hash")
    )


def applicable_rate(*, user) -> Case | F:
    """The hourly rate that applies to this user, as an expression over Instrument.

    Own organisation → rate_internal; a firm → rate_firm; same region → rate_same_region;
    anyone else, and anonymous visitors → rate_other_region. The organisation is read in a
    subquery so that choosing the rate never costs a query of its own.
    """
    if user is None or not user.is_authenticated or not user.organisation_id:
        return F("rate_other_region")
    own = Organisation.objects.filter(pk=user.organisation_id)
    return Case(
        When(organisation_id=user.organisation_id, then=F("rate_internal")),
        When(Exists(own.filter(kind=Organisation.Kind.FIRM)), then=F("rate_firm")),
        When(region_id=Subquery(own.values("region_id")[:1]), then=F("rate_same_region")),
        default=F("rate_other_region"),
    )


def _compacted(field: str) -> Func:
    """The column as vocabulary.compact writes an ASCII text: lower case, letters and digits."""
    return Func(
        Lower(field),
        Value("[^a-z0-9]+"),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=CharField(),
    )


def _exact(text: str) -> Case:
    """What comes first: the instrument whose own code the query is, then those of the
    classification code, then the model number (spelt with or without spaces and hyphens)."""
    joined = compact(text)
    spelt = joined.isascii() and bool(joined)
    return Case(
        When(internal_code__iexact=text, then=Value(8.0)),
        *([When(Q(code_compact=joined), then=Value(8.0))] if spelt else []),
        When(category_code=text, then=Value(6.0)),
        When(model__iexact=text, then=Value(4.0)),
        *([When(Q(model_compact=joined), then=Value(4.0))] if spelt else []),
        When(model__istartswith=text, then=Value(1.0)),
        default=Value(0.0),
    )


def _search(qs: QuerySet[Instrument], q: str, *, any_word: bool = False) -> QuerySet[Instrument]:
    """Full-text over the jieba tsvector (widened by the vocabulary), or a trigram ILIKE on
    name and model for model numbers and fragments; ranked with exact codes and model numbers
    first. ``any_word``: any of the words instead of all of them (for _is_broad)."""
    text = normalise(q)
    raw = tsquery_text(text, widen=True)
    if raw and any_word:
        raw = raw.replace(" & ", " | ")
    matches = Q()
    rank = Value(0.0)
    if raw:
        query = SearchQuery(raw, search_type="raw", config="simple")
        matches |= Q(search_vector=query)
        rank = SearchRank(F("search_vector"), query, cover_density=True, normalization=32)
    if len(text) >= TRIGRAM_MIN_LENGTH:
        pattern = Value(f"%{_like_escape(text)}%", output_field=CharField())
        matches |= Q(ILike(F("name"), pattern)) | Q(ILike(F("model"), pattern))
        rank = rank + Greatest(TrigramSimilarity("name", text), TrigramSimilarity("model", text))
    if not matches:
        # Nothing searchable in q (only punctuation): no hits, but the same shape as a search.
        return qs.annotate(rank=Value(0.0, output_field=FloatField())).none()
    # float8, so that the value a cursor carries compares equal to the one recomputed.
    return (
        qs.filter(matches)
        .alias(code_compact=_compacted("internal_code"), model_compact=_compacted("model"))
        .annotate(rank=Cast(_exact(text) + rank, output_field=FloatField()))
    )


def instrument_search(
    *,
    user,
    q: str | None = None,
    category: str | None = None,
    region: str | None = None,
    organisation: int | None = None,
    platform: int | None = None,
    sharing_mode: str | None = None,
    status: str | None = None,
    max_rate: Decimal | None = None,
) -> QuerySet[Instrument]:
    """Instruments on offer (not withdrawn) matching every given filter.

    ``category`` is a classification-code prefix (01, 0101, 010102); ``region`` a Region code
    or adcode; ``status`` the running status; ``max_rate`` bounds the rate that applies to
    ``user`` (see applicable_rate; an instrument without that rate does not pass). With ``q``
    each row carries ``rank`` (higher is better). Every row carries ``applicable_rate``.
    """
    qs = _base().annotate(applicable_rate=applicable_rate(user=user))
    if category:
        qs = qs.filter(Like(F("category_code"), Value(f"{_like_escape(category)}%")))
    if region:
        qs = qs.filter(Q(region__code=region) | Q(region__adcode=region))
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation)
    if platform is not None:
        qs = qs.filter(platform_id=platform)
    if sharing_mode:
        qs = qs.filter(sharing_mode=sharing_mode)
    if status:
        qs = qs.filter(running_status=status)
    if max_rate is not None:
        qs = qs.filter(applicable_rate__lte=max_rate)
    if q and q.strip():
        qs = _search(qs, q)
    return qs


_CONTACT_MASKS = {
    "contact_name": mask_name,
    "contact_phone": mask_phone,
    "contact_email": mask_email,
}


def contact_field(instrument: Instrument, name: str, *, masked: bool) -> str:
    """One of the instrument's contact fields as a reader sees it: masked (张**, 138****5678)
    for those rules.may_see_contacts keeps them from."""
    return contact_value(getattr(instrument, name), name, masked=masked)


def contact_value(value: str, name: str, *, masked: bool) -> str:
    """contact_field for the value of the column ``name`` (a lean list reads no instrument)."""
    return _CONTACT_MASKS[name](value) if masked else value


def instrument_get(*, pk: int, user=None) -> Instrument:
    instrument = _base().annotate(applicable_rate=applicable_rate(user=user)).filter(pk=pk).first()
    if instrument is None:
        raise NotFound(_("仪器不存在或已撤回。"))
    return instrument


# --- Keyset pages --------------------------------------------------------------------------


_LOW_DATE, _HIGH_DATE = datetime.date(1, 1, 1), datetime.date(9999, 12, 31)
_LOW_VALUE, _HIGH_VALUE = Decimal("-1"), Decimal("10000000000")  # outside max_digits=12, dp=2

# Nullable columns sort through a sentinel so that nulls come last either way and the keyset
# comparison never meets a NULL.
ORDERINGS: dict[str, tuple[SortKey, ...]] = {
    "relevance": (SortKey("rank", F("rank"), descending=True, kind=float),),
    "id": (),
    "-id": (),
    "name": (SortKey("k_name", F("name"), kind=str),),
    "-name": (SortKey("k_name", F("name"), descending=True, kind=str),),
    "original_value": (
        SortKey("k_value", Coalesce("original_value", Value(_HIGH_VALUE)), kind=Decimal),
    ),
    "-original_value": (
        SortKey(
            "k_value",
            Coalesce("original_value", Value(_LOW_VALUE)),
            descending=True,
            kind=Decimal,
        ),
    ),
    "in_service_date": (
        SortKey("k_date", Coalesce("in_service_date", Value(_HIGH_DATE)), kind=datetime.date),
    ),
    "-in_service_date": (
        SortKey(
            "k_date",
            Coalesce("in_service_date", Value(_LOW_DATE)),
            descending=True,
            kind=datetime.date,
        ),
    ),
}


def _keys(ordering: str) -> tuple[SortKey, ...]:
    # id breaks ties in the ordering's own direction and makes every position unique.
    return (*ORDERINGS[ordering], by_id(descending=ordering == "-id"))


def ordering_keys(ordering: str) -> tuple[SortKey, ...]:
    """The keys a cursor for ``ordering`` carries, in order (for decoding a cursor)."""
    return _keys(ordering)


def cursor_scope(ordering: str) -> str:
    """The scope of a cursor into the instruments in ``ordering`` (portal.api.cursors): a
    cursor written for another ordering, or another list, is refused."""
    return f"instruments:{ordering}"


# Ranking reads every match: a heap row each (about 1.5 KB wide), ts_rank_cd and, for words of
# three characters or more, two similarity() calls. At a million instruments a common word
# matches 10,000–115,000 of them and took 0.3–2.3 s (bench/RESULTS.md, issue 17). A search
# whose words PostgreSQL expects to match more than RANKED_MAX instruments (an upper bound, see
# _is_broad) lists its matches in catalogue order (by id) instead: it then walks the primary key
# until a page is full, at a cost that no longer grows with the matches. Below it the ranking
# is exact, as before.
RANKED_MAX = 2000
# The rank every row of such a broad search carries. Ranks are never negative, so the cursor
# itself says which way its pages go: a search that crosses RANKED_MAX between two pages keeps
# the order its first page had, and no row is skipped or repeated.
BROAD_RANK = -1.0


def expected_matches(qs: QuerySet) -> float:
    """How many rows PostgreSQL expects ``qs`` to have: the planner's estimate, no execution.

    Counting instead (up to RANKED_MAX + 1) cost as much as the ranking it was to spare: the
    planner scans sequentially or walks the primary key for a common word, reading up to a
    hundred thousand wide rows, or builds the whole GIN bitmap (lossy past 4 MB of work_mem,
    then JIT-compiled). A word's estimate comes from the search vector's statistics, which
    keep the frequencies of its most common lexemes (migration 0004 keeps about 5,000 of them
    at a million rows): a common word is estimated within a few per cent, a word outside the
    list at half the least frequency in it (about 180 rows at a million). An estimate that is
    too low only costs the old ranking's time; one too high, a longer walk."""
    if qs.query.is_empty():
        return 0
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Plan"]["Plan Rows"]


def _is_broad(q: str | None, after: list | None) -> bool:
    if after is not None:
        return after[0] < 0
    if not q:
        return False
    # An upper bound of the matches, as the planner sees them. Before the filters: it
    # multiplies a word's frequency by the filters' as if unrelated, while a word and its class
    # go together (质谱 in class 01: 1,200 expected, 15,000 there). With any word for every
    # word: it multiplies the frequencies of words that must all match as if unrelated too,
    # while the pieces of one term go together (液相 & 色谱: 335 expected, 7,918 there).
    anywhere = Instrument.objects.filter(withdrawn_at__isnull=True)
    return expected_matches(_search(anywhere, q, any_word=True)) > RANKED_MAX


def _narrow_page(
    qs: QuerySet[Instrument],
    keys: tuple[SortKey, ...],
    after: list | None,
    size: int,
    columns: Callable[[QuerySet], QuerySet],
) -> tuple[list[Instrument], list | None]:
    """keyset_page, but the page's ids are chosen by a narrow query (the id and the rank of each
    match, none of the joined or displayed columns), and only those rows are read whole: when
    the planner sorts the matches (every one, to rank them, or because it expected few), they
    are not joined to their organisation, class, platform and region first."""
    chosen = ordered(qs, keys)
    if after is not None:
        chosen = chosen.filter(after_position(keys, after))
    ids = chosen.values("pk")[: size + 1]
    # The columns only for the page's own rows: a lean list's .values() joins the class and
    # organisation, which in the query choosing the ids turned the planner from walking
    # the primary key to sorting every match (光谱 in class 01 at Mianyang: 25 → 240 ms).
    rows = list(ordered(columns(qs.filter(pk__in=ids)), keys))
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]
    # Model rows, or the dicts of a lean list (portal.api.lean).
    if isinstance(last, dict):
        return rows, [last[k.name] for k in keys]
    return rows, [getattr(last, k.name) for k in keys]


def instrument_page(
    qs: QuerySet[Instrument],
    *,
    ordering: str,
    after: list | None,
    size: int,
    q: str | None = None,
    columns: Callable[[QuerySet], QuerySet] | None = None,
) -> tuple[list[Instrument], list | None]:
    """One page of ``qs`` in ``ordering`` after the position ``after`` (see keyset_page).

    By relevance (``q`` the search's words, as given to instrument_search): ranked while
    PostgreSQL expects the words to match at most RANKED_MAX instruments, else in catalogue
    order with every row's rank BROAD_RANK (see there). ``columns``, when given, narrows the
    final query (a lean list's ``.values()``), after the rank is settled."""
    keys = _keys(ordering)
    narrowed = columns or (lambda qs: qs)
    if ordering != "relevance":
        return keyset_page(narrowed(qs), keys=keys, after=after, size=size)
    if _is_broad(q, after):
        broad = qs.annotate(rank=Value(BROAD_RANK, output_field=FloatField()))
        return _narrow_page(broad, keys, after, size, narrowed)
    return _narrow_page(qs, keys, after, size, narrowed)


def instrument_export_rows(
    qs: QuerySet[Instrument], *, ordering: str, limit: int, chunk_size: int = 2000
):
    """The rows of an export in ``ordering``, at most ``limit``, streamed from a server-side
    cursor ``chunk_size`` rows at a time so memory stays flat whatever the size."""
    return ordered(qs, _keys(ordering))[:limit].iterator(chunk_size=chunk_size)
