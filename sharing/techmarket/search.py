"""Search vectors of listings and needs: the catalogue's jieba segmentation, weighted by field.

Titles and keywords weigh most, the text that says what the technology does next, the
specifications least; matching and listing search both read these vectors.

A firm and an institute rarely use the same words for one thing (3D打印 / 增材制造, 除锈 /
激光清洗, 夜视 / 红外), and jieba cannot know that. So both sides also get the concept of each
synonym group they mention (CONCEPTS), as one extra lexeme at the weight of the text that said
it: a need saying 3D打印 and a listing saying 增材制造 then share the lexeme 增材制造. This is a
thesaurus of the trade, not of any particular listing; it lives here, not in jieba's dictionary,
because adding words to jieba would change how the instrument catalogue segments its text.
"""

from functools import lru_cache

from django.contrib.postgres.search import SearchVector
from django.db.models import Value

from sharing.catalogue.text import normalise, segmented

# Concept → the ways people write it (normalised: lower case, half-width). The concept's own
# name is one of them, so a text that already says it gains nothing but the same lexeme.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "增材制造": ("增材制造", "3d打印", "三维打印", "快速成形", "选区激光熔化", "激光熔覆成形"),
    "无人机": ("无人机", "无人飞行器", "无人航空器", "uav", "旋翼飞行器", "多旋翼", "复合翼"),
    "卫星导航": ("卫星导航", "卫星定位", "北斗", "gnss", "gps", "rtk"),
    "卫星通信": ("卫星通信", "短报文", "卫星电话", "天通"),
    "锂电池": ("锂电池", "锂离子电池", "锂电", "动力电池", "电芯", "铁锂"),
    "碳纤维": ("碳纤维", "cfrp", "碳纤"),
    "红外": ("红外", "热成像", "热像", "夜视"),
    "防腐": ("防腐", "耐腐蚀", "抗腐蚀", "耐蚀", "腐蚀防护"),
    "吸波": ("吸波", "隐身", "雷达回波", "雷达散射截面", "rcs", "雷达波吸收"),
    "电磁屏蔽": ("电磁屏蔽", "屏蔽效能", "电磁泄漏", "电磁兼容", "emi"),
    "机器视觉": ("机器视觉", "视觉检测", "工业相机", "3d视觉", "视觉引导", "结构光"),
    "缺陷检测": ("缺陷检测", "瑕疵检测", "外观检测", "表面缺陷", "目检", "瑕疵"),
    "无损检测": ("无损检测", "探伤", "工业ct", "射线检测", "超声检测", "x光"),
    "燃料电池": ("燃料电池", "电堆", "双极板", "质子交换膜"),
    "储氢": ("储氢", "氢气瓶", "储氢罐", "储氢瓶", "储氢容器"),
    "制氢": ("制氢", "电解水", "绿氢"),
    "压力传感器": ("压力传感", "压力芯片", "压力敏感", "压力测量", "测压"),
    "预测性维护": ("预测性维护", "故障预警", "故障诊断", "状态监测", "预知维护", "剩余寿命"),
    "结构健康监测": (
        "结构健康监测",
        "变形监测",
        "形变监测",
        "应变监测",
        "边坡监测",
        "隧道监测",
        "桥梁监测",
    ),
    "快速检测": ("快速检测", "现场检测", "快检", "即时检测", "poct", "现场快速"),
    "脱毒苗木": ("脱毒", "无病毒", "无毒苗"),
    "育苗": ("育苗", "苗木", "苗圃", "种苗", "繁育"),
    "焊接": ("焊接", "拼焊", "焊缝", "焊机"),
    "表面清理": (
        "除锈",
        "去锈",
        "除漆",
        "脱漆",
        "去漆",
        "退漆",
        "表面清理",
        "表面清洗",
        "激光清洗",
    ),
    "精密制孔": ("微孔加工", "小孔加工", "打孔", "制孔", "冷却孔", "气膜孔"),
    "交通检测": ("车流量", "交通流量", "车速检测", "测速", "交通检测", "排队长度"),
    "反无人机": ("反无人机", "无人机探测", "黑飞", "低慢小", "无人机防御", "无人机侦测"),
    "电池回收": ("电池回收", "退役电池", "废旧电池", "梯次利用"),
    "正极材料": ("正极材料", "正极", "三元材料", "三元正极", "ncm"),
    "负极材料": ("负极材料", "负极", "硅碳", "含硅"),
    "上下料": ("上下料", "上料", "下料", "无序抓取", "拆垛"),
    "轻量化": ("轻量化", "减重", "轻质"),
    "人工智能": ("人工智能", "深度学习", "机器学习", "ai", "神经网络"),
    "巡检": ("巡检", "巡线", "巡视"),
    "测绘": ("测绘", "航测", "航拍测量", "遥感测绘"),
    "中药": ("中药", "中医药", "饮片", "药材", "汤剂"),
}


@lru_cache(maxsize=65_536)
def concepts(text: str) -> tuple[str, ...]:
    """The concepts a text mentions, in CONCEPTS order."""
    if not text:
        return ()
    plain = normalise(text)
    return tuple(
        concept for concept, variants in CONCEPTS.items() if any(v in plain for v in variants)
    )


def weighted_texts(groups: dict[str, list[str]]) -> dict[str, str]:
    """{"A": tokens, …, "D": tokens}: each group's jieba tokens and concepts, space-separated,
    ready for to_tsvector('simple', …) — which keeps each token whole."""
    out = {}
    for weight in "ABCD":
        texts = [t for t in groups.get(weight, []) if t]
        words = [segmented(t) for t in texts]
        found = dict.fromkeys(c for t in texts for c in concepts(t))
        out[weight] = " ".join(words + list(found))
    return out


def listing_texts(listing) -> dict[str, list[str]]:
    return {
        "A": [listing.title, " ".join(listing.keywords)],
        "B": [listing.abstract, " ".join(listing.key_points)],
        "C": [listing.applications, listing.advantages],
        "D": [listing.specifications],
    }


def need_texts(need) -> dict[str, list[str]]:
    return {
        "A": [need.title, " ".join(need.keywords)],
        "B": [need.problem],
        "C": [],
        "D": [need.target_specs],
    }


def _vector(groups: dict[str, list[str]]):
    texts = weighted_texts(groups)
    parts = [SearchVector(Value(texts[w]), config="simple", weight=w) for w in "ABCD"]
    vector = parts[0]
    for part in parts[1:]:
        vector = vector + part
    return vector


def listing_vector(listing):
    return _vector(listing_texts(listing))


def need_vector(need):
    return _vector(need_texts(need))


def listing_refresh_search(listing) -> None:
    type(listing).objects.filter(pk=listing.pk).update(search_vector=listing_vector(listing))


def need_refresh_search(need) -> None:
    type(need).objects.filter(pk=need.pk).update(search_vector=need_vector(need))
