"""Projects (课题, 经费卡) that bookings and orders are charged to, the organisation's threshold
above which a charge waits for the principal investigator, and that approval.

The database holds the invariants: a project's number is unique in its organisation, a
threshold is not negative, an approval is for exactly one service (a booking or an order) and
once per service, a decided approval has its decider and time, a rejection its reason.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation
from portal.text import ONE_LINE

MONEY = {"max_digits": 12, "decimal_places": 2}


class Project(models.Model):
    class FundingSource(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省部级")
        MUNICIPAL = "municipal", _("市级")
        CONTRACT = "contract", _("横向")
        OWN = "own", _("自筹")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属机构")
    )
    name = models.CharField(_("课题名称"), max_length=200, validators=[ONE_LINE])
    number = models.CharField(_("课题编号/经费卡号"), max_length=64, validators=[ONE_LINE])
    funding_source = models.CharField(_("经费来源"), max_length=16, choices=FundingSource.choices)
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_projects",
        verbose_name=_("课题负责人"),
    )
    active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("课题")
        verbose_name_plural = _("课题")
        ordering = ["organisation", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="project_number_once_per_organisation"
            ),
            models.CheckConstraint(
                condition=~Q(number="") & ~Q(name=""), name="project_has_name_and_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class ChargeThreshold(models.Model):
    """An organisation's threshold: a charge to one of its projects above this amount waits
    for the project's principal investigator (equal to it does not). No row: never."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("机构"),
    )
    amount = models.DecimalField(_("课题负责人审批阈值（元）"), **MONEY)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("课题费用审批阈值")
        verbose_name_plural = _("课题费用审批阈值")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="threshold_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.amount}"


class ChargeApproval(models.Model):
    """A charge to a project that waits for (or got) its principal investigator's word."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待负责人审批")
        APPROVED = "approved", _("负责人已同意")
        REJECTED = "rejected", _("负责人已拒绝")

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("课题")
    )
    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="charge_approval",
    )
    order = models.OneToOneField(
        "bookings.SampleOrder",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="charge_approval",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("费用（元）"), **MONEY)
    threshold = models.DecimalField(_("审批阈值（元）"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=300, blank=True, validators=[ONE_LINE])
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("课题费用审批")
        verbose_name_plural = _("课题费用审批")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booking__isnull=False, order__isnull=True)
                | Q(booking__isnull=True, order__isnull=False),
                name="chargeapproval_one_service",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=models.F("threshold")), name="chargeapproval_above"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="chargeapproval_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="chargeapproval_rejected_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="chargeapproval_pending")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.amount} {self.status}"

    @property
    def service(self):
        return self.booking if self.booking_id else self.order
