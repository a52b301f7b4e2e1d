"""GET /healthz: are the database, the broker and the cache reachable. Public, no personal data.

Any part down answers 503 with "degraded" and names the part: the portal still serves pages
and bookings without Redis (the cache fails soft, notifications wait in the outbox), but a
load balancer or an operator must see that something is missing.
"""

import functools

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


@functools.cache
def _broker_client(url: str) -> redis.Redis:
    # One pooled client per process: a new connection per probe cost about 5 ms (the handshake
    # and redis-py reading its own version from the package metadata each time).
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _broker() -> None:
    _broker_client(settings.CELERY_BROKER_URL).ping()


def _cache() -> None:
    # The cache swallows its own errors (portal.cache), so ask it directly when it can say.
    ping = getattr(cache, "ping", None)
    if ping is not None:
        ping()
    else:
        cache.get("healthz:probe")


def _probe(check) -> str:
    """ "ok", or the kind of error (never its text: the page is public)."""
    try:
        check()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


CHECKS = {"database": _database, "broker": _broker, "cache": _cache}


@never_cache
@require_GET
def healthz(request):
    checks = {name: _probe(check) for name, check in CHECKS.items()}
    down = sorted(name for name, value in checks.items() if value != "ok")
    return JsonResponse(
        {"status": "degraded" if down else "ok", "down": down, "checks": checks},
        status=503 if down else 200,
    )
