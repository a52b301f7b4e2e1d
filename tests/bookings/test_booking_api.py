"""The booking API: create (201/400/409), actions, lists, visibility, series, waitlist."""

import datetime

import pytest
from django.db import connection

from portal.accounts.models import Role
from sharing.bookings.models import Booking
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    regions()
    return person("manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def instrument(manager):
    # Holidays off: these tests run on real dates, whatever the calendar says next week.
    return instrument_with_rules(managers=[manager], closed_on_holidays=False)


@pytest.fixture
def owner(instrument):
    return person("owner", organisation=instrument.organisation)


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


@pytest.fixture
def outsider(db):
    regions()
    return person("outsider")


def day():
    return next_weekday(2)  # a Wednesday at least two days ahead


def payload(instrument, start="09:00", end="10:00", **extra):
    return {
        "instrument": instrument.pk,
        "start": local(day(), start).isoformat(),
        "end": local(day(), end).isoformat(),
        "purpose": "XRD 物相分析",
        **extra,
    }


def post(api, user, data, url="/api/bookings/"):
    api.force_authenticate(user)
    return api.post(url, data, format="json")


def test_booking_answers_201_with_status_fee_and_times_in_shanghai(api, instrument, researcher):
    response = post(api, researcher, payload(instrument, "09:00", "11:00"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["start"] == f"{day()}T09:00:00+08:00"
    assert body["end"] == f"{day()}T11:00:00+08:00"
    assert (body["rate_category"], body["cross_region"]) == ("other_region", True)
    assert (body["hourly_rate"], body["fee_estimate"]) == ("150.00", "300.00")
    assert [t["to_status"] for t in body["transitions"]] == ["approved"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(period) AT TIME ZONE 'UTC' FROM bookings_booking WHERE id = %s",
            [body["id"]],
        )
        stored = cursor.fetchone()[0]
    assert stored == datetime.datetime.combine(day(), datetime.time(1, 0))


def test_a_time_without_offset_is_read_as_shanghai(api, instrument, researcher):
    data = payload(instrument)
    data["start"], data["end"] = f"{day()}T09:00:00", f"{day()}T02:00:00Z"
    response = post(api, researcher, data)
    assert response.status_code == 201, response.content
    assert response.json()["end"] == f"{day()}T10:00:00+08:00"


def test_a_request_waits_when_the_instrument_needs_approval(api, manager, researcher):
    instrument = instrument_with_rules(
        managers=[manager], approval_required=True, closed_on_holidays=False
    )
    response = post(api, researcher, payload(instrument))
    assert response.json()["status"] == "requested"


def test_overlapping_bookings_are_refused_with_409(api, instrument, researcher, outsider):
    assert post(api, researcher, payload(instrument, "09:00", "10:00")).status_code == 201
    response = post(api, outsider, payload(instrument, "09:30", "10:30"))
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": response.json()["error"]["message"],
        "rule": "slot_taken",
    }


def test_a_broken_rule_is_400_naming_the_rule(api, instrument, researcher):
    response = post(api, researcher, payload(instrument, "07:00", "08:00"))
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "outside_opening_hours"
    response = post(api, researcher, payload(instrument, "09:10", "10:10"))
    assert response.json()["error"]["rule"] == "slot_alignment"


def test_bad_input_is_400_with_fields(api, instrument, researcher):
    response = post(api, researcher, {"instrument": 999999, "start": "x", "purpose": ""})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"instrument", "start", "end", "purpose"}


def test_booking_needs_a_signed_in_person(api, instrument):
    assert api.post("/api/bookings/", payload(instrument), format="json").status_code in (401, 403)


def test_the_approval_queue_through_the_api(api, manager, researcher, outsider):
    instrument = instrument_with_rules(
        managers=[manager], approval_required=True, closed_on_holidays=False
    )
    pk = post(api, researcher, payload(instrument)).json()["id"]
    api.force_authenticate(outsider)
    assert api.post(f"/api/bookings/{pk}/approve", {}).status_code == 404
    api.force_authenticate(researcher)
    assert api.post(f"/api/bookings/{pk}/approve", {}).status_code == 403
    api.force_authenticate(manager)
    queue = api.get("/api/bookings/", {"role": "manager", "status": "requested"}).json()
    assert [b["id"] for b in queue["results"]] == [pk]
    response = api.post(f"/api/bookings/{pk}/approve", {"reason": "同意"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    again = api.post(f"/api/bookings/{pk}/reject/", {"reason": "晚了"}, format="json")
    assert again.status_code == 409


def test_approving_ones_own_request_is_403_naming_the_rule(api, manager):
    instrument = instrument_with_rules(
        managers=[manager], approval_required=True, closed_on_holidays=False
    )
    pk = post(api, manager, payload(instrument)).json()["id"]
    response = api.post(f"/api/bookings/{pk}/approve", {}, format="json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["code"], error["rule"]) == ("forbidden", "self_approval")
    assert error["message"]
    assert Booking.objects.get(pk=pk).status == Booking.Status.REQUESTED


def test_cancel_frees_the_slot_through_the_api(api, instrument, researcher, outsider):
    pk = post(api, researcher, payload(instrument)).json()["id"]
    assert post(api, outsider, payload(instrument)).status_code == 409
    response = post(api, researcher, {"reason": "改期"}, url=f"/api/bookings/{pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert post(api, outsider, payload(instrument)).status_code == 201


def test_nobody_sees_anybody_elses_bookings(api, instrument, researcher, outsider, manager):
    pk = post(api, researcher, payload(instrument)).json()["id"]
    api.force_authenticate(outsider)
    assert api.get(f"/api/bookings/{pk}/").status_code == 404
    assert api.get("/api/bookings/").json()["results"] == []
    assert api.get("/api/bookings/", {"role": "manager"}).json()["results"] == []
    assert api.post(f"/api/bookings/{pk}/cancel", {}).status_code == 404
    api.force_authenticate(manager)
    assert api.get(f"/api/bookings/{pk}/").status_code == 200
    assert api.get("/api/bookings/").json()["results"] == []  # not mine
    api.force_authenticate(researcher)
    assert [b["id"] for b in api.get("/api/bookings/").json()["results"]] == [pk]


def test_my_bookings_come_in_keyset_pages(api, instrument, researcher):
    ids = [
        post(api, researcher, payload(instrument, f"{h:02d}:00", f"{h + 1:02d}:00")).json()["id"]
        for h in range(8, 13)
    ]
    api.force_authenticate(researcher)
    first = api.get("/api/bookings/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    seen = [b["id"] for page in (first, second, third) for b in page["results"]]
    assert seen == sorted(ids, reverse=True)
    assert third["next"] is None
    assert api.get("/api/bookings/", {"cursor": "forged"}).status_code == 400


def test_check_in_and_out_through_the_api(api, instrument, researcher):
    pk = post(api, researcher, payload(instrument)).json()["id"]
    response = api.post(f"/api/bookings/{pk}/check-in")
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "too_early"
    Booking.objects.filter(pk=pk).update(status="checked_in", checked_in_at=local(day(), "09:00"))
    response = api.post(f"/api/bookings/{pk}/check-out")
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["charge"] is not None


def test_a_series_through_the_api_has_a_result_per_week(api, instrument, researcher, outsider):
    taken = payload(instrument)
    taken["start"] = local(day() + datetime.timedelta(weeks=1), "09:00").isoformat()
    taken["end"] = local(day() + datetime.timedelta(weeks=1), "10:00").isoformat()
    assert post(api, outsider, taken).status_code == 201
    response = post(api, researcher, {**payload(instrument), "weeks": 3}, "/api/bookings/series/")
    assert response.status_code == 201, response.content
    occurrences = response.json()["occurrences"]
    assert [o["ok"] for o in occurrences] == [True, False, True]
    assert occurrences[1]["error"]["rule"] == "slot_taken"
    assert occurrences[0]["booking"]["start"] == f"{day()}T09:00:00+08:00"


def test_the_waitlist_through_the_api(api, instrument, researcher, outsider):
    post(api, researcher, payload(instrument))
    response = post(api, outsider, payload(instrument), url="/api/waitlist/")
    assert response.status_code == 201, response.content
    assert response.json()["start"] == f"{day()}T09:00:00+08:00"


def test_the_schema_documents_the_booking_endpoints(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/bookings/",
        "/api/bookings/series/",
        "/api/bookings/{id}/",
        "/api/instruments/{id}/availability/",
        "/api/waitlist/",
    ):
        assert path in schema["paths"], path
