from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.notifications import kinds


class Notification(models.Model):
    """Outbox: one row per (subject, kind, person), sent by Celery after commit, exactly once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16)
    # What it is about, as the sending domain names it ("booking", 42): the outbox sits below
    # the domains and holds no foreign key into them.
    about_type = models.CharField(max_length=24, blank=True, default="")
    about_id = models.BigIntegerField(null=True, blank=True)
    # The idempotency key: what makes a sweep that runs twice send once.
    key = models.CharField(max_length=120, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True),
                name="notification_unsent",
            ),
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(fields=["about_type", "about_id"], name="notification_about"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(about_type="", about_id__isnull=True)
                | (~Q(about_type="") & Q(about_id__isnull=False)),
                name="notification_about_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"

    def get_kind_display(self) -> str:
        return kinds.label(self.kind)
