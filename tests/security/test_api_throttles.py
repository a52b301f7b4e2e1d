"""API throttles: per address for anonymous callers, per user for signed-in ones, tighter on
the token endpoint; a throttled call gets 429 in the one error shape with Retry-After, and a
Redis outage lets calls through rather than failing them."""

import socket

import pytest

from portal import throttles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"


def rates(settings, **values):
    # tests/conftest.py turns throttling off for every other test.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": values}


@pytest.fixture
def address():
    """An address no other test run uses, so counters in the shared Redis start at zero."""
    import random

    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def test_the_defaults_are_generous_and_come_from_the_environment():
    from portal import settings as portal_settings

    configured = portal_settings.REST_FRAMEWORK
    assert configured["DEFAULT_THROTTLE_CLASSES"] == [
        "portal.throttles.AnonThrottle",
        "portal.throttles.UserThrottle",
    ]
    assert configured["DEFAULT_THROTTLE_RATES"]["anon"] == "120/min"
    assert configured["DEFAULT_THROTTLE_RATES"]["user"] == "600/min"
    assert configured["DEFAULT_THROTTLE_RATES"]["auth_token"] == "10/min"


def test_an_anonymous_caller_is_throttled_in_the_one_error_shape(api, settings, address):
    rates(settings, anon="3/min")
    for _ in range(3):
        assert api.get("/api/instruments/", REMOTE_ADDR=address).status_code == 200
    response = api.get("/api/instruments/", REMOTE_ADDR=address)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"].startswith("请求过于频繁")
    assert 0 < int(response["Retry-After"]) <= 60
    # Another address is not held back by this one.
    other = address.rsplit(".", 1)[0] + ".255"
    assert api.get("/api/instruments/", REMOTE_ADDR=other).status_code == 200


def test_a_signed_in_user_has_a_budget_of_their_own(api, settings):
    rates(settings, user="2/min")
    person = UserFactory()
    # User ids repeat across test databases sharing this Redis: start the counter afresh.
    from django.core.cache import cache

    cache.delete(f"throttle_user_{person.pk}")
    api.force_authenticate(person)
    assert api.get("/api/me/").status_code == 200
    assert api.get("/api/me/").status_code == 200
    response = api.get("/api/me/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    cache.delete(f"throttle_user_{person.pk}")


def test_the_token_endpoint_has_a_tighter_budget(api, settings, address):
    rates(settings, anon="100/min", auth_token="2/min")
    UserFactory(username="member")
    body = {"username": "member", "password": "correct horse battery"}
    assert api.post(TOKEN, body, REMOTE_ADDR=address).status_code == 200
    assert api.post(TOKEN, body, REMOTE_ADDR=address).status_code == 200
    response = api.post(TOKEN, body, REMOTE_ADDR=address)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response


def dead_redis_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there once the probe is closed


@pytest.mark.parametrize(
    "backend",
    [
        # The plain backend raises: the throttle itself must let the call through.
        "django.core.cache.backends.redis.RedisCache",
        # The portal's own backend, failing soft.
        "portal.cache.FailSoftRedisCache",
    ],
)
def test_throttles_let_calls_through_when_redis_is_down(api, settings, address, backend):
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": dead_redis_url(),
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    rates(settings, anon="1/min", user="1/min", auth_token="1/min")
    for _ in range(3):
        assert api.get("/api/instruments/", REMOTE_ADDR=address).status_code == 200
    UserFactory(username="member")
    body = {"username": "member", "password": "correct horse battery"}
    for _ in range(2):
        assert api.post(TOKEN, body, REMOTE_ADDR=address).status_code == 200


def test_the_fail_open_throttle_catches_what_redis_raises():
    from redis.exceptions import ConnectionError as RedisConnectionError

    assert issubclass(RedisConnectionError, throttles.CACHE_ERRORS)
