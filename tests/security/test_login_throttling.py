"""Password guessing: five failures for one username from one address lock that pair out.

django-axes counts in the database, so the lockout holds with Redis down; the lockout covers
the page login, the admin login and the API token endpoint alike.
"""

import pytest
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.test import Client
from django.utils.module_loading import import_string

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
WRONG = "wrong guess 123"
TOKEN = "/api/auth/token/"


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", is_staff=True, is_superuser=True)


def guess(api, username="owner", address="203.0.113.7", password=WRONG):
    return api.post(TOKEN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_settings_lock_by_username_and_address_after_five(settings):
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5
    # Axes' database handler, with the per-address budget on top (test_address_budget.py).
    handler = import_string(settings.AXES_HANDLER)
    assert issubclass(handler, AxesDatabaseHandler)
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_the_token_endpoint_locks_out_after_five_failures(api, owner):
    for _ in range(4):
        assert guess(api).status_code == 400
    response = guess(api)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "locked_out"
    assert "登录失败次数过多" in error["message"]
    assert int(response["Retry-After"]) == 15 * 60


def test_a_locked_out_pair_is_refused_even_with_the_right_password(api, owner):
    for _ in range(5):
        guess(api)
    response = guess(api, password=PASSWORD)
    assert response.status_code == 429
    assert "token" not in response.json()


def test_the_lockout_holds_for_that_username_and_address_only(api, owner):
    UserFactory(username="member")
    for _ in range(5):
        guess(api)
    # The same person from another address, and another person from the same address.
    assert guess(api, address="198.51.100.9", password=PASSWORD).status_code == 200
    assert guess(api, username="member", password=PASSWORD).status_code == 200


def test_a_success_before_the_limit_clears_the_count(api, owner):
    for _ in range(4):
        guess(api)
    assert guess(api, password=PASSWORD).status_code == 200
    for _ in range(4):
        assert guess(api).status_code == 400
    assert guess(api, password=PASSWORD).status_code == 200


def test_the_page_login_locks_out_after_five_failures(owner):
    browser = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(4):
        response = browser.post("/login/", {"username": "owner", "password": "nope nope"})
        assert response.status_code == 200  # the form again, with its error
    response = browser.post("/login/", {"username": "owner", "password": "nope nope"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    response = browser.post("/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in browser.session


def test_the_admin_login_locks_out_after_five_failures(owner):
    browser = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        response = browser.post(
            "/admin/login/?next=/admin/", {"username": "owner", "password": "nope nope"}
        )
    assert response.status_code == 429
    response = browser.post(
        "/admin/login/?next=/admin/", {"username": "owner", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert browser.get("/admin/").status_code == 302  # still signed out


def test_failures_are_counted_in_the_database_without_the_password(api, owner):
    guess(api, password="my secret guess")
    [attempt] = AccessAttempt.objects.all()
    assert (attempt.username, attempt.ip_address) == ("owner", "203.0.113.7")
    assert "my secret guess" not in attempt.post_data


def test_the_page_login_still_works(owner):
    browser = Client()
    response = browser.post("/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(owner.pk)


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(api, owner, settings):
    # Without a proxy in front, X-Forwarded-For is the client's to invent: not trusted.
    for n in range(5):
        api.post(
            TOKEN,
            {"username": "owner", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    assert guess(api, password=PASSWORD).status_code == 429

    settings.TRUSTED_PROXY_COUNT = 1
    AccessAttempt.objects.all().delete()
    for n in range(5):
        api.post(
            TOKEN,
            {"username": "owner", "password": "wrong"},
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    # Five different clients behind the proxy: none of them reached five failures.
    ok = api.post(
        TOKEN,
        {"username": "owner", "password": PASSWORD},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert ok.status_code == 200
