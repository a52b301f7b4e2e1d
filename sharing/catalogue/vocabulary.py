"""The words instrument users search with, where the record may say it otherwise: abbreviations
(XPS), English names, and makers' names in either language (Bruker, 布鲁克).

Each entry lists every name of one thing, and a search for any of them also looks for the
others (the query is widened; the index is not, so a change here needs no re-indexing). A
name of several words is matched as all of its words; names compare by ``compact`` (case,
full width, spaces, hyphens and slashes ignored: ICP-MS = ICPMS = icp ms).

Chinese names come first: the one the national catalogue uses, then shorter ones. Keep names
specific: a name that is a common word elsewhere (MS, IC, PE) would find unrelated records.
tests/catalogue/test_vocabulary.py checks that every name finds what its entry names.
"""

import re
import unicodedata
from functools import lru_cache

# Kinds of instrument: the Chinese names, the abbreviations, the English names.
TERMS: tuple[tuple[str, ...], ...] = (
    ("扫描电子显微镜", "扫描电镜", "SEM", "scanning electron microscope"),
    ("透射电子显微镜", "透射电镜", "TEM", "transmission electron microscope"),
    ("电子显微镜", "electron microscope"),
    ("显微镜", "microscope"),
    ("聚焦离子束", "FIB", "focused ion beam"),
    ("原子力显微镜", "AFM", "atomic force microscope"),
    ("扫描隧道显微镜", "STM", "scanning tunneling microscope"),
    (
        "激光共聚焦显微镜",
        "激光扫描共聚焦显微镜",
        "CLSM",
        "LSCM",
        "confocal laser scanning microscope",
    ),
    ("X射线衍射仪", "X射线衍射", "XRD", "X-ray diffractometer", "X-ray diffraction"),
    (
        "X射线光电子能谱仪",
        "光电子能谱",
        "XPS",
        "ESCA",
        "X-ray photoelectron spectrometer",
        "X-ray photoelectron spectroscopy",
    ),
    ("X射线能谱仪", "能量色散谱仪", "EDS", "EDX", "energy dispersive spectrometer"),
    ("X射线荧光光谱仪", "XRF", "X-ray fluorescence spectrometer"),
    ("小角X射线散射仪", "SAXS", "small-angle X-ray scattering"),
    ("电子背散射衍射", "EBSD", "electron backscatter diffraction"),
    ("核磁共振波谱仪", "核磁共振", "NMR", "nuclear magnetic resonance"),
    ("电子顺磁共振波谱仪", "顺磁共振", "EPR", "ESR", "electron paramagnetic resonance"),
    ("傅里叶变换红外光谱仪", "红外光谱仪", "FTIR", "FT-IR", "infrared spectrometer"),
    ("拉曼光谱仪", "拉曼", "Raman", "Raman spectrometer"),
    (
        "紫外可见分光光度计",
        "紫外可见光谱仪",
        "UV-Vis",
        "UV-Vis spectrophotometer",
        "ultraviolet-visible spectrophotometer",
    ),
    ("荧光光谱仪", "fluorescence spectrometer"),
    ("原子吸收光谱仪", "原子吸收", "AAS", "atomic absorption spectrometer"),
    ("电感耦合等离子体", "ICP", "inductively coupled plasma"),
    ("电感耦合等离子体质谱仪", "ICP-MS", "inductively coupled plasma mass spectrometer"),
    (
        "电感耦合等离子体发射光谱仪",
        "ICP-OES",
        "ICP-AES",
        "inductively coupled plasma optical emission spectrometer",
    ),
    ("质谱", "mass spectrometer", "mass spectrometry"),
    ("气相色谱-质谱联用仪", "气质联用", "GC-MS", "gas chromatograph-mass spectrometer"),
    (
        "液相色谱-质谱联用仪",
        "液质联用",
        "LC-MS",
        "LC-MS/MS",
        "liquid chromatograph-mass spectrometer",
    ),
    ("基质辅助激光解吸电离飞行时间质谱仪", "MALDI-TOF", "MALDI"),
    ("高效液相色谱仪", "高效液相色谱", "HPLC", "high performance liquid chromatograph"),
    ("超高效液相色谱", "UPLC", "UHPLC"),
    ("气相色谱仪", "气相色谱", "GC", "gas chromatograph"),
    ("离子色谱仪", "ion chromatograph"),
    ("凝胶渗透色谱仪", "GPC", "gel permeation chromatograph"),
    ("比表面积及孔径分析仪", "比表面", "BET", "surface area analyzer"),
    ("纳米粒度及Zeta电位分析仪", "Zeta电位", "DLS", "zeta potential analyzer"),
    ("激光粒度仪", "laser particle size analyzer"),
    ("热重分析仪", "热重", "TGA", "thermogravimetric analyzer"),
    ("差示扫描量热仪", "DSC", "differential scanning calorimeter"),
    ("动态热机械分析仪", "DMA", "dynamic mechanical analyzer"),
    ("等温滴定量热仪", "ITC", "isothermal titration calorimeter"),
    ("流式细胞仪", "FCM", "flow cytometer"),
    ("测序仪", "sequencer"),
    ("三坐标测量机", "三坐标", "CMM", "coordinate measuring machine"),
    ("万能材料试验机", "万能试验机", "universal testing machine"),
    ("矢量网络分析仪", "VNA", "vector network analyzer"),
    ("示波器", "oscilloscope"),
    ("频谱分析仪", "频谱仪", "spectrum analyzer"),
    ("超声波探伤仪", "ultrasonic flaw detector"),
    ("飞秒激光器", "femtosecond laser"),
    ("离心机", "centrifuge"),
    ("高性能计算", "超算", "HPC", "high performance computing"),
)

# Makers: the Chinese names, the English names.
BRANDS: tuple[tuple[str, ...], ...] = (
    ("布鲁克", "Bruker"),
    (
        "赛默飞",
        "赛默飞世尔",
        "Thermo Fisher",
        "Thermo Fisher Scientific",
        "Thermo Scientific",
        "Thermo",
    ),
    ("日立", "Hitachi"),
    ("蔡司", "Zeiss", "Carl Zeiss"),
    ("日本电子", "JEOL"),
    ("安捷伦", "Agilent"),
    ("岛津", "Shimadzu"),
    ("马尔文", "Malvern", "Malvern Panalytical"),
    ("帕纳科", "PANalytical"),
    ("理学", "Rigaku"),
    ("徕卡", "Leica"),
    ("沃特世", "Waters"),
    ("珀金埃尔默", "PerkinElmer"),
    ("牛津仪器", "Oxford Instruments"),
    ("堀场", "Horiba"),
    ("尼康", "Nikon"),
    ("奥林巴斯", "Olympus"),
    ("耐驰", "Netzsch"),
    ("贝克曼", "Beckman Coulter", "Beckman"),
    ("麦克默瑞提克", "Micromeritics"),
    ("康塔", "Quantachrome"),
    ("安东帕", "Anton Paar"),
    ("雷尼绍", "Renishaw"),
    ("泰克", "Tektronix"),
    ("是德科技", "Keysight"),
    ("罗德与施瓦茨", "Rohde & Schwarz"),
    ("英斯特朗", "Instron"),
    ("梅特勒-托利多", "Mettler Toledo"),
    ("海克斯康", "Hexagon"),
    ("因美纳", "Illumina"),
    ("泰思肯", "Tescan"),
    ("爱丁堡仪器", "Edinburgh Instruments"),
)

# Shorter or longer names one way only, for every search (the catalogue's and the exchange's):
# 电镜 also finds 电子显微镜.
SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "电镜": ("电子显微镜",),
    "电子显微镜": ("电镜",),
    "扫描电镜": ("扫描电子显微镜",),
    "透射电镜": ("透射电子显微镜",),
    "液质": ("液相色谱-质谱", "液质联用"),
    "气质": ("气相色谱-质谱", "气质联用"),
    "核磁": ("核磁共振",),
    "超算": ("高性能计算",),
    # For the exchange's search too, which is not widened by TERMS.
    "xrd": ("x射线衍射仪", "衍射仪"),
    "sem": ("扫描电子显微镜",),
    "tem": ("透射电子显微镜",),
    "nmr": ("核磁共振",),
    "afm": ("原子力显微镜",),
    "icp": ("电感耦合等离子体",),
}

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def compact(text: str) -> str:
    """The text as names compare: half width, lower case, letters and digits only."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def _index() -> dict[str, tuple[str, ...]]:
    names: dict[str, tuple[str, ...]] = {}
    for entry in (*TERMS, *BRANDS):
        for name in entry:
            names[compact(name)] = tuple(other for other in entry if other != name)
    return names


_NAMES = _index()
# The most words a name has ("inductively coupled plasma optical emission spectrometer"): a
# query's runs of words are looked up this long at most.
LONGEST = max(len(name.split()) for entry in (*TERMS, *BRANDS) for name in entry)


@lru_cache(maxsize=4096)
def other_names(text: str) -> tuple[str, ...]:
    """The other names of what ``text`` names, for a query to look for as well; () when the
    vocabulary does not know it."""
    return _NAMES.get(compact(text), ())


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def brand_words() -> list[str]:
    """The makers' Chinese names, which the segmenter should keep whole (布鲁克公司 → 布鲁克)."""
    return [run for entry in BRANDS for name in entry for run in _HAN.findall(name)]
