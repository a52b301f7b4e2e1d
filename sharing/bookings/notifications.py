"""Telling people about their bookings: an outbox row per (booking, kind, person), created in
the same transaction as the change it reports and e-mailed by Celery after commit.

Once rests on two things in the database, not on timing: the unique `key` (a sweep run twice,
or two at once, inserts the row once) and the row lock plus `emailed_at` stamp in
mail.notification_send (a task delivered twice sends once). The one window no database can
close, a crash between the mail server's "accepted" and our commit, is described in mail.py.
"""

import logging
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from psycopg import errors as pg_errors

from portal.accounts.models import User
from sharing.bookings.models import Booking, Notification, WaitlistEntry
from sharing.bookings.notify_texts import plain

logger = logging.getLogger(__name__)

# Which reminder goes out how long before an approved booking starts. A booking that starts
# within the hour gets only the 1 h reminder: two mails in the same minute would be noise.
REMINDERS = (
    (Notification.Kind.REMINDER_24H, timedelta(hours=24)),
    (Notification.Kind.REMINDER_1H, timedelta(hours=1)),
)


def notification_key(
    *,
    kind: str,
    user: User,
    booking: Booking | None = None,
    waitlist_entry: WaitlistEntry | None = None,
    extra: str = "",
) -> str:
    if booking is not None:
        subject = str(booking.pk)
    elif waitlist_entry is not None:
        subject = f"w{waitlist_entry.pk}"
    else:
        subject = "-"
    return f"{kind}:{subject}:{user.pk}:{extra}"[:120]


def _is_duplicate_key(exc: IntegrityError) -> bool:
    # `key` is the only unique column we write (the primary key is generated, and foreign keys
    # are deferred to commit), so a unique violation here means "already recorded".
    return isinstance(exc.__cause__, pg_errors.UniqueViolation)


# A broker that hangs rather than refuses (Redis paused, a half-open connection) costs each
# publish its socket timeouts; after one slow failure the process stops trying for a while and
# the rows wait in the outbox for the resend sweep. A fast refusal (Redis stopped) costs
# milliseconds and trips nothing.
SLOW_FAILURE_SECONDS = 1.0
BROKER_BACKOFF_SECONDS = 30.0
_broker_skip_until = 0.0


def _enqueue_send(notification_id: int) -> None:
    global _broker_skip_until
    from sharing.bookings import tasks

    if time.monotonic() < _broker_skip_until:
        logger.info("broker backoff: notification %s waits in the outbox", notification_id)
        return
    started = time.monotonic()
    try:
        tasks.send_notification.delay(notification_id)
    except Exception:
        if time.monotonic() - started >= SLOW_FAILURE_SECONDS:
            _broker_skip_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        raise


def notify(
    *,
    kind: str,
    user: User,
    subject: str,
    body: str,
    booking: Booking | None = None,
    waitlist_entry: WaitlistEntry | None = None,
    extra: str = "",
) -> Notification | None:
    """Record a notification once; a second call with the same key does nothing (returns None).
    The e-mail is sent by a task enqueued on commit."""
    key = notification_key(
        kind=kind, user=user, booking=booking, waitlist_entry=waitlist_entry, extra=extra
    )
    try:
        # A savepoint, so a duplicate does not break the caller's transaction.
        with transaction.atomic():
            note = Notification.objects.create(
                user=user,
                booking=booking,
                waitlist_entry=waitlist_entry,
                kind=kind,
                key=key,
                subject=plain(subject, limit=200),
                body=body,
            )
    except IntegrityError as exc:
        if not _is_duplicate_key(exc):
            raise
        return None

    # This is delay_on_commit made robust: the row is already committed when the callback runs,
    # so a broker that is down must not turn the booking change into a 500. The outbox sweep
    # (resend_unsent) sends what was not enqueued once Redis is back.
    # (A named function, not a partial: Django logs a robust callback's __qualname__.)
    def enqueue_send() -> None:
        _enqueue_send(note.pk)

    transaction.on_commit(enqueue_send, robust=True)
    return note


def booking_notify(*, booking: Booking, kind: str, reason: str = "") -> None:
    """Tell the people a booking change concerns: a new request goes to the instrument's
    managers, every other change to the requester. Subjects and bodies are Chinese first."""
    from sharing.bookings.notify_texts import render

    if kind == Notification.Kind.REQUESTED:
        recipients = list(booking.instrument.managers.all())
    else:
        recipients = [booking.requester]
    subject, body = render(kind=kind, booking=booking, reason=reason)
    for user in recipients:
        notify(kind=kind, user=user, subject=subject, body=body, booking=booking)


def waitlist_notify(*, entry: WaitlistEntry, extra: str = "") -> Notification | None:
    """Tell a waitlisted person their time is free; `extra` tells apart a second freeing of the
    same entry (for instance the booking id that was released)."""
    from sharing.bookings.notify_texts import render_waitlist

    subject, body = render_waitlist(entry=entry)
    return notify(
        kind=Notification.Kind.WAITLIST,
        user=entry.user,
        subject=subject,
        body=body,
        waitlist_entry=entry,
        extra=extra,
    )


def sweep_reminders(now: datetime | None = None) -> int:
    """Create the 24 h and 1 h reminders of approved bookings that start soon; returns how many
    were created. Beat runs this every few minutes; a second run, or two concurrent runs,
    create nothing new because notify() relies on the unique key.

    Called outside a transaction on purpose: each reminder commits on its own, so its e-mail is
    enqueued at once and one bad row cannot hold back the others.
    """
    from sharing.bookings.notify_texts import render

    now = now or timezone.now()
    created = 0
    for kind, ahead in REMINDERS:
        due = Booking.objects.filter(
            status=Booking.Status.APPROVED,
            period__startswith__gt=now,
            period__startswith__lte=now + ahead,
        )
        if kind == Notification.Kind.REMINDER_24H:
            due = due.filter(period__startswith__gt=now + timedelta(hours=1))
        # Only a filter to skip work: the unique key is what keeps a reminder single.
        due = due.exclude(notifications__kind=kind).select_related(
            "instrument", "requester", "requester__organisation"
        )
        for booking in due.order_by("pk"):
            subject, body = render(kind=kind, booking=booking)
            if notify(
                kind=kind, user=booking.requester, subject=subject, body=body, booking=booking
            ):
                created += 1
    if created:
        logger.info("created %d booking reminders", created)
    return created


def notification_mark_read(*, user: User, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read (once; the first time stays); None when it is
    not theirs, so the caller answers 404 without telling whether it exists."""
    note = Notification.objects.filter(pk=notification_id, user=user).first()
    if note is None:
        return None
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
        note.refresh_from_db(fields=["read_at"])
    return note
