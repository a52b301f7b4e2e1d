"""Deals: inquiries (意向) carried by brokers through their stages, and the technology
contracts they end in, with their 技术合同认定登记."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation, Role
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.techmarket.models.listings import TechListing
from sharing.techmarket.models.needs import TechNeed


class InquiryQuerySet(models.QuerySet):
    def for_user(self, user):
        """Parties only: the firm that asked, the assigned broker, the listing's and need's
        owners; coordinators and administrators see all."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.has_any_role(Role.COORDINATOR):
            return self
        visible = Q(created_by=user) | Q(broker=user) | Q(listing__created_by=user)
        if user.organisation_id:
            org = user.organisation_id
            visible |= Q(firm_id=org)
            if user.has_role(Role.TECHNOLOGY_OWNER):
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
