"""The centre's own work: its brokers' profiles and the services firms and owners request."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation
from portal.text import SEVERAL_LINES
from sharing.techmarket.models.classification import HighTechField
from sharing.techmarket.models.listings import TechListing
from sharing.techmarket.models.needs import TechNeed


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
