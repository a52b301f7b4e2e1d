"""Chinese text for search: jieba segmentation into a `simple` tsvector, and queries against it.

The tsvector is built here as its literal text form (``'token':1A ...``), so the importer can
COPY it without calling a database function per row, and segmentation of repeated values
(instrument names, functions) is cached.
"""

import re
import threading
import unicodedata
from functools import lru_cache

import jieba

from sharing.catalogue import vocabulary
from sharing.catalogue.vocabulary import compact

jieba.setLogLevel(60)  # jieba logs its dictionary load at INFO on every process start
_initialised = False

# Words an instrument catalogue uses that jieba's general dictionary splits badly.
CATALOGUE_WORDS = [
    "电镜",
    "质谱",
    "质谱仪",
    "光谱",
    "光谱仪",
    "色谱",
    "色谱仪",
    "显微",
    "显微镜",
    "衍射仪",
    "核磁共振",
    "波谱仪",
    "能谱",
    "能谱仪",
    "拉曼",
    "荧光",
    "流式细胞仪",
    "热重",
    "差示扫描量热仪",
    "量热",
    "量热仪",
    "粒度仪",
    "比表面",
    "孔隙度",
    "原子力",
    "共聚焦",
    "测序仪",
    "离心机",
    "示波器",
    "频谱仪",
    "网络分析仪",
    "三坐标",
    "探伤仪",
    "光刻机",
    "激光器",
    "超算",
    "液质",
    "气质",
    "红外",
]

_KEEP = re.compile(r"\w", re.UNICODE)


# The web worker warms the dictionary up in a thread (portal.startup.web_boot) while requests
# are served: a search that comes first waits here for the words rather than segmenting without.
_dictionary_lock = threading.Lock()


def _ensure_dictionary() -> None:
    global _initialised
    if _initialised:
        return
    with _dictionary_lock:
        if not _initialised:
            for word in [*CATALOGUE_WORDS, *vocabulary.brand_words()]:
                jieba.add_word(word, freq=20000)
            _initialised = True


def warm_up() -> None:
    """Load jieba's dictionary now rather than in the first search a web worker serves (about
    1.5 s on these machines)."""
    _ensure_dictionary()
    jieba.initialize()


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width, lower case, collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


# Han characters (with the CJK extension blocks) are segmented by jieba; everything else splits on
# non-word characters. Splitting first means the Chinese runs of a text ("分辨率", "放大倍数")
# repeat across rows far more than whole texts do, so the cache below answers most of them.
_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=262_144)
def _cut_han(run: str) -> tuple[str, ...]:
    _ensure_dictionary()
    return tuple(t for t in jieba.cut_for_search(run, HMM=False) if t.strip())


def segment(text: str) -> tuple[str, ...]:
    """Search tokens of a text: jieba's search mode for Chinese, which also yields the short
    words inside long ones (显微镜 → 显微, 显微镜); letters and digits as words; no punctuation."""
    if not text:
        return ()
    tokens: list[str] = []
    for i, run in enumerate(_RUNS.split(normalise(text))):
        if i % 2:
            tokens.extend(_cut_han(run))
        elif run:
            tokens.extend(_WORDS.findall(run))
    return tuple(tokens)


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


# Which fields of an instrument weigh how much in ranking: names most, specifications least.
WEIGHTS = {
    "name": "A",
    "name_en": "A",
    "internal_code": "A",
    "category_code": "A",
    "model": "B",
    "manufacturer": "B",
    "category": "B",
    "functions": "C",
    "services": "C",
    "specifications": "D",
}


# Names, makers, classes and queries repeat across rows and requests and are kept whole; a long
# text (functions, services, specifications) seldom repeats, and keeping 131,072 of them was
# over 100 MB of an import's memory for few hits: its Chinese runs are still cached (_cut_han).
_KEPT_WHOLE = 64


def segmented(text: str) -> str:
    """Search tokens joined by spaces: PostgreSQL's `simple` parser then keeps each one whole."""
    if len(text) <= _KEPT_WHOLE:
        return _segmented_kept(text)
    return " ".join(segment(text))


@lru_cache(maxsize=131_072)
def _segmented_kept(text: str) -> str:
    return " ".join(segment(text))


_LETTERS_OR_DIGITS = re.compile(r"[a-z]+|[0-9]+")


def model_tokens(model: str) -> str:
    """A model number's tokens, spelt the ways people type it: SU-8020 also as su8020, and
    SU8020 also as su and 8020, so that "SU 8020", "SU8020" and "SU-8020" all find it."""
    words = segment(model)
    extra = []
    for word in words:
        parts = _LETTERS_OR_DIGITS.findall(word) if word.isascii() else []
        if len(parts) > 1:
            extra += [part for part in parts if len(part) > 1]
    if len(words) > 1:
        extra.append(compact(model))
    return " ".join([*words, *extra])


def code_token(code: str) -> str:
    """A code (internal code, classification code) as one token, found whole or not at all:
    SWUST-FX-2019-001 → swustfx2019001, which a query for it compacts to as well."""
    return compact(code)


_TOKENS = {"model": model_tokens, "internal_code": code_token, "category_code": code_token}


def weighted_texts(**fields: str) -> dict[str, str]:
    """{"A": tokens, "B": …, "C": …, "D": …} for SEARCH_VECTOR_SQL, from an instrument's fields."""
    groups: dict[str, list[str]] = {"A": [], "B": [], "C": [], "D": []}
    for name, text in fields.items():
        if text:
            groups[WEIGHTS[name]].append(_TOKENS.get(name, segmented)(text))
    return {weight: " ".join(parts) for weight, parts in groups.items()}


# The tsvector from the four weighted token strings, built by PostgreSQL (fast, in C) rather than
# in Python; the importer and instrument_save both use it.
SEARCH_VECTOR_SQL = " || ".join(
    f"setweight(to_tsvector('simple', coalesce({{{w.lower()}}}, '')), '{w}')" for w in "ABCD"
)


@lru_cache(maxsize=65_536)
def precise(text: str) -> tuple[str, ...]:
    """The searchable words of ``text`` as jieba's precise mode cuts them (the exchange's
    search cuts its queries the same way)."""
    _ensure_dictionary()
    return tuple(
        t.strip() for t in jieba.cut(normalise(text), HMM=False) if t.strip() and _KEEP.search(t)
    )


def _name_words(name: str) -> str | None:
    """A name from the vocabulary as all of its words, cut as the index cuts a text (Chinese
    runs apart from Latin ones: X射线衍射仪 → x & 射线 & 衍射仪)."""
    tokens = []
    for i, run in enumerate(_RUNS.split(normalise(name))):
        tokens.extend(precise(run) if i % 2 else _WORDS.findall(run))
    tokens = list(dict.fromkeys(tokens))
    return " & ".join(_lexeme(t) for t in tokens) if tokens else None


def _any_of(first: str, names) -> str:
    alternatives = {first: None}
    for name in names:
        phrase = _name_words(name)
        if phrase:
            alternatives[phrase if " " not in phrase else f"({phrase})"] = None
    return first if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"


def _term(token: str, *, widen: bool) -> str:
    """A token, or any of its other names (each as all of its own words)."""
    names = list(vocabulary.SHORT_NAMES.get(token, ()))
    if widen:
        names += vocabulary.other_names(token)
        joined = compact(token)
        if joined and joined != token and joined.isascii():
            names.append(joined)  # SU-8020 as the index also holds it, su8020
    return _any_of(_lexeme(token), names)


def _word(word: str, *, widen: bool) -> str | None:
    pieces = list(dict.fromkeys(precise(word)))
    if not pieces:
        return None
    whole = _term(word, widen=widen)
    if len(pieces) == 1 and pieces[0] == word:
        return whole
    split = " & ".join(_term(p, widen=widen) for p in pieces)
    return f"({whole} | ({split}))"


def _name_span(words: list[str], start: int) -> int:
    """How many words from ``start`` on make one name of the vocabulary (Thermo Fisher,
    scanning electron microscope); 1 when none longer does."""
    for end in range(min(len(words), start + vocabulary.LONGEST), start + 1, -1):
        if vocabulary.other_names(" ".join(words[start:end])):
            return end - start
    return 1


def tsquery_text(query: str, *, widen: bool = False) -> str | None:
    """Input for to_tsquery('simple', …): every word of the query must match, as itself, as a
    synonym, or as all of the words jieba cuts it into (扫描电镜 → 扫描 & 电镜).

    ``widen`` (the catalogue's search) also looks for the other names the vocabulary gives a
    word or a run of words (XPS → X射线光电子能谱仪, Bruker → 布鲁克), and for model numbers and
    codes written without their spaces and hyphens (SU 8020 → su8020)."""
    words = normalise(query).split()
    clauses = []
    start = 0
    while start < len(words):
        span = _name_span(words, start) if widen else 1
        if span == 1:
            clause = _word(words[start], widen=widen)
        else:
            name = " ".join(words[start : start + span])
            parts = [_word(w, widen=widen) for w in words[start : start + span]]
            every = " & ".join(p for p in parts if p)
            clause = _any_of(f"({every})", vocabulary.other_names(name))
        if clause:
            clauses.append(clause)
        start += span
    if not clauses:
        return None
    raw = " & ".join(clauses)
    joined = compact(query)
    if widen and len(words) > 1 and joined.isascii() and joined:
        raw = f"({raw}) | {_lexeme(joined)}"
    return raw
