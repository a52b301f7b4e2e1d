"""Matching of needs and listings, with a score a person can read.

score = Σ weight × component, each component in [0, 1] and stored with its weight and a sentence
in Match.reasons:

- keywords (0.55): how much of what the need says the listing also says. The need's jieba tokens
  (search mode, the same tokens as the stored vectors, plus the thesaurus concepts of search.py),
  stopwords and meaningless single characters dropped, each weighted by where the need says it
  (title and keywords 1.0, problem 0.5, target specifications 0.25) and by its rarity among
  published listings (BM25's idf). Each term found in the listing counts with BM25's saturated
  term frequency (k1 1.2, b 0.75, the listing's field weights as term frequency), capped at one
  mention in a title of average length, so the component is the idf-weighted share of the need's
  vocabulary that the listing covers: 1.0 means it covers all of it.
  Why BM25-coverage rather than cosine of TF-IDF: cosine is divided by the listing's whole
  vector, so a listing that explains itself at length scores lower for the same shared words,
  and the number has no reading a firm understands; coverage says "the listing speaks to x of
  your words, the rare ones counting most". Why the idf from ts_stat over all published
  listings rather than from the candidates: the candidates all share the query's words, so their
  own frequencies would call the most relevant words common.
- field (0.15): the same high-tech field; the same industry division (a section alone: half).
- trl (0.12): 1 inside the need's readiness window, halving per level outside it.
- mode (0.10): the need accepts a transfer mode the listing offers (a different kind of licence:
  0.6); a need that names no mode is neutral (0.5).
- distance (0.08): exp(-km / 400) between the organisations, measured on the geography in
  PostGIS; 绵阳—北碚 (~270 km) is 0.5, across town near 1. Cross-region deals are the programme's
  point, so distance only breaks ties. A missing location is neutral (0.5).

Candidates come from the GIN index: an OR tsquery of the need's most telling terms (highest
weight × idf, while their document frequencies add up to at most CANDIDATE_BUDGET, see
_tsquery), the CANDIDATES best by ts_rank, re-scored here in Python. Measured at 100,000
listings: p50 40–70 ms, p95 100–190 ms a need (bench/RESULTS.md).

A pair's score is always computed from the need's side (need words against the listing's
vector, idf among listings), whichever side asked, so a Match row means the same thing whether
a published listing or a published need put it there.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing.bookings.notifications import notify
from sharing.catalogue.text import segment
from sharing.techmarket import search
from sharing.techmarket.models import HighTechField, Match, TechListing, TechNeed, TransferMode

WEIGHTS = {"keywords": 0.55, "field": 0.15, "trl": 0.12, "mode": 0.10, "distance": 0.08}
NEUTRAL = 0.5
TOP_K = 20  # Match rows kept per side
STORE_MIN = 0.25  # below this a pair is not worth a row
NOTIFY_MIN = 0.5  # a new pair at or above this is told to both parties
CANDIDATES = 100
QUERY_TERMS = 24
# The candidate query may let through about this many documents (Σ df of its terms), or this
# share of the corpus if more: see _tsquery.
CANDIDATE_BUDGET = 2_000
CANDIDATE_SHARE = 0.03
FIELD_WEIGHTS = {"A": 1.0, "B": 0.5, "C": 0.35, "D": 0.25}
K1, B = 1.2, 0.75
DISTANCE_SCALE_KM = 400.0
LICENCES = {
    TransferMode.LICENSE_EXCLUSIVE,
    TransferMode.LICENSE_SOLE,
    TransferMode.LICENSE_ORDINARY,
}

# Words every listing and need uses: they say nothing about which technology is meant.
STOPWORDS = frozenset(
    """
    一种 一个 一些 以及 以上 以下 以内 及其 其中 其他 我们 我司 公司 企业 单位 本 该 等 和 与 或 及
    的 了 在 是 为 对 将 把 被 从 由 于 中 上 下 可 能 可以 能够 需要 需 要 希望 想 希望得到
    寻求 寻找 找 获得 引进 引入 提供 实现 进行 采用 利用 通过 使用 基于 具有 具备 达到
    大于 小于 超过 低于
    不 无 有 多 少 高 低 大 小 好 新 现 现有 目前 已 已经 仍 还 也 都 很 较 更 最 非常 技术 方法
    系统 装置 设备 方案 工艺 产品 问题 解决 需求 要求 相关 主要 包括 方面 领域 应用 用于 适用 适合
    研究 研发 开发 合作 项目 国内 国外 国际 行业 市场 能力 水平 效果 提高 提升 降低 减少 增加
    明显 显著 有效 方式 情况 过程 条件 作用 功能 结构 性能 质量 成本 效率 时间 周期 以上 左右
    实现了 完成 形成 建立 同时 并 并且 而且 但 但是 如果 因此 所以 其 这 那 这些 那些 每 各 个
    """.split()  # noqa: SIM905 (a list literal of 180 words would be 180 lines)
)
# Single characters that do name something (elements, materials, crops); all others are dropped.
MEANINGFUL_SINGLE = frozenset(
    "氢氦锂铍硼碳氮氧氟钠镁铝硅磷硫氯钾钙钛钒铬锰铁钴镍铜锌镓锗砷硒锆铌钼银锡"
    "锑钨铂金铅铀钢膜胶漆瓷酶菌茶桑蚕橘橙柚稻麦猪牛羊鱼药光声热磁电波雷"
)
_NOISE = re.compile(r"^(?:[\d.]+|[a-zμ]{1,2}|mpa|gpa|ghz|mhz|khz|mah|kwh|ppm|mm2|nm)$")
_LEXEME = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


def keep_term(token: str) -> bool:
    if token in STOPWORDS or _NOISE.match(token):
        return False
    if len(token) == 1:
        return token in MEANINGFUL_SINGLE
    return True


def query_terms(groups: dict[str, list[str]]) -> dict[str, float]:
    """token → weight of the most important field that says it (title 1.0 … specs 0.25)."""
    terms: dict[str, float] = {}
    for weight, texts in groups.items():
        w = FIELD_WEIGHTS[weight]
        for text in texts:
            if not text:
                continue
            for token in (*segment(text), *search.concepts(text)):
                if keep_term(token) and terms.get(token, 0.0) < w:
                    terms[token] = w
    return terms


def _weight_of(positions: str) -> float:
    return sum(FIELD_WEIGHTS[p[-1] if p[-1] in "ABC" else "D"] for p in positions.split(","))


def term_frequencies(text: str | None, wanted) -> dict[str, float]:
    """Σ field weight of the positions of each wanted lexeme in a tsvector's text form: a find
    per wanted term, several times quicker than parsing the whole vector."""
    tf: dict[str, float] = {}
    if not text:
        return tf
    for term in wanted:
        needle = "'" + term.replace("'", "''") + "':"
        at = text.find(needle)
        while at > 0 and text[at - 1] != " ":
            at = text.find(needle, at + 1)
        if at < 0:
            continue
        start = at + len(needle)
        end = text.find(" ", start)
        tf[term] = _weight_of(text[start:] if end < 0 else text[start:end])
    return tf


def parse_vector(text: str | None) -> tuple[dict[str, float], int]:
    """A tsvector's text form → (lexeme → Σ field weight of its positions, number of lexemes)."""
    tf: dict[str, float] = {}
    if not text:
        return tf, 0
    for lexeme, positions in _LEXEME.findall(text):
        lexeme = lexeme.replace("''", "'")
        if positions:
            tf[lexeme] = _weight_of(positions)
        else:
            tf[lexeme] = FIELD_WEIGHTS["D"]
    return tf, len(tf)


# --- corpus statistics -----------------------------------------------------------------------


@dataclass
class Corpus:
    n: int
    avgdl: float
    df: dict[str, int]

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def idfs(self, terms) -> dict[str, float]:
        return {t: self.idf(t) for t in terms}


def _live(kind: str) -> str:
    """The SQL condition of a live document; the date is the portal's (Asia/Shanghai), not the
    database session's, which is UTC and a day behind in the small hours."""
    if kind == "listing":
        return "status = 'published'"
    return f"status = 'published' AND expires_on >= '{timezone.localdate().isoformat()}'"


_TABLES = {"listing": TechListing._meta.db_table, "need": TechNeed._meta.db_table}
# Below this many documents the statistics are computed afresh each time (milliseconds); above,
# they are cached and reused while the corpus has changed by at most 1 % and for at most 6 h:
# idf hardly moves with a few more documents, and ts_stat over 100,000 vectors takes seconds.
SMALL_CORPUS = 1_000
CORPUS_TTL = 6 * 3600
_local: dict[str, tuple[float, Corpus]] = {}


def _size(kind: str) -> int:
    """How big the corpus is: the planner's row estimate of the table (free) when it is large,
    the exact count of live documents when it is small. Only compared with itself, to notice
    that the corpus grew or shrank."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [_TABLES[kind]]
        )
        estimate = cursor.fetchone()[0]
        if estimate >= SMALL_CORPUS:
            return estimate
        cursor.execute(f"SELECT count(*) FROM {_TABLES[kind]} WHERE {_live(kind)}")  # noqa: S608
        return cursor.fetchone()[0]


def _compute_corpus(kind: str) -> Corpus:
    table, live = _TABLES[kind], _live(kind)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(avg(length(search_vector)), 0) FROM {table} WHERE {live}"  # noqa: S608
        )
        n, avgdl = cursor.fetchone()
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat(%s)",
            [f"SELECT search_vector FROM {table} WHERE {live} AND search_vector IS NOT NULL"],  # noqa: S608
        )
        df = dict(cursor.fetchall())
    return Corpus(n=n, avgdl=float(avgdl) or 1.0, df=df)


def corpus(kind: str) -> Corpus:
    """Document frequencies among the live listings (or needs), for idf."""
    n = _size(kind)
    if n < SMALL_CORPUS:
        return _compute_corpus(kind)
    key = f"techmarket:corpus:v2:{connection.settings_dict['NAME']}:{kind}"
    now = time.time()

    def fresh(entry):
        return entry and now - entry[0] < CORPUS_TTL and abs(entry[1] - n) <= 0.01 * n

    entry = _local.get(key)
    if not fresh(entry):
        entry = cache.get(key)
        if not fresh(entry):
            entry = (now, n, _compute_corpus(kind))
            cache.set(key, entry, CORPUS_TTL)
        _local[key] = entry
    return entry[2]


def cached_corpus(kind: str) -> Corpus | None:
    """The corpus statistics if some process already computed them (never computes: for
    requests, which must not wait seconds for ts_stat)."""
    key = f"techmarket:corpus:v2:{connection.settings_dict['NAME']}:{kind}"
    entry = _local.get(key)
    if entry is None or time.time() - entry[0] > CORPUS_TTL:
        entry = cache.get(key)
        if entry is None:
            return None
        _local[key] = entry
    return entry[2]


def forget_corpus() -> None:
    _local.clear()


# --- the components --------------------------------------------------------------------------


@dataclass
class Side:
    """What scoring needs of a listing or a need."""

    id: int
    field: str
    section: str
    division: str
    region: str


@dataclass
class ListingSide(Side):
    tf: dict[str, float]
    dl: int
    trl: int
    modes: list[str]


@dataclass
class NeedSide(Side):
    terms: dict[str, float]
    idf: dict[str, float] | None
    trl_min: int
    trl_max: int
    modes: list[str]


# Each component returns its score and, as a function, its sentence: translating and formatting
# the sentences of every candidate cost more than scoring them, and only the shown ones need it.


def _keywords(need: NeedSide, listing: ListingSide, stats: Corpus) -> dict:
    norm = K1 * (1 - B + B * listing.dl / stats.avgdl)
    # The most a term can earn: one mention in a title, in a listing of average length.
    cap = (K1 + 1) / (1 + K1)
    total = gained = 0.0
    shared = []
    idf = need.idf if need.idf is not None else stats.idfs(need.terms)
    for term, w in need.terms.items():
        weight = w * idf[term]
        total += weight
        tf = listing.tf.get(term)
        if tf:
            earned = min(1.0, tf * (K1 + 1) / (tf + norm) / cap)
            gained += weight * earned
            shared.append((weight * earned, term))
    score = gained / total if total else 0.0
    # Words inside longer shared words (纤维 in 碳纤维) add nothing a reader needs.
    names = [t for _, t in sorted(shared, reverse=True)]
    shown = [t for t in names if not any(t != o and t in o for o in names)][:6]

    def text():
        if not shown:
            return _("没有共同关键词")
        return _("共同关键词：%(terms)s") % {"terms": "、".join(shown)}

    return {"score": score, "terms": shown, "text": text}


def _field(need: NeedSide, listing: ListingSide) -> dict:
    parts = []
    if need.field and listing.field:
        parts.append(1.0 if need.field == listing.field else 0.0)
    same_section = need.section == listing.section
    if need.section and listing.section:
        if same_section and need.division and need.division == listing.division:
            parts.append(1.0)
        else:
            parts.append(0.5 if same_section else 0.0)
    if not parts:
        return {"score": NEUTRAL, "text": lambda: _("领域和行业信息不全，按中性计")}

    def text():
        said = []
        if need.field and listing.field:
            label = HighTechField(listing.field).label
            if need.field == listing.field:
                said.append(_("同属%(field)s领域") % {"field": label})
            else:
                other = HighTechField(need.field).label
                said.append(_("领域不同（成果：%(a)s，需求：%(b)s）") % {"a": label, "b": other})
        if need.section and listing.section:
            code = listing.section + listing.division
            if same_section and need.division and need.division == listing.division:
                said.append(_("行业大类 %(code)s") % {"code": code})
            elif same_section:
                said.append(_("同属行业门类 %(code)s") % {"code": listing.section})
            else:
                theirs = need.section + need.division
                said.append(_("行业不同（%(a)s / %(b)s）") % {"a": code, "b": theirs})
        return " / ".join(said)

    return {"score": sum(parts) / len(parts), "text": text}


def _trl(need: NeedSide, listing: ListingSide) -> dict:
    trl, low, high = listing.trl, need.trl_min, need.trl_max
    values = {"trl": trl, "low": low, "high": high}
    if low <= trl <= high:
        return {
            "score": 1.0,
            "text": lambda: _("成熟度 %(trl)s 在需求范围 %(low)s–%(high)s 内") % values,
        }
    values["gap"] = gap = low - trl if trl < low else trl - high

    def text():
        if trl < low:
            return _("成熟度 %(trl)s 低于需求下限 %(low)s，差 %(gap)s 级") % values
        return _("成熟度 %(trl)s 高于需求上限 %(high)s，差 %(gap)s 级") % values

    return {"score": 0.5**gap, "text": text}


def _labels(modes) -> str:
    return "、".join(str(TransferMode(m).label) for m in modes if m in TransferMode.values)


def _mode(need: NeedSide, listing: ListingSide) -> dict:
    if not need.modes:
        return {"score": NEUTRAL, "text": lambda: _("需求未限定合作方式，按中性计")}
    if not listing.modes:
        return {"score": NEUTRAL, "text": lambda: _("成果未写明转化方式，按中性计")}
    common = [m for m in listing.modes if m in need.modes]
    if common:
        return {
            "score": 1.0,
            "text": lambda: _("转化方式相符：%(modes)s") % {"modes": _labels(common)},
        }
    if LICENCES & set(need.modes) and LICENCES & set(listing.modes):
        return {
            "score": 0.6,
            "text": lambda: (
                _("许可类型不同：需求为%(need)s，成果为%(listing)s")
                % {
                    "need": _labels(m for m in need.modes if m in LICENCES),
                    "listing": _labels(m for m in listing.modes if m in LICENCES),
                }
            ),
        }
    return {
        "score": 0.0,
        "text": lambda: (
            _("转化方式不符：需求为%(need)s，成果提供%(listing)s")
            % {"need": _labels(need.modes), "listing": _labels(listing.modes)}
        ),
    }


def _distance(need: NeedSide, listing: ListingSide, metres: float | None) -> dict:
    if metres is None:
        return {"score": NEUTRAL, "km": None, "text": lambda: _("一方未标注位置，距离按中性计")}
    km = metres / 1000

    def text():
        if listing.region == need.region:
            return _("同在%(region)s，相距 %(km).0f 公里") % {"region": listing.region, "km": km}
        return _("相距 %(km).0f 公里（%(a)s—%(b)s）") % {
            "km": km,
            "a": listing.region,
            "b": need.region,
        }

    return {"score": math.exp(-km / DISTANCE_SCALE_KM), "km": round(km, 1), "text": text}


def score_pair(
    need: NeedSide, listing: ListingSide, metres: float | None, stats: Corpus
) -> tuple[float, dict]:
    """(score, reasons) of a pair; each reason's "text" is still a function: explain() it."""
    reasons = {
        "keywords": _keywords(need, listing, stats),
        "field": _field(need, listing),
        "trl": _trl(need, listing),
        "mode": _mode(need, listing),
        "distance": _distance(need, listing, metres),
    }
    total = 0.0
    for name, part in reasons.items():
        part["score"] = round(min(1.0, max(0.0, part["score"])), 3)
        part["weight"] = WEIGHTS[name]
        total += part["score"] * WEIGHTS[name]
    return round(min(1.0, max(0.0, total)), 4), reasons


def explain(reasons: dict) -> dict:
    """The reasons with their sentences written out, as Match.reasons stores them."""
    for part in reasons.values():
        if callable(part["text"]):
            part["text"] = part["text"]()
    return reasons


# --- reading the two sides -------------------------------------------------------------------


def need_side(need: TechNeed) -> NeedSide:
    return NeedSide(
        id=need.pk,
        field=need.hightech_field,
        section=need.industry_section,
        division=need.industry_division,
        region=need.region.name,
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
    for pk, vector, dl, trl, modes, field, section, division, region, metres in rows:
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


def _listings_by_id(need: TechNeed, ids) -> list[tuple[ListingSide, float | None]]:
    sql = f"SELECT {_LISTING_COLUMNS} WHERE l.id = ANY(%(ids)s) AND l.status = 'published'"
    return _listing_rows(sql, {"ids": list(ids), "org": need.organisation_id})


def _rank_for_need(need: TechNeed, limit: int) -> list[tuple[int, float, dict]]:
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
    return [(pk, score, explain(reasons)) for pk, score, reasons in scored[:limit]]


def matches_for_need(need: TechNeed, limit: int = TOP_K) -> list[tuple[TechListing, float, dict]]:
    """The published listings that best answer a need, best first: (listing, score, reasons)."""
    ranked = _rank_for_need(need, limit)
    listings = TechListing.objects.in_bulk([pk for pk, _s, _r in ranked])
    return [(listings[pk], score, reasons) for pk, score, reasons in ranked]


def _rank_for_listing(listing: TechListing, limit: int) -> list[tuple[TechNeed, float, dict]]:
    need_stats = corpus("need")
    terms = query_terms(search.listing_texts(listing))
    query = _tsquery(terms, need_stats)
    if query is None:
        return []
    needs = list(
        TechNeed.objects.raw(
            f"""
            SELECT n.*, ST_Distance(o.location::geography, lo.location::geography) AS metres
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
    return [(need, score, explain(reasons)) for need, score, reasons in scored[:limit]]


def matches_for_listing(
    listing: TechListing, limit: int = TOP_K
) -> list[tuple[TechNeed, float, dict]]:
    """The live published needs a listing best answers, best first: (need, score, reasons)."""
    return _rank_for_listing(listing, limit)


# --- keeping Match rows ----------------------------------------------------------------------


def _need_live(need: TechNeed) -> bool:
    return need.status == TechNeed.Status.PUBLISHED and need.expires_on >= timezone.localdate()


def _save(pairs: list[tuple[int, int, float, dict]]) -> None:
    """Upsert (listing_id, need_id, score, reasons), in key order so two tasks writing
    overlapping pairs take their row locks in the same order."""
    rows = [
        Match(listing_id=lid, need_id=nid, score=score, reasons=reasons)
        for lid, nid, score, reasons in sorted(pairs, key=lambda p: (p[0], p[1]))
    ]
    if rows:
        Match.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["listing", "need"],
            update_fields=["score", "reasons", "computed_at"],
        )


def _still_wanted_by_need(need_id: int, listing_id: int, score: float) -> bool:
    """A pair this listing no longer ranks in its top K stays while the need still does."""
    better = (
        Match.objects.filter(need_id=need_id, score__gt=score)
        .exclude(listing_id=listing_id)
        .count()
    )
    return score >= STORE_MIN and better < TOP_K


def _still_wanted_by_listing(listing_id: int, need_id: int, score: float) -> bool:
    better = (
        Match.objects.filter(listing_id=listing_id, score__gt=score)
        .exclude(need_id=need_id)
        .count()
    )
    return score >= STORE_MIN and better < TOP_K


def _tell(listing: TechListing, need: TechNeed, score: float, reasons: dict) -> None:
    """Both parties, once per pair (the outbox key makes a second call a no-op)."""
    why = "\n".join(part["text"] for part in reasons.values())
    extra = f"m{listing.pk}:{need.pk}"
    notify(
        kind="tech_match",
        user=listing.created_by,
        subject=_("您的成果匹配到技术需求：%(title)s") % {"title": need.title},
        body=_("成果“%(listing)s”与需求“%(need)s”匹配度 %(score).0f%%。")
        % {"listing": listing.title, "need": need.title, "score": score * 100}
        + "\n"
        + why,
        extra=extra,
    )
    notify(
        kind="tech_match",
        user=need.created_by,
        subject=_("您的需求匹配到两用技术成果：%(title)s") % {"title": listing.title},
        body=_("需求“%(need)s”与成果“%(listing)s”匹配度 %(score).0f%%。")
        % {"listing": listing.title, "need": need.title, "score": score * 100}
        + "\n"
        + why,
        extra=extra,
    )


@transaction.atomic
def need_rematch(*, need_id: int) -> int:
    """Recompute a need's matches: upsert its top K, drop its stale pairs (unless the listing
    still ranks the need in its own top K), tell both parties of new good pairs. Returns the
    number of Match rows the need has afterwards. Safe to run twice."""
    need = (
        TechNeed.objects.select_related("organisation", "region", "created_by")
        .filter(pk=need_id)
        .first()
    )
    if need is None:
        return 0
    if not _need_live(need):
        Match.objects.filter(need=need).delete()
        return 0
    ranked = [row for row in _rank_for_need(need, TOP_K) if row[1] >= STORE_MIN]
    _save([(lid, need.pk, score, reasons) for lid, score, reasons in ranked])
    kept = {lid for lid, _s, _r in ranked}
    stale = set(
        Match.objects.filter(need=need)
        .exclude(listing_id__in=kept)
        .values_list("listing_id", flat=True)
    )
    if stale:
        stats = corpus("listing")
        side = need_side(need)
        rescored = {
            listing.id: score_pair(side, listing, metres, stats)
            for listing, metres in _listings_by_id(need, stale)
        }
        keep = {
            lid: sr for lid, sr in rescored.items() if _still_wanted_by_listing(lid, need.pk, sr[0])
        }
        _save([(lid, need.pk, s, explain(r)) for lid, (s, r) in keep.items()])
        Match.objects.filter(need=need, listing_id__in=stale - set(keep)).delete()
    good = [(lid, s, r) for lid, s, r in ranked if s >= NOTIFY_MIN]
    if good:
        listings = TechListing.objects.select_related("created_by").in_bulk([g[0] for g in good])
        for lid, score, reasons in good:
            _tell(listings[lid], need, score, reasons)
    TechNeed.objects.filter(pk=need.pk).update(matched_at=timezone.now())
    return Match.objects.filter(need=need).count()


@transaction.atomic
def listing_rematch(*, listing_id: int) -> int:
    """Recompute a listing's matches, as need_rematch does for a need. Returns the number of
    Match rows the listing has afterwards."""
    listing = (
        TechListing.objects.select_related("organisation", "region", "created_by")
        .filter(pk=listing_id)
        .first()
    )
    if listing is None:
        return 0
    if listing.status != TechListing.Status.PUBLISHED:
        Match.objects.filter(listing=listing).delete()
        return 0
    ranked = [row for row in _rank_for_listing(listing, TOP_K) if row[1] >= STORE_MIN]
    _save([(listing.pk, need.pk, score, reasons) for need, score, reasons in ranked])
    kept = {need.pk for need, _s, _r in ranked}
    stale = (
        Match.objects.filter(listing=listing)
        .exclude(need_id__in=kept)
        .select_related("need__region")
    )
    if stale:
        stats = corpus("listing")
        keep, drop = [], []
        for match in stale:
            need = match.need
            rows = _listings_by_id(need, [listing.pk]) if _need_live(need) else []
            if rows:
                score, reasons = score_pair(need_side(need), rows[0][0], rows[0][1], stats)
                if _still_wanted_by_need(need.pk, listing.pk, score):
                    keep.append((listing.pk, need.pk, score, explain(reasons)))
                    continue
            drop.append(match.pk)
        _save(keep)
        Match.objects.filter(pk__in=drop).delete()
    for need, score, reasons in ranked:
        if score >= NOTIFY_MIN:
            _tell(listing, need, score, reasons)
    TechListing.objects.filter(pk=listing.pk).update(matched_at=timezone.now())
    return Match.objects.filter(listing=listing).count()
