"""A notification that cannot be sent must not be retried for ever nor starve the others."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.notifications import mail as bookings_mail
from portal.notifications.models import Notification
from portal.notifications.services import notify
from tests.bookings import make_booking
from tests.factories import UserFactory
from tests.notifications.test_outbox import LOCMEM

pytestmark = pytest.mark.django_db


def test_a_title_with_cr_lf_becomes_a_one_line_subject(settings, sent_ids):
    settings.EMAIL_BACKEND = LOCMEM
    user = UserFactory(email="owner@example.org")
    note = notify(
        kind="tech_review",
        user=user,
        subject="成果审查结论：标题\r\nBcc: evil@example.org",
        body="x",
    )
    assert "\n" not in note.subject and "\r" not in note.subject
    assert bookings_mail.notification_send(notification_id=note.pk) == "sent"
    assert mail.outbox[0].subject == "成果审查结论：标题 Bcc: evil@example.org"
    assert mail.outbox[0].bcc == []


def test_a_poison_row_already_stored_is_sent_flattened(settings, sent_ids):
    settings.EMAIL_BACKEND = LOCMEM
    note = notify(kind="approved", user=UserFactory(email="a@example.org"), subject="s", body="b")
    Notification.objects.filter(pk=note.pk).update(subject="坏\n标题")
    assert bookings_mail.notification_send(notification_id=note.pk) == "sent"
    assert mail.outbox[0].subject == "坏 标题"


def test_a_send_that_raises_counts_the_attempt_and_gives_up_after_the_limit(settings, sent_ids):
    settings.EMAIL_BACKEND = LOCMEM
    user = UserFactory(email="a@example.org")
    note = notify(kind="approved", user=user, subject="s", body="b")
    # An address with a line break makes Django refuse the header (BadHeaderError/ValueError).
    type(user).objects.filter(pk=user.pk).update(email="a@example.org\nBcc: x@example.org")
    for attempt in range(1, bookings_mail.MAX_ATTEMPTS + 1):
        assert bookings_mail.notification_send(notification_id=note.pk) == "failed"
        note.refresh_from_db()
        assert note.attempts == attempt
    assert bookings_mail.notification_send(notification_id=note.pk) != "sent"
    note.refresh_from_db()
    assert note.attempts == bookings_mail.MAX_ATTEMPTS
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert bookings_mail.notifications_resend(older_than_minutes=5) == 0
    assert mail.outbox == []


def test_the_resend_sweep_takes_fresh_rows_before_failing_ones(sent_ids, settings):
    settings.EMAIL_BACKEND = LOCMEM
    booking = make_booking()
    old = timezone.now() - timedelta(hours=1)
    failing = [
        notify(kind="approved", user=booking.requester, subject="s", body="b", extra=str(n))
        for n in range(3)
    ]
    Notification.objects.filter(pk__in=[n.pk for n in failing]).update(
        attempts=3, created_at=old - timedelta(minutes=1)
    )
    fresh = notify(kind="approved", user=booking.requester, subject="s", body="b", extra="new")
    Notification.objects.filter(pk=fresh.pk).update(created_at=old)
    sent_ids.clear()
    monkey = bookings_mail.RESEND_BATCH
    try:
        bookings_mail.RESEND_BATCH = 1
        assert bookings_mail.notifications_resend(older_than_minutes=5) == 1
    finally:
        bookings_mail.RESEND_BATCH = monkey
    assert sent_ids == [fresh.pk]
