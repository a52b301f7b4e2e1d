"""Needs (技术需求) posted by firms, published after a light review."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Role
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.techmarket.models.classification import (
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


class NeedQuerySet(FiledQuerySet):
    owner_role = Role.FIRM

    def for_user(self, user):
        """Anonymous: published. Members: published, their own and their firm's, past draft
        for reviewers, those of inquiries a broker carries. Administrators: everything."""
        if user is None or not user.is_authenticated:
            return self.filter(status=TechNeed.Status.PUBLISHED)
        if user.is_administrator:
            return self
        return self._member_visible(user)


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
    keywords = keywords_field()
    industry_section = industry_section_field()
    industry_division = industry_division_field()
    hightech_field = hightech_choice_field()
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
    organisation = organisation_field(related_name="tech_needs", verbose_name=_("需求单位"))
    region = region_field()
    created_by = filed_by_field(related_name="tech_needs", verbose_name=_("发布人"))
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
            models.CheckConstraint(condition=division_in_section_q(), name="need_division"),
        ]

    def __str__(self) -> str:
        return self.title
