"""Dual-use technology exchange (国家两用技术交易中心重庆分中心): listings, needs, matches,
inquiries carried by brokers to registered contracts, and the centre's services.

The states, tiers and money rules are checked in the database where PostgreSQL can say them;
who may move what from which state lives in services.py.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation, Region
from portal.text import ONE_LINE, SEVERAL_LINES


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


def _division_in_section_q() -> Q:
    q = Q()
    for section, (low, high) in SECTION_DIVISIONS.items():
        divisions = [f"{n:02d}" for n in range(low, high + 1)]
        q |= Q(industry_section=section, industry_division__in=divisions)
    return q | Q(industry_division="")


class ListingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=TechListing.Status.PUBLISHED)

    def owned_by(self, user):
        """The listings this person acts for as owner: their own, and their organisation's when
        they hold the technology owner's role (services.listing_is_owner, as a set)."""
        if user is None or not user.is_authenticated:
            return self.none()
        owned = Q(created_by=user)
        if user.organisation_id and user.has_role("technology_owner"):
            owned |= Q(organisation_id=user.organisation_id)
        return self.filter(owned)

    def for_user(self, user):
        """What a person may know exists (the tier of detail is the serializer's business).

        Anonymous: published and public. Members: every published listing. Owners: their
        organisation's in any state. Reviewers: everything past draft. Brokers: published, and
        listings of inquiries they carry. Administrators: everything.
        """
        S = TechListing.Status
        if user is None or not user.is_authenticated:
            return self.filter(
                status=S.PUBLISHED, confidentiality=TechListing.Confidentiality.PUBLIC
            )
        if user.is_superuser or user.has_role("administrator"):
            return self
        visible = Q(status=S.PUBLISHED)
        if user.organisation_id and user.has_role("technology_owner"):
            visible |= Q(organisation_id=user.organisation_id)
        visible |= Q(created_by=user)
        if user.has_role("reviewer"):
            visible |= ~Q(status=S.DRAFT)
        if user.has_role("broker"):
            visible |= Q(inquiries__broker=user)
        return self.filter(visible).distinct()


class TechListing(models.Model):
    """两用技术成果: what an owner offers, published only after secrecy and export review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        REVIEW = "review", _("审查中")
        PUBLISHED = "published", _("已发布")
        CLOSED = "closed", _("已关闭")
        TRANSFERRED = "transferred", _("已转化")

    class Confidentiality(models.TextChoices):
        PUBLIC = "public", _("公开")
        INTERNAL = "internal", _("内部（仅会员可见）")

    class TrlScale(models.TextChoices):
        GBT22900 = "gbt22900", _("GB/T 22900-2022 科学技术研究项目评价通则")
        GJB8856 = "gjb8856", _("GJB 8856-2016 装备技术成熟度等级划分及定义")
        NASA = "nasa", _("NASA TRL")

    class Stage(models.TextChoices):
        LAB = "lab", _("实验室阶段")
        PILOT_SMALL = "pilot_small", _("小试")
        PILOT = "pilot", _("中试")
        PRODUCTION = "production", _("批量生产")
        MARKET = "market", _("已产业化")

    class IpType(models.TextChoices):
        INVENTION = "invention", _("发明专利")
        UTILITY = "utility", _("实用新型专利")
        DESIGN = "design", _("外观设计专利")
        SOFTWARE = "software", _("软件著作权")
        LAYOUT = "layout", _("集成电路布图设计")
        KNOW_HOW = "know_how", _("技术秘密")
        PLANT = "plant", _("植物新品种")
        OTHER = "other", _("其他")

    class PricingRoute(models.TextChoices):
        AGREEMENT = "agreement", _("协议定价（须公示）")
        LISTING = "listing", _("挂牌交易")
        AUCTION = "auction", _("拍卖")

    title = models.CharField(_("成果名称"), max_length=200, validators=[ONE_LINE])
    abstract = models.TextField(_("成果简介"), max_length=4000, validators=[SEVERAL_LINES])
    key_points = ArrayField(
        models.CharField(max_length=300, validators=[ONE_LINE]),
        default=list,
        blank=True,
        verbose_name=_("技术要点"),
    )
    advantages = models.TextField(
        _("与现有技术相比的优势"), blank=True, max_length=4000, validators=[SEVERAL_LINES]
    )
    applications = models.TextField(
        _("应用领域"), blank=True, max_length=4000, validators=[SEVERAL_LINES]
    )
    specifications = models.TextField(
        _("技术指标"), blank=True, max_length=4000, validators=[SEVERAL_LINES]
    )
    keywords = ArrayField(
        models.CharField(max_length=40, validators=[ONE_LINE]),
        default=list,
        blank=True,
        verbose_name=_("关键词"),
    )
    industry_section = models.CharField(
        _("国民经济行业门类"), max_length=1, choices=SECTION_CHOICES, blank=True
    )
    industry_division = models.CharField(
        _("行业大类代码"), max_length=2, blank=True, validators=[ONE_LINE]
    )
    strategic_industry = models.CharField(
        _("战略性新兴产业"), max_length=24, choices=StrategicIndustry.choices, blank=True
    )
    hightech_field = models.CharField(
        _("高新技术领域"), max_length=16, choices=HighTechField.choices, blank=True
    )
    trl = models.PositiveSmallIntegerField(
        _("技术成熟度"), validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    trl_scale = models.CharField(
        _("成熟度标准"), max_length=16, choices=TrlScale.choices, default=TrlScale.GBT22900
    )
    trl_evidence = models.TextField(
        _("成熟度依据"), blank=True, max_length=2000, validators=[SEVERAL_LINES]
    )
    stage = models.CharField(_("所处阶段"), max_length=16, choices=Stage.choices, blank=True)
    ip_type = models.CharField(_("知识产权类型"), max_length=16, choices=IpType.choices, blank=True)
    transfer_modes = ArrayField(
        models.CharField(max_length=24, choices=TransferMode.choices),
        default=list,
        blank=True,
        verbose_name=_("转化方式"),
    )
    price = models.DecimalField(
        _("参考价格（万元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    price_negotiable = models.BooleanField(_("面议"), default=False)
    pricing_route = models.CharField(
        _("定价方式"), max_length=16, choices=PricingRoute.choices, blank=True
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tech_listings",
        verbose_name=_("成果持有单位"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在地区")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tech_listings",
        verbose_name=_("填报人"),
    )
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True, validators=[ONE_LINE])
    contact_phone = models.CharField(
        _("联系电话"), max_length=32, blank=True, validators=[ONE_LINE]
    )
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    confidentiality = models.CharField(
        _("公开范围"),
        max_length=16,
        choices=Confidentiality.choices,
        default=Confidentiality.PUBLIC,
    )
    export_controlled = models.BooleanField(_("属于出口管制物项"), default=False)
    declassified = models.BooleanField(_("解密成果"), default=False)
    declassification_authority = models.CharField(
        _("解密审批机关"), max_length=200, blank=True, validators=[ONE_LINE]
    )
    declassification_ref = models.CharField(
        _("解密文号"), max_length=100, blank=True, validators=[ONE_LINE]
    )
    declassified_on = models.DateField(_("解密日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # When matching last ran for it: a published listing without one is swept (tasks).
    matched_at = models.DateTimeField(_("匹配计算时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    objects = ListingQuerySet.as_manager()

    class Meta:
        verbose_name = _("两用技术成果")
        verbose_name_plural = _("两用技术成果")
        ordering = ["-published_at", "-id"]
        indexes = [
            # listing_search_rum (migration 0002, RunSQL) sits beside it for ranked search.
            GinIndex(fields=["search_vector"], name="listing_search_gin"),
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(status="published"),
                name="listing_published",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(trl__gte=1, trl__lte=9), name="listing_trl_1_9"),
            models.CheckConstraint(
                condition=Q(key_points__len__lte=3), name="listing_at_most_three_key_points"
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="listing_price_positive"
            ),
            # A price, or 面议; and a stated price goes through a stated route.
            models.CheckConstraint(
                condition=Q(price_negotiable=True) | Q(price__isnull=False) | Q(status="draft"),
                name="listing_price_or_negotiable",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | ~Q(pricing_route="") | Q(status="draft"),
                name="listing_price_has_route",
            ),
            models.CheckConstraint(condition=_division_in_section_q(), name="listing_division"),
            models.CheckConstraint(
                condition=Q(declassified=False)
                | (~Q(declassification_ref="") & Q(declassified_on__isnull=False)),
                name="listing_declassification_provenance",
            ),
            # Export-controlled technology is never offered to the public at large.
            models.CheckConstraint(
                condition=~Q(export_controlled=True, confidentiality="public", status="published"),
                name="listing_export_controlled_not_public",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=False)
                | Q(status__in=["draft", "submitted", "review"]),
                name="listing_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Patent(models.Model):
    class LegalStatus(models.TextChoices):
        PENDING = "pending", _("申请中")
        GRANTED = "granted", _("已授权")
        LAPSED = "lapsed", _("已失效")

    listing = models.ForeignKey(TechListing, on_delete=models.CASCADE, related_name="patents")
    number = models.CharField(_("专利号"), max_length=32, validators=[ONE_LINE])
    legal_status = models.CharField(_("法律状态"), max_length=16, choices=LegalStatus.choices)
    holder = models.CharField(_("专利权人"), max_length=200, validators=[ONE_LINE])

    class Meta:
        verbose_name = _("专利")
        verbose_name_plural = _("专利")
        constraints = [
            models.UniqueConstraint(fields=["listing", "number"], name="patent_once_per_listing"),
        ]

    def __str__(self) -> str:
        return self.number


class ListingFile(models.Model):
    """An image or document of a listing, stored under a generated name."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("图片")
        DOCUMENT = "document", _("文档")

    listing = models.ForeignKey(TechListing, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="tech/%Y/%m/", max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("格式"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("成果附件")
        verbose_name_plural = _("成果附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class ListingReview(models.Model):
    """A reviewer's decision, with the secrecy and export checks it rests on."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("通过并发布")
        RETURN = "return", _("退回修改")

    listing = models.ForeignKey(TechListing, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("结论"), max_length=16, choices=Decision.choices)
    secrecy_checked = models.BooleanField(_("已做保密审查"))
    export_control_checked = models.BooleanField(_("已做出口管制审查"))
    reason = models.TextField(_("理由"), max_length=2000, validators=[SEVERAL_LINES])
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("成果审查记录")
        verbose_name_plural = _("成果审查记录")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="review_has_reason"),
            models.CheckConstraint(
                condition=Q(decision="return")
                | Q(secrecy_checked=True, export_control_checked=True),
                name="review_approval_checked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.listing_id}"


class NeedQuerySet(models.QuerySet):
    def owned_by(self, user):
        """The needs this person acts for: their own, and their organisation's when they hold
        the firm's role (services.need_is_owner, as a set)."""
        if user is None or not user.is_authenticated:
            return self.none()
        owned = Q(created_by=user)
        if user.organisation_id and user.has_role("firm"):
            owned |= Q(organisation_id=user.organisation_id)
        return self.filter(owned)

    def for_user(self, user):
        S = TechNeed.Status
        if user is None or not user.is_authenticated:
            return self.filter(status=S.PUBLISHED)
        if user.is_superuser or user.has_role("administrator"):
            return self
        visible = Q(status=S.PUBLISHED) | Q(created_by=user)
        if user.organisation_id and user.has_role("firm"):
            visible |= Q(organisation_id=user.organisation_id)
        if user.has_role("reviewer"):
            visible |= ~Q(status=S.DRAFT)
        if user.has_role("broker"):
            visible |= Q(inquiries__broker=user)
        return self.filter(visible).distinct()


class TechNeed(models.Model):
    """技术需求 posted by a firm; published after a light review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        PUBLISHED = "published", _("已发布")
        CLOSED = "closed", _("已关闭")

    title = models.CharField(_("需求名称"), max_length=200, validators=[ONE_LINE])
    problem = models.TextField(_("需解决的问题"), max_length=4000, validators=[SEVERAL_LINES])
    target_specs = models.TextField(
        _("目标技术指标"), blank=True, max_length=4000, validators=[SEVERAL_LINES]
    )
    keywords = ArrayField(
        models.CharField(max_length=40, validators=[ONE_LINE]),
        default=list,
        blank=True,
        verbose_name=_("关键词"),
    )
    industry_section = models.CharField(
        _("国民经济行业门类"), max_length=1, choices=SECTION_CHOICES, blank=True
    )
    industry_division = models.CharField(
        _("行业大类代码"), max_length=2, blank=True, validators=[ONE_LINE]
    )
    hightech_field = models.CharField(
        _("高新技术领域"), max_length=16, choices=HighTechField.choices, blank=True
    )
    trl_min = models.PositiveSmallIntegerField(_("最低成熟度"), default=1)
    trl_max = models.PositiveSmallIntegerField(_("最高成熟度"), default=9)
    cooperation_modes = ArrayField(
        models.CharField(max_length=24, choices=TransferMode.choices),
        default=list,
        blank=True,
        verbose_name=_("合作方式"),
    )
    budget = models.DecimalField(
        _("预算（万元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tech_needs",
        verbose_name=_("需求单位"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在地区")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tech_needs",
        verbose_name=_("发布人"),
    )
    expires_on = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    review_note = models.TextField(
        _("审核意见"), blank=True, max_length=2000, validators=[SEVERAL_LINES]
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    matched_at = models.DateTimeField(_("匹配计算时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("技术需求")
        verbose_name_plural = _("技术需求")
        ordering = ["-published_at", "-id"]
        indexes = [GinIndex(fields=["search_vector"], name="need_search_gin")]
        constraints = [
            models.CheckConstraint(
                condition=Q(trl_min__gte=1, trl_max__lte=9, trl_min__lte=models.F("trl_max")),
                name="need_trl_window",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="need_budget_positive"
            ),
            models.CheckConstraint(condition=_division_in_section_q(), name="need_division"),
        ]

    def __str__(self) -> str:
        return self.title


class Match(models.Model):
    """A scored pair of a published listing and a published need, with the reasons."""

    listing = models.ForeignKey(TechListing, on_delete=models.CASCADE, related_name="matches")
    need = models.ForeignKey(TechNeed, on_delete=models.CASCADE, related_name="matches")
    score = models.FloatField(_("匹配度"))
    # {"keywords": {"score", "weight", "terms": [...]}, "field": {...}, "trl": {...}, ...}
    reasons = models.JSONField(_("匹配理由"), default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("匹配结果")
        verbose_name_plural = _("匹配结果")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "need"], name="match_once_per_pair"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="match_score_0_1"),
        ]
        indexes = [
            models.Index(fields=["need", "-score"], name="match_by_need"),
            models.Index(fields=["listing", "-score"], name="match_by_listing"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} ↔ {self.need_id}: {self.score:.2f}"


class BrokerProfile(models.Model):
    """What a broker covers; assignment goes by field first, then by open load."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker_profile"
    )
    fields = ArrayField(
        models.CharField(max_length=16, choices=HighTechField.choices),
        default=list,
        blank=True,
        verbose_name=_("擅长领域"),
    )
    active = models.BooleanField(_("接受分派"), default=True)

    class Meta:
        verbose_name = _("技术经纪人档案")
        verbose_name_plural = _("技术经纪人档案")

    def __str__(self) -> str:
        return str(self.user)


class InquiryQuerySet(models.QuerySet):
    def for_user(self, user):
        """Parties only: the firm that asked, the assigned broker, the listing's and need's
        owners; coordinators and administrators see all."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.has_role("administrator") or user.has_role("coordinator"):
            return self
        visible = Q(created_by=user) | Q(broker=user) | Q(listing__created_by=user)
        if user.organisation_id:
            org = user.organisation_id
            visible |= Q(firm_id=org)
            if user.has_role("technology_owner"):
                visible |= Q(listing__organisation_id=org)
        return self.filter(visible).distinct()


class Inquiry(models.Model):
    """意向: a firm's interest in a listing, or a broker's link of a need to one."""

    class Stage(models.TextChoices):
        NEW = "new", _("新意向")
        CONTACTED = "contacted", _("已联系")
        NDA_SIGNED = "nda_signed", _("已签保密协议")
        NEGOTIATING = "negotiating", _("洽谈中")
        CONTRACT_SIGNED = "contract_signed", _("已签合同")
        CONTRACT_REGISTERED = "contract_registered", _("已认定登记")
        CLOSED = "closed", _("已关闭")

    class CloseReason(models.TextChoices):
        TOO_EARLY = "too_early", _("技术尚不成熟")
        BENEFIT_UNCLEAR = "benefit_unclear", _("效益不明确")
        PRICE_GAP = "price_gap", _("价格差距")
        IP_PROBLEM = "ip_problem", _("知识产权问题")
        NOT_A_FIT = "not_a_fit", _("需求不匹配")
        OTHER = "other", _("其他")

    listing = models.ForeignKey(TechListing, on_delete=models.PROTECT, related_name="inquiries")
    need = models.ForeignKey(
        TechNeed, on_delete=models.PROTECT, null=True, blank=True, related_name="inquiries"
    )
    firm = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tech_inquiries",
        verbose_name=_("企业"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tech_inquiries"
    )
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="brokered_inquiries",
        verbose_name=_("技术经纪人"),
    )
    message = models.TextField(
        _("意向说明"), blank=True, max_length=4000, validators=[SEVERAL_LINES]
    )
    # The firm accepted the listing's confidentiality terms: documents and contact open to it.
    nda_accepted_at = models.DateTimeField(_("接受保密条款时间"), null=True, blank=True)
    stage = models.CharField(
        _("阶段"), max_length=24, choices=Stage.choices, default=Stage.NEW, db_index=True
    )
    close_reason = models.CharField(
        _("关闭原因"), max_length=24, choices=CloseReason.choices, blank=True
    )
    close_note = models.TextField(
        _("关闭说明"), blank=True, max_length=2000, validators=[SEVERAL_LINES]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("交易意向")
        verbose_name_plural = _("交易意向")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live inquiry per firm and listing: a second click is the same inquiry.
            models.UniqueConstraint(
                fields=["listing", "firm"],
                condition=~Q(stage="closed"),
                name="inquiry_one_live_per_firm",
            ),
            models.CheckConstraint(
                condition=(Q(stage="closed") & ~Q(close_reason=""))
                | (~Q(stage="closed") & Q(close_reason="")),
                name="inquiry_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} → {self.listing}"


class InquiryTransition(models.Model):
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=24, choices=Inquiry.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=24, choices=Inquiry.Stage.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.TextField(blank=True, max_length=2000, validators=[SEVERAL_LINES])
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} → {self.to_stage}"


class TechContract(models.Model):
    """A technology contract (民法典 第八百四十三条) and its 技术合同认定登记."""

    class Type(models.TextChoices):
        DEVELOPMENT = "development", _("技术开发")
        TRANSFER = "transfer", _("技术转让")
        LICENSE = "license", _("技术许可")
        CONSULTING = "consulting", _("技术咨询")
        SERVICE = "service", _("技术服务")

    inquiry = models.OneToOneField(Inquiry, on_delete=models.PROTECT, related_name="contract")
    contract_type = models.CharField(_("合同类型"), max_length=16, choices=Type.choices)
    amount = models.DecimalField(_("成交额（万元）"), max_digits=14, decimal_places=2)
    seller = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("卖方（技术输出）")
    )
    buyer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("买方（技术吸纳）")
    )
    signed_on = models.DateField(_("签订日期"))
    registration_number = models.CharField(
        _("认定登记编号"), max_length=64, blank=True, validators=[ONE_LINE]
    )
    registered_on = models.DateField(_("登记日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("技术合同")
        verbose_name_plural = _("技术合同")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="contract_amount_positive"),
            models.CheckConstraint(
                condition=~Q(seller=models.F("buyer")), name="contract_two_parties"
            ),
            models.CheckConstraint(
                condition=Q(registered_on__isnull=True, registration_number="")
                | (Q(registered_on__isnull=False) & ~Q(registration_number="")),
                name="contract_registration_complete",
            ),
            models.CheckConstraint(
                condition=Q(registered_on__isnull=True)
                | Q(registered_on__gte=models.F("signed_on")),
                name="contract_registered_after_signing",
            ),
            models.UniqueConstraint(
                fields=["registration_number"],
                condition=~Q(registration_number=""),
                name="contract_registration_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_contract_type_display()} {self.amount}"


class ServiceRequest(models.Model):
    """A request for one of the centre's services, followed to completion."""

    class Kind(models.TextChoices):
        SELECTION = "selection", _("成果遴选")
        EVALUATION = "evaluation", _("评估评价")
        BROKERAGE = "brokerage", _("技术经纪")
        EVENT = "event", _("活动组织")
        REDEVELOPMENT = "redevelopment", _("再研发")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("已申请")
        ACCEPTED = "accepted", _("已受理")
        IN_PROGRESS = "in_progress", _("办理中")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    kind = models.CharField(_("服务类型"), max_length=16, choices=Kind.choices)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tech_service_requests"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    listing = models.ForeignKey(
        TechListing, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    need = models.ForeignKey(
        TechNeed, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.TextField(_("需求说明"), max_length=4000, validators=[SEVERAL_LINES])
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承办人"),
    )
    result = models.TextField(
        _("办理结果"), blank=True, max_length=4000, validators=[SEVERAL_LINES]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("服务申请")
        verbose_name_plural = _("服务申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="completed") | (Q(completed_at__isnull=False) & ~Q(result="")),
                name="service_completed_has_result",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
