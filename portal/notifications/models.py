from django.conf import settings
from django.contrib.postgres.fields import ArrayField
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
    # When the outbox was done with it: sent through every channel the person chose for its
    # kind (e-mail, SMS), or none chosen ("page only"). Named when e-mail was the only channel.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The channels it went out through so far: a retry after a failure skips them.
    sent_via = ArrayField(models.CharField(max_length=16), default=list, blank=True)
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
            # The unread count in every page's header.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
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


class Channel(models.TextChoices):
    """The ways a notification leaves the portal; every notification is also in the pages."""

    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class NotificationPreference(models.Model):
    """How one person wants one kind of notification: in the pages only (no channels), or also
    by e-mail or SMS. Without a row a kind goes by e-mail, as it always did."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=16)
    channels = ArrayField(
        models.CharField(max_length=16, choices=Channel.choices), default=list, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notificationpreference_once"),
            models.CheckConstraint(
                condition=Q(channels__contained_by=[value for value, _label in Channel.choices]),
                name="notificationpreference_channels_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}: {','.join(self.channels) or 'page'}"
