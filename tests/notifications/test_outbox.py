"""Notifications: one outbox row per key, each e-mailed once, bilingual plain text, and an
in-portal list that shows a person only their own."""

import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from portal.notifications import mail as bookings_mail
from portal.notifications import tasks
from portal.notifications.models import Notification
from sharing.bookings.models import Booking, WaitlistEntry
from sharing.bookings.notifications import booking_notify, notify_about_booking, waitlist_notify
from tests.bookings import make_booking
from tests.factories import InstrumentFactory, UserFactory

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class DirectoryBackend(BaseEmailBackend):
    """One file per message in $TEST_MAILDIR: the worker process runs in another process, so
    locmem's outbox cannot be read from the test, and settings do not read EMAIL_FILE_PATH
    from the environment (and the file backend may append two messages to one file)."""

    def send_messages(self, messages):
        folder = Path(os.environ["TEST_MAILDIR"])
        for message in messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(messages)


# --- The outbox row ------------------------------------------------------------------------


@pytest.mark.django_db
def test_notifying_twice_with_the_same_key_makes_one_row():
    booking = make_booking()
    first = notify_about_booking(
        kind="approved", user=booking.requester, booking=booking, subject="s", body="b"
    )
    second = notify_about_booking(
        kind="approved", user=booking.requester, booking=booking, subject="s", body="b"
    )
    assert first is not None
    assert second is None
    assert (
        Notification.objects.filter(
            about_type="booking", about_id=booking.pk, kind="approved"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_a_duplicate_does_not_break_the_callers_transaction():
    booking = make_booking()
    with transaction.atomic():
        notify_about_booking(
            kind="approved", user=booking.requester, booking=booking, subject="s", body="b"
        )
        notify_about_booking(
            kind="approved", user=booking.requester, booking=booking, subject="s", body="b"
        )
        booking.purpose = "still writable"
        booking.save(update_fields=["purpose"])
    assert Booking.objects.get(pk=booking.pk).purpose == "still writable"


@pytest.mark.django_db
def test_the_email_is_enqueued_only_after_commit(sent_ids, django_capture_on_commit_callbacks):
    booking = make_booking()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = notify_about_booking(
            kind="approved", user=booking.requester, booking=booking, subject="s", body="b"
        )
    assert sent_ids == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert sent_ids == [note.pk]


@pytest.mark.django_db
def test_a_broker_that_is_down_does_not_fail_the_change(
    monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OSError("redis is down")

    monkeypatch.setattr(tasks.send_notification, "delay", broker_down)
    booking = make_booking()
    with django_capture_on_commit_callbacks(execute=True):
        note = notify_about_booking(
            kind="approved", user=booking.requester, booking=booking, subject="s", body="b"
        )
    # The row stays, unsent, for the resend sweep.
    assert Notification.objects.get(pk=note.pk).emailed_at is None


@pytest.mark.django_db
def test_a_new_request_tells_the_managers_and_a_decision_tells_the_requester(sent_ids):
    manager = UserFactory(email="manager@example.org")
    instrument = InstrumentFactory()
    instrument.managers.add(manager)
    booking = make_booking(instrument=instrument, status="requested")
    booking_notify(booking=booking, kind="requested")
    booking_notify(booking=booking, kind="approved")
    assert list(Notification.objects.filter(kind="requested").values_list("user", flat=True)) == [
        manager.pk
    ]
    assert list(Notification.objects.filter(kind="approved").values_list("user", flat=True)) == [
        booking.requester.pk
    ]


@pytest.mark.django_db
def test_waitlist_notifications_are_once_per_entry(sent_ids):
    booking = make_booking()
    entry = WaitlistEntry.objects.create(
        instrument=booking.instrument, user=UserFactory(), period=booking.period
    )
    assert waitlist_notify(entry=entry) is not None
    assert waitlist_notify(entry=entry) is None
    note = Notification.objects.get(kind="waitlist")
    assert (note.about_type, note.about_id) == ("waitlist", entry.pk)
    assert note.subject.startswith("【绵碚共享】候补时段已空出")


# --- The words -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_texts_are_chinese_first_with_shanghai_times_and_user_text_kept_plain(sent_ids):
    start = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    booking = make_booking(
        start=start, hours=2, purpose='<script>alert("x")</script>\r\nBcc: evil@example.org'
    )
    booking_notify(booking=booking, kind="rejected", reason="样品不符合要求 <b>")
    note = Notification.objects.get(kind="rejected")
    assert note.subject.startswith("【绵碚共享】预约被拒绝 Booking rejected：")
    assert "2026-03-02 09:30–11:30" in note.subject
    assert "\n" not in note.subject and "\r" not in note.subject
    lines = note.body.splitlines()
    assert lines[0] == "您的预约申请未获批准。"
    assert lines[1] == "Your booking request was not approved."
    assert "时间 Time：2026-03-02 09:30–11:30（北京时间 Asia/Shanghai, UTC+8）" in lines
    # Verbatim, unescaped (the mail is text/plain) and on one line: no forged header or line.
    assert '用途 Purpose：<script>alert("x")</script> Bcc: evil@example.org' in lines
    assert "说明 Reason：样品不符合要求 <b>" in lines


@pytest.mark.django_db
def test_a_booking_over_midnight_names_both_dates(sent_ids):
    start = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    booking = make_booking(start=start, hours=4)
    booking_notify(booking=booking, kind="approved")
    assert "2026-03-02 22:00–2026-03-03 02:00" in Notification.objects.get().subject


@pytest.mark.django_db
def test_the_email_is_plain_text_with_a_stable_message_id(settings, sent_ids):
    settings.EMAIL_BACKEND = LOCMEM
    booking = make_booking(purpose="<img src=x onerror=alert(1)>")
    booking_notify(booking=booking, kind="approved")
    note = Notification.objects.get()
    assert bookings_mail.notification_send(notification_id=note.pk) == "sent"
    (message,) = mail.outbox
    assert message.content_subtype == "plain"
    assert not getattr(message, "alternatives", None)
    assert "<img src=x onerror=alert(1)>" in message.body
    assert message.to == ["someone@example.org"]
    assert message.extra_headers["Message-ID"] == f"<notification-{note.pk}@mianbei-portal>"


# --- Sending once ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_sending_twice_sends_one_email(settings, sent_ids):
    settings.EMAIL_BACKEND = LOCMEM
    booking = make_booking()
    booking_notify(booking=booking, kind="approved")
    note = Notification.objects.get()
    assert bookings_mail.notification_send(notification_id=note.pk) == "sent"
    assert bookings_mail.notification_send(notification_id=note.pk) == "already sent or being sent"
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert note.attempts == 1


class SlowBackend(BaseEmailBackend):
    """Holds the row lock a while, so two sends really overlap."""

    sent: list = []

    def send_messages(self, messages):
        time.sleep(0.5)
        SlowBackend.sent.extend(messages)
        return len(messages)


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_send_one_email(settings, sent_ids):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    SlowBackend.sent = []
    booking = make_booking()
    booking_notify(booking=booking, kind="approved")
    note = Notification.objects.get()
    barrier = threading.Barrier(2)
    outcomes = []

    def send():
        try:
            barrier.wait(timeout=10)
            outcomes.append(bookings_mail.notification_send(notification_id=note.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already sent or being sent", "sent"]
    assert len(SlowBackend.sent) == 1


@pytest.mark.django_db
def test_a_failed_send_counts_the_attempt_and_stays_unsent(monkeypatch, sent_ids):
    def smtp_down(self, fail_silently=False):
        raise ConnectionRefusedError("smtp is down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", smtp_down)
    booking = make_booking()
    booking_notify(booking=booking, kind="approved")
    note = Notification.objects.get()
    assert bookings_mail.notification_send(notification_id=note.pk) == "failed"
    note.refresh_from_db()
    assert note.emailed_at is None
    assert note.attempts == 1


@pytest.mark.django_db
def test_someone_without_an_address_is_stamped_and_not_retried(settings, sent_ids):
    settings.EMAIL_BACKEND = LOCMEM
    booking = make_booking(requester=UserFactory(email=""))
    booking_notify(booking=booking, kind="approved")
    note = Notification.objects.get()
    assert bookings_mail.notification_send(notification_id=note.pk) == "sent"
    assert mail.outbox == []
    note.refresh_from_db()
    assert note.emailed_at is not None


@pytest.mark.django_db
def test_resend_enqueues_old_unsent_rows_with_attempts_left_only(sent_ids):
    booking = make_booking()
    user = booking.requester
    old = timezone.now() - timedelta(minutes=10)

    def row(key, **fields):
        note = Notification.objects.create(
            user=user,
            about_type="booking",
            about_id=booking.pk,
            kind="approved",
            key=key,
            subject="s",
            body="b",
        )
        Notification.objects.filter(pk=note.pk).update(**{"created_at": old, **fields})
        return note.pk

    due = row("due")
    row("sent", emailed_at=timezone.now())
    row("gave-up", attempts=bookings_mail.MAX_ATTEMPTS)
    row("fresh", created_at=timezone.now())
    assert bookings_mail.notifications_resend(older_than_minutes=5) == 1
    assert sent_ids == [due]


# --- In the portal ---------------------------------------------------------------------------


@pytest.fixture
def two_people_notified(sent_ids):
    me = UserFactory(email="me@example.org")
    other = UserFactory(email="other@example.org")
    mine = []
    for n in range(5):
        booking = make_booking(requester=me, start=timezone.now() + timedelta(days=3 + n))
        booking_notify(booking=booking, kind="approved")
        mine.append(Notification.objects.get(about_type="booking", about_id=booking.pk))
    theirs = make_booking(requester=other)
    booking_notify(booking=theirs, kind="approved")
    return me, other, mine, Notification.objects.get(about_type="booking", about_id=theirs.pk)


@pytest.mark.django_db
def test_the_list_shows_only_mine_newest_first_in_keyset_pages(api, two_people_notified):
    me, _other, mine, theirs = two_people_notified
    api.force_authenticate(me)
    seen = []
    url = "/api/notifications/?page_size=2"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        seen += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
    expected = [n.pk for n in sorted(mine, key=lambda n: (n.created_at, n.pk), reverse=True)]
    assert seen == expected
    assert theirs.pk not in seen


@pytest.mark.django_db
def test_marking_read_works_for_mine_and_is_404_for_someone_elses(api, two_people_notified):
    me, _other, mine, theirs = two_people_notified
    api.force_authenticate(me)
    response = api.post(f"/api/notifications/{mine[0].pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    first_read = response.json()["read_at"]
    assert api.post(f"/api/notifications/{mine[0].pk}/read").json()["read_at"] == first_read
    assert api.post(f"/api/notifications/{theirs.pk}/read").status_code == 404
    assert api.post("/api/notifications/999999999/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    unread = api.get("/api/notifications/?unread=true").json()["results"]
    assert mine[0].pk not in [row["id"] for row in unread]
    assert len(unread) == 4


@pytest.mark.django_db
def test_a_forged_cursor_is_a_400(api, member):
    api.force_authenticate(member)
    response = api.get("/api/notifications/?cursor=forged")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_notifications_need_a_signed_in_person(api):
    assert api.get("/api/notifications/").status_code in (401, 403)
    assert api.post("/api/notifications/1/read").status_code in (401, 403)


# --- With a real worker ------------------------------------------------------------------------


def _wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_each_notification_is_emailed_once_by_a_real_worker_even_when_enqueued_twice(
    request, monkeypatch, tmp_path
):
    maildir = tmp_path / "mail"
    maildir.mkdir()
    # The worker copies os.environ when it starts, so the backend is chosen before it does.
    monkeypatch.setenv("EMAIL_BACKEND", f"{__name__}.DirectoryBackend")
    monkeypatch.setenv("TEST_MAILDIR", str(maildir))
    request.getfixturevalue("celery_worker")

    booking = make_booking(requester=UserFactory(email="twice@example.org"))
    with transaction.atomic():
        booking_notify(booking=booking, kind="approved")  # enqueued once, on commit
    note = Notification.objects.get()
    # And twice more, as acks_late redelivery or an overlapping resend sweep would.
    # The portal ignores this task's result; the test asks for it to read what the worker did.
    results = [
        tasks.send_notification.apply_async((note.pk,), ignore_result=False) for _ in range(2)
    ]
    outcomes = [result.get(timeout=60) for result in results]
    assert outcomes == ["already sent or being sent"] * 2
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert note.attempts == 1
    files = list(maildir.iterdir())
    assert len(files) == 1
    assert b"twice@example.org" in files[0].read_bytes()

    # A notification recorded while Redis was down (never enqueued) goes out with the sweep.
    missed = Notification.objects.create(
        user=booking.requester,
        about_type="booking",
        about_id=booking.pk,
        kind="cancelled",
        key="missed-while-redis-was-down",
        subject="s",
        body="b",
    )
    Notification.objects.filter(pk=missed.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    # The sweep runs here rather than in the worker: the fixture's worker consumes only its own
    # queue, while a task sent from inside the worker would go to the default queue.
    assert tasks.resend_unsent.apply(args=[5]).get() == 1
    assert _wait_for(lambda: Notification.objects.get(pk=missed.pk).emailed_at is not None)
    assert len(list(maildir.iterdir())) == 2
