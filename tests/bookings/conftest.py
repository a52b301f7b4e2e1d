import pytest

from sharing.bookings import tasks


@pytest.fixture
def sent_ids(monkeypatch):
    """Record send_notification.delay calls instead of sending them to Redis."""
    calls = []
    monkeypatch.setattr(tasks.send_notification, "delay", calls.append)
    return calls
