"""The national classifications listings and needs are filed under (转化方式, 高新技术领域,
战略性新兴产业, GB/T 4754 行业), and the fields both kinds of record file them with."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.text import ONE_LINE


class TransferMode(models.TextChoices):
    ASSIGNMENT = "assignment", _("转让")
    LICENSE_EXCLUSIVE = "license_exclusive", _("独占许可")
    LICENSE_SOLE = "license_sole", _("排他许可")
    LICENSE_ORDINARY = "license_ordinary", _("普通许可")
    EQUITY = "equity", _("作价投资")
    JOINT_DEVELOPMENT = "joint_development", _("合作开发")


class HighTechField(models.TextChoices):
    """《国家重点支持的高新技术领域》 — the eight fields."""

    ELECTRONICS = "electronics", _("电子信息")
    BIOMEDICINE = "biomedicine", _("生物与新医药")
    AEROSPACE = "aerospace", _("航空航天")
    MATERIALS = "materials", _("新材料")
    SERVICES = "services", _("高技术服务")
    ENERGY = "energy", _("新能源与节能")
    ENVIRONMENT = "environment", _("资源与环境")
    MANUFACTURING = "manufacturing", _("先进制造与自动化")


class StrategicIndustry(models.TextChoices):
    """《战略性新兴产业分类（2018）》 — the nine industries."""

    NEXT_GEN_IT = "next_gen_it", _("新一代信息技术产业")
    HIGH_END_EQUIPMENT = "high_end_equipment", _("高端装备制造产业")
    NEW_MATERIALS = "new_materials", _("新材料产业")
    BIOTECH = "biotech", _("生物产业")
    NEV = "nev", _("新能源汽车产业")
    NEW_ENERGY = "new_energy", _("新能源产业")
    GREEN = "green", _("节能环保产业")
    DIGITAL_CREATIVE = "digital_creative", _("数字创意产业")
    RELATED_SERVICES = "related_services", _("相关服务业")


# GB/T 4754-2017 sections (门类); a division (大类) is two digits inside one of them.
INDUSTRY_SECTIONS = {
    "A": _("农、林、牧、渔业"),
    "B": _("采矿业"),
    "C": _("制造业"),
    "D": _("电力、热力、燃气及水生产和供应业"),
    "E": _("建筑业"),
    "F": _("批发和零售业"),
    "G": _("交通运输、仓储和邮政业"),
    "H": _("住宿和餐饮业"),
    "I": _("信息传输、软件和信息技术服务业"),
    "J": _("金融业"),
    "K": _("房地产业"),
    "L": _("租赁和商务服务业"),
    "M": _("科学研究和技术服务业"),
    "N": _("水利、环境和公共设施管理业"),
    "O": _("居民服务、修理和其他服务业"),
    "P": _("教育"),
    "Q": _("卫生和社会工作"),
    "R": _("文化、体育和娱乐业"),
    "S": _("公共管理、社会保障和社会组织"),
    "T": _("国际组织"),
}
# The division ranges of each section (GB/T 4754-2017), so a pair can be checked.
SECTION_DIVISIONS = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}
# format_lazy, not an f-string: the label must be translated when shown, not frozen at import.
SECTION_CHOICES = [
    (code, format_lazy("{} {}", code, label)) for code, label in INDUSTRY_SECTIONS.items()
]


def division_in_section_q() -> Q:
    """A division code, when given, lies in its section (a check constraint of both tables)."""
    q = Q()
    for section, (low, high) in SECTION_DIVISIONS.items():
        divisions = [f"{n:02d}" for n in range(low, high + 1)]
        q |= Q(industry_section=section, industry_division__in=divisions)
    return q | Q(industry_division="")


# The same four fields on a listing and on a need, so that matching compares like with like.


def keywords_field():
    return ArrayField(
        models.CharField(max_length=40, validators=[ONE_LINE]),
        default=list,
        blank=True,
        verbose_name=_("关键词"),
    )


def industry_section_field():
    return models.CharField(
        _("国民经济行业门类"), max_length=1, choices=SECTION_CHOICES, blank=True
    )


def industry_division_field():
    return models.CharField(_("行业大类代码"), max_length=2, blank=True, validators=[ONE_LINE])


def hightech_choice_field():
    return models.CharField(
        _("高新技术领域"), max_length=16, choices=HighTechField.choices, blank=True
    )
