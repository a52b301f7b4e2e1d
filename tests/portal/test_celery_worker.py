"""A real worker process against the real Redis runs a real task."""

import pytest

from portal.celery import app
from portal.tasks import ping


@pytest.mark.worker
def test_a_real_worker_returns_a_real_result(celery_worker):
    assert ping.delay().get(timeout=60) == "pong"


def test_tasks_are_acked_late_and_given_back_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.conf.task_time_limit
    assert "heartbeat" in app.conf.beat_schedule
