"""Telling people about their bookings: an outbox row per (booking, kind, person), created in
the same transaction as the change it reports and e-mailed by Celery after commit."""

from django.db import IntegrityError, transaction

from portal.accounts.models import User
from sharing.bookings.models import Booking, Notification


def notification_key(
    *, kind: str, user: User, booking: Booking | None = None, extra: str = ""
) -> str:
    return f"{kind}:{booking.pk if booking else '-'}:{user.pk}:{extra}"[:120]


def notify(
    *,
    kind: str,
    user: User,
    subject: str,
    body: str,
    booking: Booking | None = None,
    waitlist_entry=None,
    extra: str = "",
) -> Notification | None:
    """Record a notification once; a second call with the same key does nothing (returns None).
    The e-mail is sent by a task enqueued on commit."""
    key = notification_key(kind=kind, user=user, booking=booking, extra=extra)
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                user=user,
                booking=booking,
                waitlist_entry=waitlist_entry,
                kind=kind,
                key=key,
                subject=subject[:200],
                body=body,
            )
    except IntegrityError:
        return None
    from sharing.bookings import tasks

    tasks.send_notification.delay_on_commit(note.pk)
    return note


def booking_notify(*, booking: Booking, kind: str, reason: str = "") -> None:
    """Tell the people a booking change concerns: a new request goes to the instrument's
    managers, every other change to the requester. Subjects and bodies are Chinese first."""
    from sharing.bookings.notify_texts import render

    if kind == Notification.Kind.REQUESTED:
        recipients = list(booking.instrument.managers.all())
    else:
        recipients = [booking.requester]
    for user in recipients:
        subject, body = render(kind=kind, booking=booking, reason=reason)
        notify(kind=kind, user=user, subject=subject, body=body, booking=booking)
