"""Voucher applications (申请) and settlement (兑现): an organisation asks an issuing authority
for a voucher; a provider asks the issuing authority to pay the redemptions of its completed
services, line by line."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation, Region, User
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.bookings.models.bookings import Voucher, VoucherEntry


class VoucherApplication(models.Model):
    """创新券申请: submitted by a member of an organisation to a region's 科技局, approved (a
    voucher issued with the amount, validity and scope decided) or rejected with a reason."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请单位")
    )
    applicant = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    issuing_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("发放地区")
    )
    purpose = models.TextField(_("拟使用用途"), max_length=2000, validators=[SEVERAL_LINES])
    amount_requested = models.DecimalField(_("申请金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=300, blank=True, validators=[ONE_LINE])
    amount = models.DecimalField(
        _("批准金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    accepted_in = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("通用地区")
    )
    voucher = models.OneToOneField(
        Voucher, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("创新券申请")
        verbose_name_plural = _("创新券申请")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested__gt=0), name="voucherapplication_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(voucher__isnull=False, amount__gt=0, decided_by__isnull=False),
                name="voucherapplication_approved_has_voucher",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | (~Q(reason="") & Q(decided_by__isnull=False)),
                name="voucherapplication_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} → {self.issuing_region_id} {self.amount_requested}"


class SettlementRequest(models.Model):
    """兑现申请: a provider asks an issuing authority to pay the voucher part of its completed
    services in a period. ``total`` is the sum of its lines not rejected (reconciled)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        DECIDED = "decided", _("已审核")
        PAID = "paid", _("已兑付")

    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("服务单位")
    )
    issuing_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("发放地区")
    )
    period_from = models.DateField(_("起始日期"))
    period_until = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    total = models.DecimalField(_("申请金额（元）"), max_digits=14, decimal_places=2, default=0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("兑现申请")
        verbose_name_plural = _("兑现申请")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_from__lte=F("period_until")), name="settlement_period_order"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="settlement_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False, paid_by__isnull=False),
                name="settlement_paid_has_payer",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.provider_id} → {self.issuing_region_id}"


class SettlementLine(models.Model):
    """One redemption asked to be paid. A redemption is in at most one line not rejected: the
    partial unique constraint decides two requests racing for it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已核准")
        REJECTED = "rejected", _("已驳回")

    request = models.ForeignKey(SettlementRequest, on_delete=models.CASCADE, related_name="lines")
    entry = models.ForeignKey(
        VoucherEntry, on_delete=models.PROTECT, related_name="settlement_lines"
    )
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("理由"), max_length=300, blank=True, validators=[ONE_LINE])
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("兑现明细")
        verbose_name_plural = _("兑现明细")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=~Q(status="rejected"),
                name="settlementline_once_per_redemption",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="settlementline_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="settlementline_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.entry_id} {self.amount}"
