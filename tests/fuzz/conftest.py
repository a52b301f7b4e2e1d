"""Fixtures for fuzzing the API: one seeded database for the module, tokens per role.

The fuzzer drives the portal in-process through WSGI, so its requests reach the pytest-django
test database. The data is seeded and committed once for the whole module (seeding takes seconds,
and there is a test per operation and caller); each test runs in a transaction of its own
(``django_db``) that is rolled back, so what one operation's fuzzing writes does not leak into the
next. The tables are flushed after the module, as ``transactional_db`` does, so the tests that
follow start from an empty database.
"""

import datetime
import uuid
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.accounts.models import Role, User

# sharing/techmarket is being built as this suite is written; these of its operations do not yet
# answer as the schema says (lists paginated but documented as arrays, an unknown listing answered
# 404 on create, a null where the schema says string). Expected to fail, not strictly, until the
# app settles; remove an entry once its operation passes.
TECHMARKET_PENDING: set[str] = set()


def pytest_collection_modifyitems(items):
    for item in items:
        if any(f"[{label}]" in item.nodeid for label in TECHMARKET_PENDING):
            item.add_marker(pytest.mark.xfail(reason="techmarket in progress", strict=False))


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """The demo data (regions, places, zones, sample instruments, one account per role, vouchers)
    plus bookings in several states, so ids the fuzzer finds point at real rows."""
    from portal.celery import app

    eager = app.conf.task_always_eager
    # Notifications and imports are queued on commit; run them here, in-process, instead of
    # handing them to whichever worker on this machine listens on the shared Redis queue.
    app.conf.task_always_eager = True
    # The fuzzer calls the WSGI app directly, not through Django's test client, so nothing stops
    # Django closing "old" connections at each request's start and end, which would close the
    # test's own transaction under it; the test client disconnects them the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock(), override_settings(DEBUG=False, **_unthrottled()):
        try:
            # A run killed half-way (with --reuse-db) leaves its rows; start from empty tables.
            call_command("flush", verbosity=0, interactive=False)
            yield _seed()
        finally:
            app.conf.task_always_eager = eager
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
            call_command("flush", verbosity=0, interactive=False)


def _unthrottled() -> dict:
    """Throttle rates no fuzz run reaches, counted under a cache prefix of this run's own: the
    fuzzer sends hundreds of requests a minute from one address, and the throttle counters live
    in the Redis that other test runs on this machine share."""
    caches = {alias: {**conf} for alias, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"fuzz-{uuid.uuid4().hex[:8]}"
    rest = {**settings.REST_FRAMEWORK}
    rest["DEFAULT_THROTTLE_RATES"] = {
        scope: "100000/min" for scope in rest.get("DEFAULT_THROTTLE_RATES", {})
    }
    return {"CACHES": caches, "REST_FRAMEWORK": rest}


def _seed() -> dict:
    from demo.loader import demo_load
    from sharing.bookings import services
    from sharing.catalogue.models import Instrument

    # The layout map is no part of the API, and each platform saved asks for a rebuild.
    with mock.patch("geo.map.tasks.request_map_build"):
        demo_load()
    researcher = User.objects.get(username="researcher_beibei")
    manager = User.objects.get(username="manager_swu")
    instrument = Instrument.objects.filter(managers=manager).order_by("id").first()
    day = _open_day_ahead()
    bookings = [
        services.booking_create(
            requester=researcher,
            instrument=instrument,
            start=day.replace(hour=hour),
            end=day.replace(hour=hour + 1),
            purpose="模糊测试预约",
        )
        for hour in (9, 11, 14)
    ]
    services.booking_approve(booking=bookings[1], by=manager)
    services.booking_cancel(booking=bookings[2], by=researcher, reason="模糊测试")
    return {"researcher": researcher, "instrument": instrument, "bookings": bookings}


def _open_day_ahead() -> datetime.datetime:
    """09:00 on the first working day three days ahead, inside the demo opening hours."""
    from sharing.bookings.workdays import is_open_day

    day = timezone.localdate() + datetime.timedelta(days=3)
    while not is_open_day(day):
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def tokens(fuzz_world):
    """Token auth, as API clients use it, for a researcher and for an administrator."""
    return {
        role: Token.objects.get_or_create(user=User.objects.get(username=username))[0].key
        for role, username in (
            (Role.RESEARCHER, "researcher_beibei"),
            (Role.ADMINISTRATOR, "admin"),
        )
    }


# Whose token the fuzz test's auth provider sends now; set by ``caller`` for each test.
CALLER = {"token": None}


@pytest.fixture(
    params=[None, Role.RESEARCHER, Role.ADMINISTRATOR],
    ids=["anonymous", "researcher", "administrator"],
)
def caller(request, tokens):
    """Who calls: nobody, a researcher or an administrator (by token)."""
    CALLER["token"] = None if request.param is None else tokens[request.param]
    yield request.param
    CALLER["token"] = None


@pytest.fixture(autouse=True)
def server_tracebacks(monkeypatch):
    """The exception handler answers a database error with a tidy 503; print what was behind it,
    so a fuzz failure report shows the cause and not only the status."""
    import sys
    import traceback

    from portal import errors

    def handler(exc, context):
        response = errors.exception_handler(exc, context)
        if response is None or response.status_code >= 500:
            request = context["request"]
            print(f"{request.method} {request.get_full_path()[:300]}", file=sys.stderr)
            traceback.print_exception(exc, file=sys.stderr)
        return response

    monkeypatch.setattr("rest_framework.views.APIView.get_exception_handler", lambda view: handler)
