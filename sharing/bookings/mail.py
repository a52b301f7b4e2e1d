from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from sharing.bookings.models import Notification


def notification_send(*, notification_id: int) -> str:
    """E-mail one notification, once: the row is locked and stamped in the same transaction, so
    a task delivered twice (acks_late after a crash) finds it already sent."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if note is None:
            return "already sent or being sent"
        note.attempts += 1
        if note.user.email:
            send_mail(note.subject, note.body, None, [note.user.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["attempts", "emailed_at"])
    return "sent"
