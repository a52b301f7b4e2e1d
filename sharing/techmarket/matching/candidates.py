"""Finding the candidates of a need or a listing through the GIN index, and ranking them by
the score (score.py): the top pairs of each side, best first."""

from django.db import connection
from django.utils import timezone

from sharing.techmarket import search
from sharing.techmarket.matching.corpus import Corpus, corpus
from sharing.techmarket.matching.score import (
    ListingSide,
    NeedSide,
    explain,
    regions_read_once,
    score_pair,
)
from sharing.techmarket.matching.terms import parse_vector, query_terms, term_frequencies
from sharing.techmarket.models import TechListing, TechNeed

TOP_K = 20  # Match rows kept per side
CANDIDATES = 100
QUERY_TERMS = 24
# The candidate query may let through about this many documents (Σ df of its terms), or this
# share of the corpus if more: see _tsquery.
CANDIDATE_BUDGET = 2_000
CANDIDATE_SHARE = 0.03


def need_side(need: TechNeed) -> NeedSide:
    return NeedSide(
        id=need.pk,
        field=need.hightech_field,
        section=need.industry_section,
        division=need.industry_division,
        region=need.region.name,
        # The raw candidate query brings it along; otherwise the organisation says.
        located=getattr(need, "located", None)
        if getattr(need, "located", None) is not None
        else need.organisation.location is not None,
        terms=query_terms(search.need_texts(need)),
        idf=None,
        trl_min=need.trl_min,
        trl_max=need.trl_max,
        modes=list(need.cooperation_modes),
    )


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery(terms: dict[str, float], stats: Corpus) -> str | None:
    """The most telling of the terms the corpus has, OR-ed, as long as together they are in at
    most CANDIDATE_BUDGET documents (by their document frequencies).

    The GIN index finds the documents of any OR of terms in milliseconds, but ranking them reads
    each one's row, so the number of rows the query lets through is what costs: a word in a
    fifth of 100,000 listings (激光) would make the candidate query read 20,000 rows and take
    over a second. A word that common tells little about which listing is meant, so it is left
    to the scoring, not used to find candidates. When every term is that common, the two most
    telling must be present in twos."""
    known = sorted(
        ((w * stats.idf(t), t) for t, w in terms.items() if stats.df.get(t)), reverse=True
    )
    if not known:
        return None
    budget = max(CANDIDATE_BUDGET, CANDIDATE_SHARE * stats.n)
    chosen, spent = [], 0
    for _weight, term in known:
        df = stats.df[term]
        if spent + df <= budget:
            chosen.append(term)
            spent += df
            if len(chosen) == QUERY_TERMS:
                break
    if not chosen:
        top = [_lexeme(t) for _w, t in known[:5]]
        if len(top) == 1:
            return top[0]
        return " | ".join(f"({a} & {b})" for i, a in enumerate(top) for b in top[i + 1 :])
    return " | ".join(_lexeme(t) for t in chosen)


# Table names from the models, values as parameters.
_LISTING_COLUMNS = f"""
    l.id, l.search_vector::text, length(l.search_vector), l.trl, l.transfer_modes,
    l.hightech_field, l.industry_section, l.industry_division, r.name,
    o.location IS NOT NULL,
    ST_Distance(o.location::geography, (SELECT location FROM accounts_organisation
                                        WHERE id = %(org)s)::geography)
    FROM {TechListing._meta.db_table} l
    JOIN accounts_organisation o ON o.id = l.organisation_id
    JOIN accounts_region r ON r.id = l.region_id
"""  # noqa: S608


def _listing_rows(sql: str, params: dict, wanted=None) -> list[tuple[ListingSide, float | None]]:
    """Listings as scoring needs them; with ``wanted``, only those terms' frequencies."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for pk, vector, dl, trl, modes, field, section, division, region, located, metres in rows:
        if wanted is None:
            tf, _n = parse_vector(vector)
        else:
            tf = term_frequencies(vector, wanted)
        side = ListingSide(
            id=pk,
            field=field,
            section=section,
            division=division,
            region=region,
            located=located,
            tf=tf,
            dl=dl,
            trl=trl,
            modes=list(modes or []),
        )
        out.append((side, metres))
    return out


def _candidate_listings(
    need: TechNeed, query: str, wanted
) -> list[tuple[ListingSide, float | None]]:
    sql = f"""
        WITH c AS (
            SELECT id FROM {TechListing._meta.db_table}, to_tsquery('simple', %(q)s) AS q
            WHERE status = 'published' AND search_vector @@ q
            ORDER BY ts_rank(search_vector, q) DESC, id DESC
            LIMIT %(limit)s
        )
        SELECT {_LISTING_COLUMNS} JOIN c ON c.id = l.id
    """  # noqa: S608
    return _listing_rows(
        sql, {"q": query, "limit": CANDIDATES, "org": need.organisation_id}, wanted
    )


def listings_by_id(need: TechNeed, ids) -> list[tuple[ListingSide, float | None]]:
    sql = f"SELECT {_LISTING_COLUMNS} WHERE l.id = ANY(%(ids)s) AND l.status = 'published'"
    return _listing_rows(sql, {"ids": list(ids), "org": need.organisation_id})


def rank_for_need(need: TechNeed, limit: int) -> list[tuple[int, float, dict]]:
    stats = corpus("listing")
    side = need_side(need)
    query = _tsquery(side.terms, stats)
    if query is None:
        return []
    side.idf = stats.idfs(side.terms)
    scored = [
        (listing.id, *score_pair(side, listing, metres, stats))
        for listing, metres in _candidate_listings(need, query, side.terms)
    ]
    scored.sort(key=lambda row: (-row[1], -row[0]))
    with regions_read_once():
        return [(pk, score, explain(reasons)) for pk, score, reasons in scored[:limit]]


def matches_for_need(need: TechNeed, limit: int = TOP_K) -> list[tuple[TechListing, float, dict]]:
    """The published listings that best answer a need, best first: (listing, score, reasons)."""
    ranked = rank_for_need(need, limit)
    listings = TechListing.objects.in_bulk([pk for pk, _s, _r in ranked])
    return [(listings[pk], score, reasons) for pk, score, reasons in ranked]


def rank_for_listing(listing: TechListing, limit: int) -> list[tuple[TechNeed, float, dict]]:
    need_stats = corpus("need")
    terms = query_terms(search.listing_texts(listing))
    query = _tsquery(terms, need_stats)
    if query is None:
        return []
    needs = list(
        TechNeed.objects.raw(
            f"""
            SELECT n.*, ST_Distance(o.location::geography, lo.location::geography) AS metres,
                   o.location IS NOT NULL AS located
            FROM {TechNeed._meta.db_table} n
            JOIN accounts_organisation o ON o.id = n.organisation_id,
                 accounts_organisation lo, to_tsquery('simple', %s) AS q
            WHERE lo.id = %s AND n.status = 'published' AND n.expires_on >= %s
              AND n.search_vector @@ q
            ORDER BY ts_rank(n.search_vector, q) DESC, n.id DESC
            LIMIT %s
            """,  # noqa: S608
            [query, listing.organisation_id, timezone.localdate(), CANDIDATES],
        ).prefetch_related("region")
    )
    if not needs:
        return []
    stats = corpus("listing")
    rows = _listing_rows(
        f"SELECT {_LISTING_COLUMNS} WHERE l.id = %(id)s",
        {"id": listing.pk, "org": listing.organisation_id},
    )
    listing_side = rows[0][0]
    scored = []
    for need in needs:
        score, reasons = score_pair(need_side(need), listing_side, need.metres, stats)
        scored.append((need, score, reasons))
    scored.sort(key=lambda row: (-row[1], -row[0].pk))
    with regions_read_once():
        return [(need, score, explain(reasons)) for need, score, reasons in scored[:limit]]


def matches_for_listing(
    listing: TechListing, limit: int = TOP_K
) -> list[tuple[TechNeed, float, dict]]:
    """The live published needs a listing best answers, best first: (need, score, reasons)."""
    return rank_for_listing(listing, limit)
