"""The outbox moved from bookings to an app of its own without losing a row or a link."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("bookings", "0003_text_refuses_control_characters"), ("notifications", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_rows_and_what_they_are_about_survive_the_move():
    from sharing.bookings.models import WaitlistEntry
    from tests.bookings import make_booking

    booking = make_booking()  # bookings' own tables are the same before and after the move
    user = booking.requester
    entry = WaitlistEntry.objects.create(
        instrument=booking.instrument, user=user, period=booking.period
    )
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        Note = _migrate(BEFORE).get_model("bookings", "Notification")
        common = {"user_id": user.pk, "subject": "s", "body": "b"}
        Note.objects.create(kind="approved", key="k1", booking_id=booking.pk, **common)
        Note.objects.create(kind="waitlist", key="k2", waitlist_entry_id=entry.pk, **common)
        Note.objects.create(kind="tech_match", key="k3", read_at=booking.created_at, **common)
    finally:
        new = _migrate(leaves)
    rows = new.get_model("notifications", "Notification").objects.order_by("key")
    assert [(n.key, n.kind, n.about_type, n.about_id) for n in rows] == [
        ("k1", "approved", "booking", booking.pk),
        ("k2", "waitlist", "waitlist", entry.pk),
        ("k3", "tech_match", "", None),
    ]
    assert rows.get(key="k3").read_at is not None
