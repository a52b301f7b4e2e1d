"""Password spraying: one address trying one password against many usernames.

django-axes locks a (username, address) pair; on top of it, each address has a budget of failed
sign-ins, whatever the usernames, shared by the page login, the admin login and the token
endpoint. Past it that address gets 429 for the cool-off, even with a right password; other
addresses, the real users among them, sign in as before. Counted in Redis, so it fails open.
"""

import contextlib
import random
import socket

import pytest
from django.core.cache import cache
from django.test import Client

from portal.throttles import CACHE_ERRORS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
TOKEN = "/api/auth/token/"
BUDGET = 6


@pytest.fixture
def budget(settings):
    # tests/conftest.py turns the budget off for every other test.
    settings.LOGIN_FAILURES_PER_ADDRESS = BUDGET


@pytest.fixture
def sprayer():
    """An address no other test run uses: the counters live in the shared Redis."""
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    yield address
    forget(address)


def forget(address):
    with contextlib.suppress(CACHE_ERRORS):  # a test with Redis away ends here
        cache.delete_many([f"signin-failures:{address}", f"signin-blocked:{address}"])


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", is_staff=True, is_superuser=True)


def spray(address, count, *, path=TOKEN):
    """Wrong passwords for `count` different usernames: axes' pair lockout never triggers."""
    browser = Client(REMOTE_ADDR=address)
    for n in range(count):
        response = browser.post(path, {"username": f"victim{n}", "password": "Summer2025!"})
        # The failure that spends the budget is answered 429 already.
        assert response.status_code in (200, 400, 429), response.status_code
    return browser


def token(address, username="owner", password=PASSWORD):
    return Client(REMOTE_ADDR=address).post(TOKEN, {"username": username, "password": password})


def test_the_budget_comes_from_the_environment():
    from portal import settings as portal_settings

    assert portal_settings.LOGIN_FAILURES_PER_ADDRESS == 30
    assert portal_settings.LOGIN_ADDRESS_COOLOFF.total_seconds() == 15 * 60
    assert portal_settings.AXES_HANDLER == "portal.signin.SignInHandler"


def test_sprayed_failures_on_the_token_endpoint_block_the_address(budget, owner, sprayer):
    spray(sprayer, BUDGET - 1)
    response = Client(REMOTE_ADDR=sprayer).post(TOKEN, {"username": "x", "password": "y"})
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "locked_out"
    assert "此网络地址登录失败次数过多" in error["message"]
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def test_a_blocked_address_is_refused_even_with_the_right_password(budget, owner, sprayer):
    spray(sprayer, BUDGET)
    response = token(sprayer)
    assert response.status_code == 429
    assert "token" not in response.json()


def test_the_budget_is_shared_by_every_sign_in_path(budget, owner, sprayer):
    # Failures on the page login and the admin login count towards one budget...
    spray(sprayer, BUDGET // 2, path="/login/")
    spray(sprayer, BUDGET - BUDGET // 2, path="/admin/login/?next=/admin/")
    # ...and then every path refuses that address, the right password included.
    page = Client(REMOTE_ADDR=sprayer)
    response = page.post("/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 429
    assert "此网络地址登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in page.session
    admin = Client(REMOTE_ADDR=sprayer)
    response = admin.post("/admin/login/?next=/admin/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 429
    assert admin.get("/admin/").status_code == 302  # still signed out
    assert token(sprayer).status_code == 429


def test_other_addresses_still_sign_in(budget, owner, sprayer):
    spray(sprayer, BUDGET)
    assert token(sprayer).status_code == 429
    elsewhere = sprayer.rsplit(".", 1)[0] + ".255"
    assert token(elsewhere).status_code == 200
    browser = Client(REMOTE_ADDR=elsewhere)
    assert browser.post("/login/", {"username": "owner", "password": PASSWORD}).status_code == 302
    assert browser.session["_auth_user_id"] == str(owner.pk)
    forget(elsewhere)


def test_failures_below_the_budget_do_not_block(budget, owner, sprayer):
    spray(sprayer, BUDGET - 1)
    assert token(sprayer).status_code == 200


def test_a_success_does_not_reset_the_address_budget(budget, owner, sprayer):
    # An attacker who knows one password cannot use it to spray on for ever.
    spray(sprayer, BUDGET - 1)
    assert token(sprayer).status_code == 200
    assert token(sprayer, password="wrong").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(budget, owner, sprayer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.255.255.254", HTTP_X_FORWARDED_FOR=sprayer)
    for n in range(BUDGET):
        proxy.post(TOKEN, {"username": f"victim{n}", "password": "wrong"})
    assert proxy.post(TOKEN, {"username": "owner", "password": PASSWORD}).status_code == 429
    # Another client behind the same proxy is not blocked.
    other = sprayer.rsplit(".", 1)[0] + ".255"
    neighbour = Client(REMOTE_ADDR="10.255.255.254", HTTP_X_FORWARDED_FOR=other)
    assert neighbour.post(TOKEN, {"username": "owner", "password": PASSWORD}).status_code == 200


def test_the_budget_is_off_when_set_to_zero(settings, owner, sprayer):
    settings.LOGIN_FAILURES_PER_ADDRESS = 0
    spray(sprayer, BUDGET + 2)
    assert token(sprayer).status_code == 200


def dead_redis_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize(
    "backend", ["django.core.cache.backends.redis.RedisCache", "portal.cache.FailSoftRedisCache"]
)
def test_with_redis_down_sign_in_fails_open(budget, owner, settings, backend):
    sprayer = "198.51.100.77"  # nothing is written with Redis away: nothing to clean up
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": dead_redis_url(),
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    spray(sprayer, BUDGET + 1)
    assert token(sprayer).status_code == 200
