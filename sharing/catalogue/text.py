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
}

_KEEP = re.compile(r"\w", re.UNICODE)
WEIGHTS = ("A", "B", "C", "D")


def _ensure_dictionary() -> None:
    global _initialised
    if not _initialised:
        for word in CATALOGUE_WORDS:
            jieba.add_word(word, freq=20000)
        _initialised = True


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width, lower case, collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@lru_cache(maxsize=262_144)
def segment(text: str) -> tuple[str, ...]:
    """Search tokens of a text: jieba's search mode, which also yields the short words inside
    long ones (显微镜 → 显微, 显微镜), and no punctuation."""
    _ensure_dictionary()
    if not text:
        return ()
    tokens = []
    for token in jieba.cut_for_search(normalise(text), HMM=False):
        token = token.strip()
        if token and _KEEP.search(token):
            tokens.append(token)
    return tuple(tokens)


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(*weighted: tuple[str, str]) -> str:
    """A tsvector in its input syntax from (text, weight) pairs, weights A (most) to D."""
    positions: dict[str, list[str]] = {}
    position = 1
    for text, weight in weighted:
        for token in segment(text):
            if len(token) > 200:
                continue
            positions.setdefault(token, []).append(f"{min(position, 16383)}{weight}")
            position += 1
        position += 1
    return " ".join(f"{_lexeme(tok)}:{','.join(pos[:32])}" for tok, pos in positions.items())


def instrument_document(
    *,
    name: str,
    name_en: str = "",
    model: str = "",
    manufacturer: str = "",
    category: str = "",
    functions: str = "",
    services: str = "",
    specifications: str = "",
) -> str:
    return tsvector_literal(
        (name, "A"),
        (name_en, "A"),
        (model, "B"),
        (manufacturer, "B"),
        (category, "B"),
        (functions, "C"),
        (services, "C"),
        (specifications, "D"),
    )


@lru_cache(maxsize=65_536)
def _precise(text: str) -> tuple[str, ...]:
    _ensure_dictionary()
    return tuple(
        t.strip() for t in jieba.cut(normalise(text), HMM=False) if t.strip() and _KEEP.search(t)
    )


def _all_of(text: str) -> str | None:
    tokens = list(dict.fromkeys(_precise(text)))
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
        pieces = [p for p in dict.fromkeys(_precise(word))]
        if not pieces:
            continue
        whole = _term(word)
        if len(pieces) == 1 and pieces[0] == word:
            words.append(whole)
            continue
        split = " & ".join(_term(p) for p in pieces)
        words.append(f"({whole} | ({split}))")
    return " & ".join(words) if words else None
