"""Tampered keyset cursors on every paginated endpoint: 400 naming the cursor, never a 500.

API cursors are signed: garbage, unsigned base64 JSON, a cursor of another endpoint and a
huge one are all the same "invalid cursor". A validly signed cursor of the wrong shape (an
older release's, say) must fail the same way, so those are signed here with the real salts.
The catalogue page's cursor is the same signed token and answers with its own notice, not an
error page.
"""

import base64
import json

import pytest
from django.core import signing

from portal.api.cursors import SALT
from tests.factories import InstrumentFactory, UserFactory, beibei, mianyang

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    mianyang(), beibei()
    return UserFactory(username="member")


def b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


GARBAGE = [
    "!!!",
    "Zm9vYmFy",  # base64 of "foobar"
    b64({"o": "id", "p": [1]}),  # the right JSON, unsigned
    b64({"o": "id", "p": [1]}) + ":1tXyZ:" + "A" * 43,  # shaped like a signature, forged
    signing.dumps(5, salt="another.salt"),  # signed, for someone else
    "1" * 100_000,
    "\x00\x01",
    "游标🔬\u202e",
    "%",
]

# Each list's path and the scope its cursors carry: one signed format, told apart by scope.
ENDPOINTS = {
    "instruments": ("/api/instruments/", "instruments:id"),
    "bookings": ("/api/bookings/", "bookings"),
    "notifications": ("/api/notifications/", "notifications"),
}


def assert_bad_cursor(response, field="cursor"):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field], error


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("cursor", GARBAGE, ids=range(len(GARBAGE)))
def test_a_tampered_cursor_is_refused(api, member, endpoint, cursor):
    api.force_authenticate(member)
    assert_bad_cursor(api.get(ENDPOINTS[endpoint][0], {"cursor": cursor}))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_cursor_from_another_endpoint_is_refused(api, member, endpoint):
    api.force_authenticate(member)
    for other, (_path, scope) in ENDPOINTS.items():
        if other != endpoint:
            cursor = signing.dumps({"s": scope, "p": [1]}, salt=SALT)
            assert_bad_cursor(api.get(ENDPOINTS[endpoint][0], {"cursor": cursor}))


WRONG_SHAPES = {
    "instruments": [
        [],
        {"p": [1]},
        {"s": "instruments:id"},
        {"o": "id", "p": [1]},  # the catalogue's own cursor before the one portal cursor
        {"s": "bookings", "p": [1]},
        {"s": "instruments:id", "p": ["x"]},
        {"s": "instruments:id", "p": [True]},
        {"s": "instruments:id", "p": [1, 2]},
        {"s": "instruments:relevance", "p": [1.0, 1]},
        {"s": "instruments:id", "p": [10**30]},
        {"s": "instruments:id", "p": [-(10**30)]},
    ],
    "bookings": [
        "x",
        True,
        None,
        [1],
        10**30,
        {"s": "notifications", "p": [1]},
        {"s": "bookings", "p": ["x"]},
        {"s": "bookings", "p": [True]},
        {"s": "bookings", "p": [1.5]},
        {"s": "bookings", "p": [1, 2]},
        {"s": "bookings", "p": []},
        {"s": "bookings", "p": [10**30]},
        {"s": "bookings", "p": [-(10**30)]},
    ],
    "notifications": [
        {"s": "bookings", "p": ["2026-01-01T00:00:00+08:00", 1]},
        {"s": "notifications", "p": ["2026-01-01T00:00:00", 1]},  # naive
        {"s": "notifications", "p": ["yesterday", 1]},
        {"s": "notifications", "p": ["2026-01-01T00:00:00+08:00", "1"]},
        {"a": 1},
        [None, None],
        ["yesterday", 1],
        ["2026-01-01T00:00:00+08:00", "1e9"],
        ["2026-01-01T00:00:00+08:00", 10**30],
        ["9999-12-31T23:59:59-12:00", 1],
        ["0001-01-01T00:00:00+14:00", 1],
        [1, 2, 3],
    ],
}


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [(endpoint, payload) for endpoint, payloads in WRONG_SHAPES.items() for payload in payloads],
)
def test_a_signed_cursor_of_the_wrong_shape_is_refused(api, member, endpoint, payload):
    path = ENDPOINTS[endpoint][0]
    api.force_authenticate(member)
    response = api.get(path, {"cursor": signing.dumps(payload, salt=SALT)})
    if endpoint == "instruments" and payload == {"s": "instruments:id", "p": [-(10**30)]}:
        # Out of range below is still a position (before the first row): a full first page.
        assert response.status_code in (200, 400), response.content
        return
    if response.status_code == 200:
        # A position past every row is an honest empty page, not an error.
        assert response.json()["results"] == [], response.content
        return
    assert_bad_cursor(response)


@pytest.mark.parametrize("after", ["-1", "x", "1e3", "9" * 30, "", "1.5", "１２"])
def test_a_tampered_geo_page_position_is_refused(api, db, after):
    response = api.get("/api/geo/platforms/", {"after": after})
    if after == "１２":
        # Python reads full-width digits as digits (position 12).
        assert response.status_code == 200
        return
    # Blank is refused like every blank query parameter (tests/hostile/test_blank_filters.py).
    assert_bad_cursor(response, "after")


@pytest.mark.parametrize(
    "cursor", ["!!!", "9" * 30, "9" * 5000, "nan", "1e400", "1_2", "-" * 50, "\u202e1"]
)
def test_the_catalogue_page_shows_a_notice_for_a_bad_cursor(client, db, cursor):
    InstrumentFactory()
    response = client.get("/instruments/", {"cursor": cursor})
    assert response.status_code in (200, 400), response.status_code
    for q in ("", "电镜"):
        assert client.get("/instruments/", {"cursor": cursor, "q": q}).status_code in (200, 400)
