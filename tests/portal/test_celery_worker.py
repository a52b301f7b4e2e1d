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


def test_the_worker_reads_the_dictionary_before_it_forks_its_children():
    # Children of the prefork pool inherit it, so no task's first segmentation waits ~1 s.
    import jieba
    from celery.signals import worker_init

    jieba.dt.initialized = False
    worker_init.send(sender=None)
    assert jieba.dt.initialized
