"""The costly pages outside the API — the instrument search, the booking week and its quotes,
the calendar feeds — have a request budget like the API's (THROTTLE_PAGES): per address for
visitors, per account for signed-in people. Past it: 429 with Retry-After, a short page (the
quote, which the booking page fetches, answers in the API's error shape). With Redis away the
pages are served unthrottled."""

import random
import socket

import pytest
from django.core.cache import cache
from django.test import Client

from sharing.bookings import ics
from tests.factories import InstrumentFactory, UserFactory

pytestmark = pytest.mark.django_db


def rates(settings, **values):
    # tests/conftest.py turns throttling off for every other test.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": values}


@pytest.fixture
def address():
    """An address no other test run uses, so counters in the shared Redis start at zero."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 254)}"


@pytest.fixture
def instrument(db):
    return InstrumentFactory()


def test_the_default_budget_comes_from_the_environment():
    from portal import settings as portal_settings

    assert portal_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["pages"] == "120/min"


def page_urls(instrument, feed_token):
    return [
        "/instruments/",
        f"/instruments/{instrument.pk}/book/",
        f"/calendar/instruments/{instrument.pk}/busy.ics",
        f"/calendar/{feed_token}.ics",
    ]


@pytest.mark.parametrize("which", range(4), ids=["search", "week", "busy feed", "private feed"])
def test_a_visitor_is_held_back_after_the_budget(settings, address, instrument, which):
    rates(settings, pages="3/min")
    url = page_urls(instrument, ics.calendar_token_rotate(user=UserFactory()).token)[which]
    visitor = Client(REMOTE_ADDR=address)
    for _ in range(3):
        assert visitor.get(url).status_code == 200
    response = visitor.get(url)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert "请求过于频繁" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 60
    # Another address is not held back by this one.
    other = address.rsplit(".", 1)[0] + ".255"
    assert Client(REMOTE_ADDR=other).get(url).status_code == 200


def test_the_budget_is_one_for_all_these_pages(settings, address, instrument):
    rates(settings, pages="3/min")
    visitor = Client(REMOTE_ADDR=address)
    assert visitor.get("/instruments/").status_code == 200
    assert visitor.get(f"/instruments/{instrument.pk}/book/").status_code == 200
    assert visitor.get(f"/calendar/instruments/{instrument.pk}/busy.ics").status_code == 200
    assert visitor.get("/instruments/").status_code == 429


def test_the_message_is_in_english_for_english_readers(settings, address):
    rates(settings, pages="1/min")
    visitor = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    visitor.get("/instruments/")
    response = visitor.get("/instruments/")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


def test_the_quote_answers_429_in_the_error_shape(settings, instrument):
    rates(settings, pages="2/min")
    person = UserFactory()
    key = f"throttle_pages_user-{person.pk}"
    cache.delete(key)  # user ids repeat across test databases sharing this Redis
    browser = Client()
    browser.force_login(person)
    url = f"/instruments/{instrument.pk}/book/quote/"
    for _ in range(2):
        assert browser.get(url).status_code == 400  # no times given: counted all the same
    response = browser.get(url)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response
    cache.delete(key)


def test_signed_in_people_have_a_budget_of_their_own(settings, address):
    # A campus behind one address: each account counts for itself.
    rates(settings, pages="1/min")
    people = [UserFactory(), UserFactory()]
    keys = [f"throttle_pages_user-{person.pk}" for person in people]
    cache.delete_many(keys)
    for person in people:
        browser = Client(REMOTE_ADDR=address)
        browser.force_login(person)
        assert browser.get("/instruments/").status_code == 200
    assert browser.get("/instruments/").status_code == 429
    cache.delete_many(keys)


def test_other_pages_are_not_throttled(settings, address):
    rates(settings, pages="1/min")
    visitor = Client(REMOTE_ADDR=address)
    for _ in range(3):
        assert visitor.get("/").status_code == 200


def test_without_a_rate_the_pages_are_not_throttled(address):
    # tests/conftest.py sets no rates: the default for tests.
    visitor = Client(REMOTE_ADDR=address)
    for _ in range(5):
        assert visitor.get("/instruments/").status_code == 200


def dead_redis_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize(
    "backend", ["django.core.cache.backends.redis.RedisCache", "portal.cache.FailSoftRedisCache"]
)
def test_with_redis_down_the_pages_are_served(settings, address, instrument, backend):
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": dead_redis_url(),
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    rates(settings, pages="1/min")
    visitor = Client(REMOTE_ADDR=address)
    for _ in range(3):
        assert visitor.get(f"/calendar/instruments/{instrument.pk}/busy.ics").status_code == 200
