import pytest
from django.core.management import call_command
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # With --reuse-db, a run killed inside a transactional test (which commits) leaves its rows
    # behind, and every later run then trips over them; start each session from empty tables.
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    # LocaleMiddleware activates a request's language for the thread and never deactivates it:
    # after a test that asked for an English page, a later test's service text came out in
    # English. Each test starts from the portal's default (zh-hans).
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's real cost is half a second a hash on these machines; tests check logic, not cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_api_throttling(settings):
    # Throttle counters live in the shared Redis, keyed by address and user id, and several
    # test runs on this machine share both: no rates here, so no test is throttled by another.
    # Tests of throttling set their own rates (tests/security/test_api_throttles.py).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}


@pytest.fixture(autouse=True)
def no_sign_in_budget(settings):
    # The per-address budget of failed sign-ins counts in the shared Redis too, and many tests
    # fail a login from 127.0.0.1: off here; tests/security/test_address_budget.py sets it.
    settings.LOGIN_FAILURES_PER_ADDRESS = 0


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def member(db):
    return UserFactory(username="member")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def celery_worker(request, transactional_db, settings, tmp_path):
    """A real Celery worker process on the real Redis, reading the test database.

    Tasks sent during the test go to a queue of its own, so no other worker on this machine
    (a `make run` in another terminal) can take them. Its pool is solo unless the test asks
    for another (parametrize celery_worker indirectly, e.g. with "prefork" as production runs).
    """
    import os
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from django.db import connection

    from portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = os.environ.copy()
    env["DATABASE_URL"] = (
        f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    settings.MEDIA_ROOT = str(tmp_path / "media")
    env["MEDIA_ROOT"] = settings.MEDIA_ROOT
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # Tasks the worker enqueues itself (a sweep sending e-mails) stay on its own queue too.
    env["CELERY_TASK_DEFAULT_QUEUE"] = queue
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            queue,
            "--pool",
            getattr(request, "param", "solo"),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
        ],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield proc
    finally:
        app.conf.task_default_queue = previous
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def sent_ids(monkeypatch):
    """Record the outbox's send_notification.delay calls instead of sending them to Redis."""
    from portal.notifications import tasks

    calls = []
    monkeypatch.setattr(tasks.send_notification, "delay", calls.append)
    return calls
