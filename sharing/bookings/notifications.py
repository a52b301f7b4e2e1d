"""Telling people about their bookings through the outbox (portal.notifications): a notice per
(booking, kind, person), recorded in the same transaction as the change it reports. Bookings key
their notices by the booking's id ("42") or the waitlist entry's ("w7"), as they always did.
"""

import logging
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from portal.notifications.models import Notification
from portal.notifications.services import notify
from sharing.bookings.models import Booking, Notice, WaitlistEntry

logger = logging.getLogger(__name__)

# Which reminder goes out how long before an approved booking starts. A booking that starts
# within the hour gets only the 1 h reminder: two mails in the same minute would be noise.
REMINDERS = (
    (Notice.REMINDER_24H, timedelta(hours=24)),
    (Notice.REMINDER_1H, timedelta(hours=1)),
)


def notify_about_booking(*, kind: str, user, booking: Booking, subject: str, body: str):
    return notify(
        kind=kind,
        user=user,
        subject=subject,
        body=body,
        about=("booking", booking.pk),
        ref=str(booking.pk),
    )


def booking_notify(*, booking: Booking, kind: str, reason: str = "") -> None:
    """Tell the people a booking change concerns: a new request goes to the instrument's
    managers, every other change to the requester. Subjects and bodies are Chinese first."""
    from sharing.bookings.notify_texts import render

    if kind == Notice.REQUESTED:
        recipients = list(booking.instrument.managers.all())
    else:
        recipients = [booking.requester]
    subject, body = render(kind=kind, booking=booking, reason=reason)
    for user in recipients:
        notify_about_booking(kind=kind, user=user, booking=booking, subject=subject, body=body)


def waitlist_notify(*, entry: WaitlistEntry, extra: str = "") -> Notification | None:
    """Tell a waitlisted person their time is free; `extra` tells apart a second freeing of the
    same entry (for instance the booking id that was released)."""
    from sharing.bookings.notify_texts import render_waitlist

    subject, body = render_waitlist(entry=entry)
    return notify(
        kind=Notice.WAITLIST,
        user=entry.user,
        subject=subject,
        body=body,
        about=("waitlist", entry.pk),
        ref=f"w{entry.pk}",
        extra=extra,
    )


def waitlist_links(ids: list[int]) -> dict[int, str]:
    """The pages of waitlist notices: the week of the instrument whose time was freed."""
    from django.urls import reverse

    rows = WaitlistEntry.objects.filter(pk__in=ids).values_list("pk", "instrument_id")
    return {pk: reverse("frontend:booking-week", args=[instrument]) for pk, instrument in rows}


def instrument_page_links(model):
    """A builder of the instrument pages of notices about a problem, a training request or a
    qualification: where the person sees its state (problem history, training panel)."""

    def build(ids: list[int]) -> dict[int, str]:
        from django.urls import reverse

        rows = model.objects.filter(pk__in=ids).values_list("pk", "instrument_id")
        return {pk: reverse("frontend:instrument", args=[instrument]) for pk, instrument in rows}

    return build


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
        if kind == Notice.REMINDER_24H:
            due = due.filter(period__startswith__gt=now + timedelta(hours=1))
        # Only a filter to skip work: the unique key is what keeps a reminder single.
        sent = Notification.objects.filter(about_type="booking", about_id=OuterRef("pk"), kind=kind)
        due = due.exclude(Exists(sent)).select_related(
            "instrument", "requester", "requester__organisation"
        )
        for booking in due.order_by("pk"):
            subject, body = render(kind=kind, booking=booking)
            if notify_about_booking(
                kind=kind, user=booking.requester, booking=booking, subject=subject, body=body
            ):
                created += 1
    if created:
        logger.info("created %d booking reminders", created)
    return created


def training_notify(*, training, kind: str, extra: str = "") -> None:
    """Tell the people a training request concerns: a new request goes to the instrument's
    managers, a schedule or a result to the person who asked."""
    from sharing.bookings.notify_texts import render_training

    if kind == Notice.TRAINING_REQUESTED:
        recipients = list(training.instrument.managers.all())
    else:
        recipients = [training.user]
    subject, body = render_training(kind=kind, training=training)
    for user in recipients:
        notify(
            kind=kind,
            user=user,
            subject=subject,
            body=body,
            about=("training", training.pk),
            ref=f"t{training.pk}",
            extra=extra,
        )


def qualification_notify(*, qualification, kind: str, extra: str, reason: str = "") -> None:
    """Tell the person their qualification was granted, renewed or revoked; ``extra`` tells
    apart a second grant (a renewal) from the first."""
    from sharing.bookings.notify_texts import render_qualification

    subject, body = render_qualification(kind=kind, qualification=qualification, reason=reason)
    notify(
        kind=kind,
        user=qualification.user,
        subject=subject,
        body=body,
        about=("qualification", qualification.pk),
        ref=f"q{qualification.pk}",
        extra=extra,
    )


def booking_notify_closed(
    *, booking: Booking, reason: str, cancelled: bool, offers: list
) -> Notification | None:
    """Tell the requester that a closure falls on their booking, and offer the nearest free
    times of the same length."""
    from sharing.bookings.notify_texts import render_closed

    subject, body = render_closed(
        booking=booking, reason=reason, cancelled=cancelled, offers=offers
    )
    return notify_about_booking(
        kind=Notice.CLOSED, user=booking.requester, booking=booking, subject=subject, body=body
    )


def problem_notify(*, problem) -> None:
    """Tell the instrument's managers of a new problem report (not the reporter themselves)."""
    from sharing.bookings.notify_texts import render_problem

    subject, body = render_problem(problem=problem)
    for user in problem.instrument.managers.exclude(pk=problem.reporter_id):
        notify(
            kind=Notice.PROBLEM,
            user=user,
            subject=subject,
            body=body,
            about=("problem", problem.pk),
            ref=f"p{problem.pk}",
        )
