"""Matching's corpus statistics are computed ahead of the matches (at worker start, and by beat
before they expire), so the first match after a restart reads them instead of computing them."""

import importlib
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache

from sharing.techmarket import tasks
from tests.techmarket.factories import TechListingFactory

# The module (the package re-exports its function of the same name).
corpus_module = importlib.import_module("sharing.techmarket.matching.corpus")

pytestmark = pytest.mark.django_db


@pytest.fixture
def large_corpus(monkeypatch):
    """Three published listings count as a corpus large enough to be cached."""
    monkeypatch.setattr(corpus_module, "SMALL_CORPUS", 2)
    TechListingFactory.create_batch(3)
    cache.delete(corpus_module._key("listing"))
    corpus_module.forget_corpus()
    yield
    cache.delete(corpus_module._key("listing"))
    corpus_module.forget_corpus()


def refuse_to_compute(kind):
    raise AssertionError("a match computed the corpus statistics itself")


def test_after_the_warm_up_a_fresh_process_matches_without_computing(large_corpus, monkeypatch):
    assert corpus_module.corpus_warm("listing") is True
    corpus_module.forget_corpus()  # a restarted worker: nothing in the process, Redis has it
    monkeypatch.setattr(corpus_module, "_compute_corpus", refuse_to_compute)
    assert corpus_module.corpus("listing").n == 3
    assert corpus_module.cached_corpus("listing") is not None  # what searches read


def test_the_warm_up_leaves_fresh_statistics_alone_and_refreshes_them_before_they_expire(
    large_corpus, monkeypatch
):
    assert corpus_module.corpus_warm("listing") is True
    assert corpus_module.corpus_warm("listing") is False
    started = corpus_module.time.time()
    later = started + corpus_module.REFRESH_AFTER + 1
    assert later < started + corpus_module.CORPUS_TTL  # still in the cache, yet refreshed
    monkeypatch.setattr(corpus_module.time, "time", lambda: later)
    assert corpus_module.corpus_warm("listing") is True


def test_a_small_corpus_is_not_cached(monkeypatch):
    TechListingFactory.create_batch(2)
    assert corpus_module.corpus_warm("listing") is False


def test_a_starting_worker_asks_for_the_warm_up():
    with mock.patch.object(tasks.warm_corpus, "delay") as enqueue:
        tasks._warm_at_start(sender=None)
    enqueue.assert_called_once_with()


def test_a_broker_outage_at_worker_start_is_only_logged():
    with mock.patch.object(tasks.warm_corpus, "delay", side_effect=OSError("no broker")):
        tasks._warm_at_start(sender=None)


def test_beat_refreshes_the_statistics_more_often_than_they_expire():
    entry = settings.CELERY_BEAT_SCHEDULE["techmarket-warm-corpus"]
    assert entry["task"] == tasks.warm_corpus.name
    assert entry["schedule"] <= corpus_module.CORPUS_TTL - corpus_module.REFRESH_AFTER


def test_the_task_names_what_it_computed(large_corpus):
    assert tasks.warm_corpus() == ["listing"]
    assert tasks.warm_corpus() == []
