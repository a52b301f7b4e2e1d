"""Chinese text for search: jieba segmentation into a `simple` tsvector, and queries against it.

The tsvector is built here as its literal text form (``'token':1A ...``), so the importer can
COPY it without calling a database function per row, and segmentation of repeated values
(instrument names, functions) is cached.
"""

import re
import unicodedata
from functools import lru_cache

import jieba

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

# A query word also finds its longer or shorter names (电镜 ⇄ 电子显微镜).
SYNONYMS = {
    "电镜": ["电子显微镜"],
    "电子显微镜": ["电镜"],
    "扫描电镜": ["扫描电子显微镜"],
    "透射电镜": ["透射电子显微镜"],
    "液质": ["液相色谱-质谱", "液质联用"],
    "气质": ["气相色谱-质谱", "气质联用"],
    "核磁": ["核磁共振"],
    "xrd": ["x射线衍射仪", "衍射仪"],
    "sem": ["扫描电子显微镜"],
    "tem": ["透射电子显微镜"],
    "nmr": ["核磁共振"],
    "afm": ["原子力显微镜"],
    "icp": ["电感耦合等离子体"],
    "超算": ["高性能计算"],
}

_KEEP = re.compile(r"\w", re.UNICODE)
WEIGHTS = ("A", "B", "C", "D")


def _ensure_dictionary() -> None:
    global _initialised
    if not _initialised:
        for word in CATALOGUE_WORDS:
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
    "model": "B",
    "manufacturer": "B",
    "category": "B",
    "functions": "C",
    "services": "C",
    "specifications": "D",
}


@lru_cache(maxsize=131_072)
def segmented(text: str) -> str:
    """Search tokens joined by spaces: PostgreSQL's `simple` parser then keeps each one whole."""
    return " ".join(segment(text))


def weighted_texts(**fields: str) -> dict[str, str]:
    """{"A": tokens, "B": …, "C": …, "D": …} for SEARCH_VECTOR_SQL, from an instrument's fields."""
    groups: dict[str, list[str]] = {"A": [], "B": [], "C": [], "D": []}
    for name, text in fields.items():
        if text:
            groups[WEIGHTS[name]].append(segmented(text))
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


def _all_of(text: str) -> str | None:
    tokens = list(dict.fromkeys(precise(text)))
    if not tokens:
        return None
    return " & ".join(_lexeme(t) for t in tokens)


def _term(token: str) -> str:
    """A token, or any of its synonyms (each synonym as all of its own words)."""
    alternatives = [_lexeme(token)]
    for synonym in SYNONYMS.get(token, []):
        phrase = _all_of(synonym)
        if phrase:
            alternatives.append(f"({phrase})")
    return alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"


def tsquery_text(query: str) -> str | None:
    """Input for to_tsquery('simple', …): every word of the query must match, as itself, as a
    synonym, or as all of the words jieba cuts it into (扫描电镜 → 扫描 & 电镜)."""
    words = []
    for word in normalise(query).split():
        pieces = [p for p in dict.fromkeys(precise(word))]
        if not pieces:
            continue
        whole = _term(word)
        if len(pieces) == 1 and pieces[0] == word:
            words.append(whole)
            continue
        split = " & ".join(_term(p) for p in pieces)
        words.append(f"({whole} | ({split}))")
    return " & ".join(words) if words else None
