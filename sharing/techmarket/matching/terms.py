"""The words of a need or a listing that matching compares: jieba's tokens and the
thesaurus concepts (search.py), less the words every listing and need uses, each with the weight
of the field that says it; and the term frequencies read back from a stored tsvector."""

import re

from sharing.catalogue.text import segment
from sharing.techmarket import search

FIELD_WEIGHTS = {"A": 1.0, "B": 0.5, "C": 0.35, "D": 0.25}
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
) | {
    # Markers on demo and sample records ("（演示）"): every demo record carries them, so they
    # would make any two demo records "share" a word.
    "演示",
    "示例",
    "样例",
    "demo",
}
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
