"""Running an instrument day to day: problems people report and training they ask for.

A problem marked "down" closes the instrument through a Blackout of kind breakdown, so the
calendar, the search and the affected bookings learn of it the way they learn of any closure.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.bookings.models.bookings import Blackout, Booking
from sharing.catalogue.models import Instrument


class ProblemReport(models.Model):
    class Severity(models.TextChoices):
        MINOR = "minor", _("轻微")
        DEGRADED = "degraded", _("影响使用")
        DOWN = "down", _("停机")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        RESOLVED = "resolved", _("已解决")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="problems")
    reporter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="problems"
    )
    severity = models.CharField(_("严重程度"), max_length=16, choices=Severity.choices)
    description = models.TextField(_("问题描述"), max_length=2000, validators=[SEVERAL_LINES])
    photo = models.FileField(_("照片"), upload_to="problems/%Y/%m/", max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    # The closure a "down" problem opened, ended when the problem is resolved, and the running
    # status the instrument had before, given back then.
    closure = models.ForeignKey(
        Blackout, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    running_status_before = models.CharField(max_length=32, blank=True, validators=[ONE_LINE])
    created_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(
        _("处理记录"), max_length=2000, blank=True, validators=[SEVERAL_LINES]
    )

    class Meta:
        verbose_name = _("故障报告")
        verbose_name_plural = _("故障报告")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | Q(status="resolved", resolved_at__isnull=False),
                name="problem_resolved_has_time",
            ),
        ]
        indexes = [models.Index(fields=["instrument", "status"], name="problem_instrument_status")]

    def __str__(self) -> str:
        return f"problem #{self.pk} {self.instrument_id} {self.severity}"


class TrainingRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("待安排")
        SCHEDULED = "scheduled", _("已安排")
        PASSED = "passed", _("已通过")
        FAILED = "failed", _("未通过")
        CANCELLED = "cancelled", _("已取消")

    OPEN = (Status.REQUESTED, Status.SCHEDULED)

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="training_requests"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="training_requests")
    message = models.CharField(_("说明"), max_length=300, blank=True, validators=[ONE_LINE])
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    scheduled_for = models.DateTimeField(_("培训时间"), null=True, blank=True)
    place = models.CharField(_("培训地点"), max_length=200, blank=True, validators=[ONE_LINE])
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome_note = models.CharField(
        _("结果说明"), max_length=300, blank=True, validators=[ONE_LINE]
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("培训申请")
        verbose_name_plural = _("培训申请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "instrument"],
                condition=Q(status__in=["requested", "scheduled"]),
                name="training_one_open_per_user_instrument",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_for__isnull=False),
                name="training_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"training #{self.pk} {self.user_id} @ {self.instrument_id}"
