"""E-mailing the notification outbox, each row once."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from sharing.bookings.models import Notification

logger = logging.getLogger(__name__)

# After this many failed sends a row stays unsent and visible in the admin instead of being
# retried forever (a bad address, a mailbox that no longer exists).
MAX_ATTEMPTS = 5
# How many unsent rows one sweep re-enqueues; the next sweep takes the rest.
RESEND_BATCH = 500


def _message(note: Notification) -> EmailMessage:
    return EmailMessage(
        subject=note.subject,
        body=note.body,  # text/plain only: user text is never read as HTML
        to=[note.user.email],
        headers={
            # The same Message-ID for every attempt lets mail systems drop a duplicate in the
            # rare case that a worker dies between handing the mail over and committing.
            "Message-ID": f"<notification-{note.pk}@mianbei-portal>",
            "Auto-Submitted": "auto-generated",
        },
    )


def notification_send(*, notification_id: int) -> str:
    """E-mail one notification, once: the row is locked and stamped in the same transaction, so
    a task delivered twice (acks_late after a crash) or a resend racing the first send finds it
    locked (skip_locked) or already stamped, and sends nothing."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if note is None:
            return "already sent or being sent"
        note.attempts += 1
        # Someone without an address, or whose account is closed, still sees it in the portal.
        if note.user.email and note.user.is_active:
            try:
                _message(note).send()
            except (SMTPException, OSError):
                # Keep the failed attempt (the transaction commits) and leave the row unsent for
                # the resend sweep; raising here would roll the count back and retry forever.
                logger.exception("notification %s: e-mail failed", note.pk)
                note.save(update_fields=["attempts"])
                return "failed"
        note.emailed_at = timezone.now()
        note.save(update_fields=["attempts", "emailed_at"])
    return "sent"


def notifications_resend(*, older_than_minutes: int = 5) -> int:
    """Enqueue again the notifications that are still unsent after a while: created while Redis
    was down, or whose send failed. Sending twice is harmless (see notification_send)."""
    from sharing.bookings import tasks

    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:RESEND_BATCH]
    )
    for pk in ids:
        tasks.send_notification.delay(pk)
    return len(ids)
