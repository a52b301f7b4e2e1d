"""Hostile input found by the outside pentest that answered 500: dates at the edges of what
Python can hold (year 1, year 9999) in the quote, the service-record export and a weekly series,
a lone surrogate in a JSON body, a listing that is not a number in the broker's link form. Each
is a 4xx in the one error shape, and nothing is left behind."""

import datetime
import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from portal.accounts.models import Role
from portal.errors import exception_handler
from sharing.bookings.models import Booking, BookingSeries, BookingTransition
from sharing.techmarket.models import Inquiry, TechListing
from tests.bookings import instrument_with_rules, person, regions
from tests.factories import UserFactory
from tests.techmarket.factories import (
    FirmUserFactory,
    OwnerFactory,
    TechListingFactory,
    TechNeedFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def instrument(db):
    regions()
    manager = person("manager", roles=[Role.INSTRUMENT_MANAGER])
    return instrument_with_rules(managers=[manager], closed_on_holidays=False)


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


def assert_400_naming(response, *names):
    assert response.status_code == 400, (response.status_code, response.content[:400])
    error = response.json()["error"]
    assert error["message"], error
    fields = error.get("fields") or {}
    assert any(name in fields or error.get("rule") == name for name in names), error
    return error


# --- A weekly series up to year 9999 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-01T09:00:00", "9999-12-01T10:00:00"),
        ("9999-06-01T09:00:00+08:00", "9999-06-01T10:00:00+08:00"),
    ],
)
def test_a_weekly_series_into_year_9999_is_refused_and_leaves_no_series(
    api, researcher, instrument, start, end
):
    api.force_authenticate(researcher)
    body = {"instrument": instrument.pk, "start": start, "end": end, "purpose": "XRD", "weeks": 52}
    assert_400_naming(api.post("/api/bookings/series/", body, format="json"), "start")
    assert not BookingSeries.objects.exists()
    assert not Booking.objects.exists() and not BookingTransition.objects.exists()


def test_a_series_past_the_last_representable_week_stores_nothing(researcher, instrument):
    # The service itself, without the API's bounds: the weeks are worked out before anything
    # is written, so the overflow leaves no series behind.
    from sharing.bookings.services import booking_series_create
    from tests.bookings import SH

    first = datetime.datetime(9999, 12, 20, 9, tzinfo=SH)
    with pytest.raises(OverflowError):
        booking_series_create(
            requester=researcher,
            instrument=instrument,
            first_start=first,
            first_end=first + datetime.timedelta(hours=1),
            weeks=3,
            purpose="XRD",
        )
    assert not BookingSeries.objects.exists()


def test_a_series_that_fails_unexpectedly_leaves_no_empty_series(
    researcher, instrument, monkeypatch
):
    from sharing.bookings import services
    from sharing.bookings.services import series
    from tests.bookings import local, next_weekday

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(series, "booking_create", broken)
    start = local(next_weekday(2), "09:00")
    with pytest.raises(RuntimeError):
        services.booking_series_create(
            requester=researcher,
            instrument=instrument,
            first_start=start,
            first_end=start + datetime.timedelta(hours=1),
            weeks=3,
            purpose="XRD",
        )
    assert not BookingSeries.objects.exists()


# --- The week page's quote --------------------------------------------------------------------

QUOTE_EXTREMES = [
    ("9999-12-31T09:00:00", "9999-12-31T10:00:00"),
    ("9999-12-31T20:00:00-10:00", "9999-12-31T21:00:00-10:00"),
    ("9999-12-31T23:00:00+00:00", "9999-12-31T23:30:00+00:00"),
    ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),
    ("0001-01-01T00:00:00", "0001-01-01T01:00:00"),
    ("2026-13-01T09:00:00", "2026-13-01T10:00:00"),
]


@pytest.mark.parametrize(("start", "end"), QUOTE_EXTREMES)
def test_the_week_pages_quote_refuses_extreme_dates(client, researcher, instrument, start, end):
    client.force_login(researcher)
    response = client.get(f"/instruments/{instrument.pk}/book/quote/", {"start": start, "end": end})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["message"]


def test_the_week_page_for_year_9999_shows_this_week(client, instrument):
    response = client.get(f"/instruments/{instrument.pk}/book/", {"week": "9999-12-31"})
    assert response.status_code == 200


# --- The service-record export ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "9999-01-01", "to": "9999-12-31"}, "to"),
        ({"from": "2026-01-01", "to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01", "to": "0001-12-31"}, "from"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_service_record_export_refuses_dates_out_of_range(api, db, params, field, kind):
    api.force_authenticate(UserFactory(username="admin", roles=[Role.ADMINISTRATOR]))
    response = api.get(f"/api/service-records/export.{kind}", params)
    assert_400_naming(response, field)


# --- A lone surrogate in a JSON body ---------------------------------------------------------


def post_json(api, path, body):
    payload = json.dumps(body)  # json.dumps writes a lone surrogate as the escape \ud800
    assert "\\ud800" in payload
    return api.generic("POST", path, payload, content_type="application/json")


def test_a_lone_surrogate_in_a_choice_is_400_and_names_the_field(api, db):
    api.force_authenticate(OwnerFactory(username="owner"))
    body = {"title": "钛合金", "abstract": "摘要", "trl": 5, "hightech_field": "\ud800"}
    response = post_json(api, "/api/tech/listings/", body)
    error = assert_400_naming(response, "hightech_field")
    assert "\ud800" not in json.dumps(error, ensure_ascii=False)
    assert not TechListing.objects.filter(title="钛合金").exists()


def test_a_lone_surrogate_in_a_close_reason_is_400(api, db):
    owner = OwnerFactory(username="owner")
    listing = TechListingFactory(created_by=owner, hightech_field="materials")
    firm = FirmUserFactory(username="firm")
    api.force_authenticate(firm)
    created = api.post("/api/tech/inquiries/", {"listing": listing.pk}, format="json")
    assert created.status_code == 201, created.content
    inquiry = created.json()["id"]
    response = post_json(api, f"/api/tech/inquiries/{inquiry}/close/", {"reason": "\ud800"})
    assert_400_naming(response, "reason")
    assert Inquiry.objects.get(pk=inquiry).stage != Inquiry.Stage.CLOSED


@pytest.mark.parametrize(
    "body",
    [{"\ud800": "x"}, ["\ud800"], {"purpose": {"deep": ["\udfff"]}}, "\ud800"],
)
def test_a_lone_surrogate_anywhere_in_a_json_body_is_400(api, researcher, body):
    api.force_authenticate(researcher)
    payload = json.dumps(body)
    response = api.generic("POST", "/api/bookings/", payload, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["message"]


def test_an_error_message_that_echoes_a_lone_surrogate_is_still_encodable():
    from rest_framework import exceptions

    exc = exceptions.ValidationError({"kind": ["“\ud800” 不是合法选项。"]})
    response = exception_handler(exc, {})
    response.accepted_renderer = None
    text = json.dumps(response.data, ensure_ascii=False)
    text.encode("utf-8")  # would raise on a lone surrogate
    assert "\ufffd" in text


# --- The broker's link form ------------------------------------------------------------------


@pytest.mark.parametrize("listing", ["abc", "", "1.5", "9" * 30, "-1"])
def test_the_brokers_link_form_answers_404_for_a_listing_that_is_not_a_number(client, db, listing):
    from sharing.techmarket.models import BrokerProfile

    broker = UserFactory(username="broker", roles=[Role.BROKER])
    BrokerProfile.objects.create(user=broker, fields=["materials"])
    need = TechNeedFactory()
    client.force_login(broker)
    response = client.post(f"/tech/needs/{need.pk}/link/", {"listing": listing})
    assert response.status_code == 404
    assert not Inquiry.objects.exists()


# --- Overflow, wherever it is still raised -------------------------------------------------


def test_an_overflow_in_the_api_is_a_400_in_the_one_error_shape():
    response = exception_handler(OverflowError("date value out of range"), {})
    assert response.status_code == 400
    assert response.data["error"]["code"] == "out_of_range"
    assert response.data["error"]["message"]


@pytest.mark.parametrize(
    ("path", "json_body"), [("/instruments/1/book/", False), ("/api/x/", True)]
)
def test_an_overflow_in_a_page_is_a_400_page(path, json_body):
    from portal.errors import OutOfRangeMiddleware

    request = RequestFactory().get(path)
    middleware = OutOfRangeMiddleware(lambda r: HttpResponse())
    response = middleware.process_exception(request, OverflowError("date value out of range"))
    assert response.status_code == 400
    if json_body:
        assert json.loads(response.content)["error"]["code"] == "out_of_range"
    assert middleware.process_exception(request, ValueError("a bug")) is None
