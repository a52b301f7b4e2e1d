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
candidates.py), the CANDIDATES best by ts_rank, re-scored here in Python. Measured at 100,000
listings: p50 40–70 ms, p95 100–190 ms a need (bench/RESULTS.md).

A pair's score is always computed from the need's side (need words against the listing's
vector, idf among listings), whichever side asked, so a Match row means the same thing whether
a published listing or a published need put it there.
"""

import math
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from portal.accounts.models import Region
from portal.i18n import join_list, local_name
from sharing.techmarket.matching.corpus import Corpus
from sharing.techmarket.models import HighTechField, TransferMode

WEIGHTS = {"keywords": 0.55, "field": 0.15, "trl": 0.12, "mode": 0.10, "distance": 0.08}
NEUTRAL = 0.5
K1, B = 1.2, 0.75
DISTANCE_SCALE_KM = 400.0
LICENCES = {
    TransferMode.LICENSE_EXCLUSIVE,
    TransferMode.LICENSE_SOLE,
    TransferMode.LICENSE_ORDINARY,
}


@dataclass
class Side:
    """What scoring needs of a listing or a need."""

    id: int
    field: str
    section: str
    division: str
    region: str
    located: bool  # the organisation has a point on the map


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
        return _("共同关键词：%(terms)s") % {"terms": join_list(shown)}

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
    return join_list(str(TransferMode(m).label) for m in modes if m in TransferMode.values)


# The regions by name while reasons are written (regions_read_once): the distance reason names
# one or two regions in each of two languages, and a query for each was two thirds of a match's
# time (about 50 queries for 20 pairs).
_regions: ContextVar[dict | None] = ContextVar("matching_regions", default=None)


@contextmanager
def regions_read_once():
    """Inside it, the regions are read once (a handful of rows) for every reason written."""
    token = _regions.set({})
    try:
        yield
    finally:
        _regions.reset(token)


def _region(name: str) -> str:
    """A region named in Chinese (as the sides carry it), in the language being written."""
    names = _regions.get()
    if names is None:
        region = Region.objects.filter(name=name).only("name", "name_en").first()
    else:
        if not names:
            names.update({r.name: r for r in Region.objects.only("name", "name_en")})
        region = names.get(name)
    return local_name(region) if region else name


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


def _unlocated(need: NeedSide, listing: ListingSide) -> str:
    """Which party has no point, said as it is: a sentence that blamed "one side" read as
    wrong to a firm that saw both parties placed in their regions."""
    if not need.located and not listing.located:
        missing = _("双方均未标注位置，距离按中性计")
    elif not need.located:
        missing = _("需求方未标注位置，距离按中性计")
    elif not listing.located:
        missing = _("成果方未标注位置，距离按中性计")
    else:  # a point the geography cannot measure: still neutral, never blamed on a party
        missing = _("距离无法计算，按中性计")
    if listing.region and listing.region == need.region:
        return _("同在%(region)s；%(missing)s") % {"region": listing.region, "missing": missing}
    return missing


def _distance(need: NeedSide, listing: ListingSide, metres: float | None) -> dict:
    if metres is None:
        return {"score": NEUTRAL, "km": None, "text": lambda: _unlocated(need, listing)}
    km = metres / 1000

    def text():
        if listing.region == need.region:
            return _("同在%(region)s，相距 %(km).0f 公里") % {
                "region": _region(listing.region),
                "km": km,
            }
        return _("相距 %(km).0f 公里（%(a)s—%(b)s）") % {
            "km": km,
            "a": _region(listing.region),
            "b": _region(need.region),
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


# The languages a reason is written in when stored: matches are computed in the background,
# and each reader sees the sentence in the language of the page.
REASON_LANGUAGES = ("zh-hans", "en")


def explain(reasons: dict) -> dict:
    """The reasons with their sentences written out, as Match.reasons stores them: "text" in
    Chinese, "texts" in every language of the portal."""
    for part in reasons.values():
        if callable(part["text"]):
            write = part["text"]
            texts = {}
            for language in REASON_LANGUAGES:
                with translation.override(language):
                    texts[language] = str(write())
            part["texts"] = texts
            part["text"] = texts["zh-hans"]
    return reasons
