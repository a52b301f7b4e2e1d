"""The kiosk in the API: GET /api/kiosk/{token}/ and POST /api/kiosk/{token}/walk-up/."""

import datetime

import pytest
from django.utils import timezone

from sharing.bookings import kiosk
from sharing.bookings.models import Booking, BookingPolicy
from tests.bookings import instrument_with_rules, person, regions
from tests.bookings.test_kiosk import OPEN, booking_of, old_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    _bb, my = regions()
    return {"researcher": person("researcher", region=my), "outsider": person("outsider")}


@pytest.fixture
def instrument(people):
    return instrument_with_rules(walk_up_allowed=True, **OPEN)


def url(instrument, tail=""):
    return f"/api/kiosk/{kiosk.kiosk_token(instrument=instrument)}/{tail}"


def test_the_kiosk_answers_my_booking_for_now(api, instrument, people):
    booking = booking_of(
        instrument, people["researcher"], start=timezone.now() + datetime.timedelta(minutes=5)
    )
    api.force_authenticate(people["researcher"])
    body = api.get(url(instrument)).json()
    assert body["instrument"]["id"] == instrument.pk
    assert body["booking"]["id"] == booking.pk
    assert (body["may_check_in"], body["may_check_out"], body["walk_up"]) == (True, False, None)


def test_the_kiosk_answers_whether_walk_up_is_possible(api, instrument, people):
    api.force_authenticate(people["researcher"])
    body = api.get(url(instrument)).json()
    assert body["booking"] is None
    assert body["walk_up"]["possible"] is True
    assert body["walk_up"]["lengths"][:2] == [30, 60]
    BookingPolicy.objects.filter(instrument=instrument).update(walk_up_allowed=False)
    body = api.get(url(instrument)).json()
    assert body["walk_up"]["possible"] is False
    assert body["walk_up"]["refusal"]["rule"] == "walk_up_not_allowed"


def test_walk_up_through_the_api_answers_201_checked_in(api, instrument, people):
    api.force_authenticate(people["researcher"])
    response = api.post(url(instrument, "walk-up/"), {"minutes": 60}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["walk_up"], body["service_mode"]) == (
        "checked_in",
        True,
        "self_operated",
    )
    # The second person finds it taken.
    api.force_authenticate(people["outsider"])
    response = api.post(url(instrument, "walk-up"), {"minutes": 30}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["rule"] == "not_free"
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("minutes", [0, 45, "x", None])
def test_a_bad_length_answers_400_and_writes_nothing(api, instrument, people, minutes):
    api.force_authenticate(people["researcher"])
    response = api.post(url(instrument, "walk-up/"), {"minutes": minutes}, format="json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not Booking.objects.exists()


def test_bad_and_expired_tokens_answer_404_and_410(api, instrument, people):
    api.force_authenticate(people["researcher"])
    response = api.get("/api/kiosk/forged:token/")
    assert (response.status_code, response.json()["error"]["rule"]) == (404, "bad_token")
    response = api.post(f"/api/kiosk/{old_token(instrument, days=500)}/walk-up/", {"minutes": 30})
    assert (response.status_code, response.json()["error"]["rule"]) == (410, "token_expired")
    assert not Booking.objects.exists()


def test_the_kiosk_api_needs_a_signed_in_caller(api, instrument):
    assert api.get(url(instrument)).status_code in (401, 403)
