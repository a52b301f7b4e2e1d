"""E-mailing the notification outbox, each row once — with one honest exception.

What is guaranteed: every row is e-mailed at least once (it stays unsent until a send commits,
and the resend sweep finds it: after Redis was down, after a failed send, after a killed
worker), and a row is never e-mailed twice by two tasks (the row lock plus `emailed_at`).

What cannot be: exactly once across a crash in the few milliseconds between the mail server
accepting a message and the commit that stamps the row. No outbox can close that window, since
the mail server is not in our transaction; a lease ("sending since") only trades it for
at-most-once or for a wait. We keep the row locked while sending instead: a worker that dies
mid-send releases the lock with its connection, so the row is sent again at once, not after a
guessed lease, and the lock is held no longer than EMAIL_TIMEOUT. In that rare window the
message goes out a second time with the same Message-ID, which mail systems use to drop it.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.notifications.channels import CHANNELS, email_message
from portal.notifications.models import Notification
from portal.notifications.selectors import channels_for

logger = logging.getLogger(__name__)

# After this many failed sends a row stays unsent and visible in the admin instead of being
# retried forever (a bad address, a mailbox that no longer exists).
MAX_ATTEMPTS = 5
# How many unsent rows one sweep re-enqueues; the next sweep takes the rest.
RESEND_BATCH = 500

_message = email_message  # its name before the channels


def notification_send(*, notification_id: int) -> str:
    """Send one notification through the channels its person chose for its kind (e-mail unless
    they said otherwise; none for "page only"): the row is locked and stamped in the same
    transaction, so a task delivered twice (acks_late after a crash) or a resend racing the
    first send finds it locked (skip_locked) or already stamped, and sends nothing. A channel
    that went out is recorded in ``sent_via`` and not used again by the retry after another
    channel failed. See the module's note on crashes."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=notification_id, emailed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .first()
        )
        if note is None:
            return "already sent or being sent"  # or given up after MAX_ATTEMPTS
        note.attempts += 1
        # Someone without an address or a phone, or whose account is closed, still sees it in
        # the portal.
        if note.user.is_active:
            for name in channels_for(user=note.user, kind=note.kind):
                channel = CHANNELS.get(name)
                if channel is None or name in note.sent_via or not channel.reaches(note.user):
                    continue
                try:
                    channel.send(note)
                except Exception:
                    # Whatever the failure (SMTP, network, a header Django refuses), keep the
                    # failed attempt (the transaction commits) and leave the row unsent for the
                    # resend sweep; raising here would roll the count back and retry it for ever.
                    logger.exception("notification %s: %s failed", note.pk, name)
                    note.save(update_fields=["attempts", "sent_via"])
                    return "failed"
                note.sent_via = [*note.sent_via, name]
        note.emailed_at = timezone.now()
        note.save(update_fields=["attempts", "emailed_at", "sent_via"])
    return "sent"


def notifications_resend(*, older_than_minutes: int = 5) -> int:
    """Enqueue again the notifications that are still unsent after a while: created while Redis
    was down, whose send failed, or whose worker was killed mid-send. Enqueueing a row twice is
    harmless (see notification_send)."""
    from portal.notifications import tasks

    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS
        )
        # Rows that never failed first: a pile of failing rows must not starve the others.
        .order_by("attempts", "created_at")
        .values_list("pk", flat=True)[:RESEND_BATCH]
    )
    for pk in ids:
        tasks.send_notification.delay(pk)
    return len(ids)
