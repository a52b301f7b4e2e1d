"""Listings (两用技术成果): what an owner offers, its patents and files, and the secrecy and
export review that publishes it. The states, tiers and money rules are checked in the database
where PostgreSQL can say them; who may move what from which state is sharing.techmarket.rules."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Role
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.techmarket.models.classification import (
    StrategicIndustry,
    TransferMode,
    division_in_section_q,
    hightech_choice_field,
    industry_division_field,
    industry_section_field,
    keywords_field,
)
from sharing.techmarket.models.filed import (
    FiledQuerySet,
    filed_by_field,
    organisation_field,
    region_field,
)


class ListingQuerySet(FiledQuerySet):
    owner_role = Role.TECHNOLOGY_OWNER

    def published(self):
        return self.filter(status=TechListing.Status.PUBLISHED)

    def for_user(self, user):
        """What a person may know exists (the tier of detail is rules.listing_tier).

        Anonymous: published and public. Members: every published listing. Owners: their
        organisation's in any state. Reviewers: everything past draft. Brokers: published, and
        listings of inquiries they carry. Administrators: everything.
        """
        if user is None or not user.is_authenticated:
            return self.filter(
                status=TechListing.Status.PUBLISHED,
                confidentiality=TechListing.Confidentiality.PUBLIC,
            )
        if user.is_administrator:
            return self
        return self._member_visible(user)


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
    keywords = keywords_field()
    industry_section = industry_section_field()
    industry_division = industry_division_field()
    strategic_industry = models.CharField(
        _("战略性新兴产业"), max_length=24, choices=StrategicIndustry.choices, blank=True
    )
    hightech_field = hightech_choice_field()
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
    organisation = organisation_field(related_name="tech_listings", verbose_name=_("成果持有单位"))
    region = region_field()
    created_by = filed_by_field(related_name="tech_listings", verbose_name=_("填报人"))
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
            models.CheckConstraint(condition=division_in_section_q(), name="listing_division"),
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
