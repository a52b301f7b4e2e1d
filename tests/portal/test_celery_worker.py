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


def test_the_worker_reads_the_dictionary_before_it_forks_its_children(monkeypatch):
    # Children of the prefork pool inherit it, so no task's first segmentation waits ~1 s.
    import jieba
    from celery.signals import worker_init

    from portal import celery as wiring
    from sharing.catalogue import text

    assert any(key[0] == "portal-warm-before-fork" for key, _ in worker_init.receivers)
    # Both flags down, so the warm-up reads the dictionary and adds the catalogue's words again
    # (reading it alone would drop them for the tests after this one).
    monkeypatch.setattr(text, "_initialised", False)
    jieba.dt.initialized = False
    # Called as the signal calls it, without sending the signal: Celery's own Django fixup
    # listens too and expects a real worker as the sender.
    wiring._warm_before_fork(sender=None)
    assert jieba.dt.initialized
    assert text._initialised
