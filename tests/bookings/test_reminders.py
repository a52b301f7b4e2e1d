"""Reminders 24 h and 1 h before an approved booking, once each however often beat sweeps, and
the sweeps beat runs."""

import sys
import threading
import types
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal.celery import app
from portal.notifications.models import Notification
from sharing.bookings import tasks
from sharing.bookings.notifications import sweep_reminders
from tests.bookings import make_booking


def _reminders():
    return sorted(Notification.objects.values_list("about_id", "kind"))


@pytest.mark.django_db
def test_each_booking_gets_the_reminder_of_its_window(sent_ids):
    now = timezone.now()
    in_30_hours = make_booking(start=now + timedelta(hours=30))
    in_5_hours = make_booking(start=now + timedelta(hours=5))
    in_30_minutes = make_booking(start=now + timedelta(minutes=30))
    make_booking(start=now + timedelta(hours=5), status="requested")
    make_booking(start=now + timedelta(hours=5), status="cancelled")
    make_booking(start=now - timedelta(minutes=10))  # already started

    assert sweep_reminders(now=now) == 2
    assert _reminders() == sorted(
        [(in_5_hours.pk, "reminder_24h"), (in_30_minutes.pk, "reminder_1h")]
    )
    # Later the 5-hour booking gets its 1 h reminder, and later still the 30-hour one comes
    # into the 24 h window.
    assert sweep_reminders(now=now + timedelta(hours=4, minutes=30)) == 1
    assert (in_5_hours.pk, "reminder_1h") in _reminders()
    assert sweep_reminders(now=now + timedelta(hours=7)) == 1
    assert (in_30_hours.pk, "reminder_24h") in _reminders()
    assert len(_reminders()) == 4


@pytest.mark.django_db
def test_running_the_sweep_twice_makes_one_notification_per_booking_and_kind(sent_ids):
    now = timezone.now()
    booking = make_booking(start=now + timedelta(hours=3))
    assert sweep_reminders(now=now) == 1
    assert sweep_reminders(now=now) == 0
    assert sweep_reminders(now=now + timedelta(minutes=5)) == 0
    assert _reminders() == [(booking.pk, "reminder_24h")]
    note = Notification.objects.get()
    assert note.user == booking.requester
    assert note.subject.startswith("【绵碚共享】上机提醒：24 小时内开始")


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_make_one_notification_per_booking_and_kind(sent_ids):
    now = timezone.now()
    bookings = [make_booking(start=now + timedelta(minutes=20 + 7 * n)) for n in range(6)]
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            counts.append(sweep_reminders(now=now))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(counts) == len(bookings)
    assert _reminders() == sorted((b.pk, "reminder_1h") for b in bookings)
    # Each row was enqueued once, by the sweep that committed it.
    assert sorted(sent_ids) == sorted(Notification.objects.values_list("pk", flat=True))


# --- Beat and the task wrappers --------------------------------------------------------------

SCHEDULED = {
    "bookings-send-reminders": "sharing.bookings.tasks.send_reminders",
    "bookings-resend-unsent": "sharing.bookings.tasks.resend_unsent",
    "bookings-expire-requests": "sharing.bookings.tasks.expire_requests",
    "bookings-release-no-shows": "sharing.bookings.tasks.release_no_shows",
    "bookings-close-forgotten-check-outs": "sharing.bookings.tasks.close_forgotten_check_outs",
}


def test_beat_runs_every_booking_sweep_every_five_minutes():
    for entry, task in SCHEDULED.items():
        assert settings.CELERY_BEAT_SCHEDULE[entry] == {"task": task, "schedule": 300.0}
        assert task in app.tasks, task


@pytest.mark.django_db
def test_the_reminder_task_runs_the_sweep(sent_ids):
    booking = make_booking(start=timezone.now() + timedelta(hours=2))
    assert tasks.send_reminders.apply().get() == 1
    assert _reminders() == [(booking.pk, "reminder_24h")]


def test_the_booking_sweep_tasks_call_the_services(monkeypatch):
    called = []
    fake = types.ModuleType("sharing.bookings.services")
    fake.sweep_expired_requests = lambda now=None: called.append("expired") or 3
    fake.sweep_no_shows = lambda now=None: called.append("no_show") or 1
    fake.sweep_forgotten_check_outs = lambda now=None: called.append("check_out") or 2
    monkeypatch.setitem(sys.modules, "sharing.bookings.services", fake)
    assert tasks.expire_requests.apply().get() == 3
    assert tasks.release_no_shows.apply().get() == 1
    assert tasks.close_forgotten_check_outs.apply().get() == 2
    assert called == ["expired", "no_show", "check_out"]
