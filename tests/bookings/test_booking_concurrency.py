"""Real threads, each with its own PostgreSQL connection, racing for one slot; and two sweeps
racing for the same rows. The exclusion constraint decides; nobody sees a 500."""

import datetime
import threading

import pytest
from django.db import connection, connections

from portal.errors import Conflict
from portal.notifications.models import Notification
from sharing.bookings import services
from sharing.bookings.models import Booking, BookingTransition
from tests.bookings import at, instrument_with_rules, person, regions

THREADS = 16
NOW = at("2026-09-01 08:00")

OVERLAPS = """
    SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
      ON a.instrument_id = b.instrument_id AND a.id < b.id AND a.blocked && b.blocked
     WHERE a.status IN ('requested', 'approved', 'checked_in')
       AND b.status IN ('requested', 'approved', 'checked_in')
"""


def overlapping_live_bookings() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS)
        return cursor.fetchone()[0]


def race(target, args_list):
    """Run target(*args) in one thread per args, released together; return the outcomes."""
    barrier = threading.Barrier(len(args_list))
    outcomes = [None] * len(args_list)

    def run(i, args):
        try:
            barrier.wait()
            outcomes[i] = target(*args)
        except Exception as exc:  # the outcome is what the test checks
            outcomes[i] = exc
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_on_one_slot_give_one_booking_and_fifteen_conflicts():
    regions()
    instrument = instrument_with_rules(buffer_minutes=15)
    people = [person(f"racer{i}") for i in range(THREADS)]

    def book(user, start, end):
        return services.booking_create(
            requester=user,
            instrument=instrument,
            start=at(start),
            end=at(end),
            purpose="抢同一时段",
            now=NOW,
        )

    # Different but overlapping periods, so the buffer and the range logic are both raced.
    args = [
        (user, f"2026-10-12 {9 + i % 2:02d}:{'00' if i % 4 < 2 else '30'}", "2026-10-12 11:00")
        for i, user in enumerate(people)
    ]
    outcomes = race(book, args)
    won = [o for o in outcomes if isinstance(o, Booking)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1, outcomes
    assert len(lost) == THREADS - 1, outcomes
    assert all(c.rule == "slot_taken" for c in lost)
    assert Booking.objects.filter(instrument=instrument).count() == 1
    assert overlapping_live_bookings() == 0


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_expire_each_request_once(settings):
    regions()
    settings.BOOKING_REQUEST_EXPIRY_MINUTES = 60
    manager = person("manager")
    instrument = instrument_with_rules(managers=[manager], approval_required=True)
    requester = person("requester")
    bookings = [
        services.booking_create(
            requester=requester,
            instrument=instrument,
            start=at(f"2026-10-12 {h:02d}:00"),
            end=at(f"2026-10-12 {h:02d}:30"),
            purpose="过期",
            now=NOW,
        )
        for h in range(8, 18)
    ]
    later = bookings[-1].created_at + datetime.timedelta(hours=2)
    outcomes = race(services.sweep_expired_requests, [(later,)] * 4)
    assert sum(outcomes) == len(bookings), outcomes
    assert BookingTransition.objects.filter(to_status="expired").count() == len(bookings)
    assert Notification.objects.filter(kind="expired").count() == len(bookings)
    assert not Booking.objects.filter(status="requested").exists()
