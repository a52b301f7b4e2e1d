"""Calendars: written with icalendar, read back with vobject (a parser other than the one that
wrote them), with a private feed behind a revocable token and a public busy feed without
personal data."""

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from django.utils import timezone

from sharing.bookings.models import BookingTransition
from tests.bookings import make_booking
from tests.factories import InstrumentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _hour(days: int, hour: int) -> datetime:
    day = (timezone.now() + timedelta(days=days)).astimezone(UTC)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _read(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('.ics"')
    text = response.content.decode("utf-8")
    # RFC 5545 3.1: CRLF line ends, content lines folded at 75 octets.
    assert text.endswith("\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    return vobject.readOne(text)


def _events(calendar) -> dict:
    return {event.uid.value: event for event in getattr(calendar, "vevent_list", [])}


def _subscribe(api, user) -> str:
    api.force_authenticate(user)
    response = api.post("/api/calendar/token/")
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    assert response.json()["webcal_url"] == "webcal://" + url.split("://", 1)[1]
    api.force_authenticate(None)
    return url.removeprefix("http://testserver")


@pytest.fixture
def researcher():
    return UserFactory(username="zhang", first_name="三", last_name="张", email="zhang@example.org")


@pytest.fixture
def my_bookings(researcher):
    instrument = InstrumentFactory(name="场发射扫描电子显微镜, 型号; SU8010\\高分辨" * 3)
    approved = make_booking(requester=researcher, instrument=instrument, start=_hour(3, 1), hours=2)
    requested = make_booking(
        requester=researcher,
        instrument=instrument,
        start=_hour(4, 6),
        status="requested",
        purpose="测试,分号;反斜杠\\换行\n第二行",
    )
    cancelled = make_booking(
        requester=researcher, instrument=instrument, start=_hour(5, 2), status="cancelled"
    )
    for to in ("requested", "approved"):
        BookingTransition.objects.create(booking=approved, to_status=to)
    make_booking(requester=researcher, instrument=instrument, start=_hour(-40, 2))  # too old
    make_booking(requester=researcher, instrument=instrument, start=_hour(200, 2))  # too far
    someone_else = make_booking(instrument=instrument, start=_hour(6, 2))
    return approved, requested, cancelled, someone_else


# --- Private feed ----------------------------------------------------------------------------


def test_the_private_feed_reads_back_with_vobject(api, researcher, my_bookings):
    approved, requested, cancelled, _someone_else = my_bookings
    calendar = _read(api.get(_subscribe(api, researcher)))

    assert calendar.version.value == "2.0"
    assert calendar.prodid.value.startswith("-//Mianyang-Beibei")
    assert calendar.calscale.value == "GREGORIAN"
    assert calendar.contents["x-wr-timezone"][0].value == "Asia/Shanghai"
    assert calendar.contents["x-wr-calname"][0].value
    assert calendar.contents["x-published-ttl"][0].value == "PT1H"

    events = _events(calendar)
    assert set(events) == {
        f"booking-{approved.pk}@mianbei-portal",
        f"booking-{requested.pk}@mianbei-portal",
        f"booking-{cancelled.pk}@mianbei-portal",
    }
    for booking in (approved, requested, cancelled):
        event = events[f"booking-{booking.pk}@mianbei-portal"]
        assert event.dtstart.value == booking.start
        assert event.dtend.value == booking.end
        assert event.dtstart.value.utcoffset() == timedelta(0)
        assert event.dtstamp.value.tzinfo is not None
        assert event.summary.value
    status = {uid: event.status.value for uid, event in events.items()}
    assert status == {
        f"booking-{approved.pk}@mianbei-portal": "CONFIRMED",
        f"booking-{requested.pk}@mianbei-portal": "TENTATIVE",
        f"booking-{cancelled.pk}@mianbei-portal": "CANCELLED",
    }
    assert events[f"booking-{approved.pk}@mianbei-portal"].sequence.value == "2"
    # Escaping done by the writer comes back intact through another parser.
    description = events[f"booking-{requested.pk}@mianbei-portal"].description.value
    assert "测试,分号;反斜杠\\换行 第二行" in description
    assert "场发射扫描电子显微镜, 型号; SU8010\\高分辨" in description


def test_the_event_location_is_the_room_and_address_then_the_organisation(api, researcher):
    instrument = InstrumentFactory(address="西南大学 25 教 301 室，重庆市北碚区天生路 2 号")
    booking = make_booking(requester=researcher, instrument=instrument, start=_hour(3, 2))
    bare = InstrumentFactory(address="")
    other = make_booking(requester=researcher, instrument=bare, start=_hour(4, 2))

    events = _events(_read(api.get(_subscribe(api, researcher))))

    location = events[f"booking-{booking.pk}@mianbei-portal"].location.value
    assert "25 教 301 室" in location and "天生路 2 号" in location
    assert instrument.organisation.name in location
    # Without an address the organisation is still better than nothing.
    fallback = events[f"booking-{other.pk}@mianbei-portal"].location.value
    assert fallback == bare.organisation.name


def test_the_feed_needs_no_login_and_is_not_cached_publicly(api, researcher, my_bookings):
    path = _subscribe(api, researcher)
    response = api.get(path)
    assert response["Cache-Control"].startswith("private")
    assert "noindex" in response["X-Robots-Tag"]


def test_a_revoked_token_is_404(api, researcher, my_bookings):
    path = _subscribe(api, researcher)
    assert api.get(path).status_code == 200
    api.force_authenticate(researcher)
    assert api.delete("/api/calendar/token/").status_code == 204
    assert api.get("/api/calendar/token/").status_code == 404
    api.force_authenticate(None)
    assert api.get(path).status_code == 404


def test_a_rotated_token_leaves_the_old_address_dead(api, researcher, my_bookings):
    old = _subscribe(api, researcher)
    new = _subscribe(api, researcher)
    assert old != new
    assert api.get(old).status_code == 404
    assert api.get(new).status_code == 200
    api.force_authenticate(researcher)
    assert api.get("/api/calendar/token/").json()["url"].endswith(new)


def test_an_unknown_token_is_404(api):
    assert api.get("/calendar/" + "x" * 43 + ".ics").status_code == 404
    assert api.get("/calendar/short.ics").status_code == 404


def test_the_token_address_needs_a_signed_in_person(api):
    assert api.post("/api/calendar/token/").status_code in (401, 403)
    assert api.delete("/api/calendar/token/").status_code in (401, 403)


# --- Public busy feed --------------------------------------------------------------------------


def test_the_busy_feed_has_times_only_and_no_personal_data(api, researcher, my_bookings):
    approved, requested, cancelled, someone_else = my_bookings
    assert cancelled.status == "cancelled"
    instrument = approved.instrument
    response = api.get(f"/calendar/instruments/{instrument.pk}/busy.ics")
    calendar = _read(response)
    assert response["Cache-Control"].startswith("public")

    text = response.content.decode("utf-8")
    for secret in (
        "zhang",
        "张",
        "zhang@example.org",
        "someone@example.org",
        "扫描样品",
        "测试,分号",
        "测试\\,分号",
        "PRIVATE",
        "ATTENDEE",
        "ORGANIZER",
        "DESCRIPTION",
    ):
        assert secret not in text, secret

    # The calendar's name is the instrument's, escaped on the way out and back intact.
    name = calendar.contents["x-wr-calname"][0].value
    assert name == f"{instrument.name} 占用时间 Busy times"

    events = _events(calendar)
    live = (approved, requested, someone_else)
    assert set(events) == {f"busy-{b.pk}@mianbei-portal" for b in live}
    for booking in live:
        event = events[f"busy-{booking.pk}@mianbei-portal"]
        assert event.summary.value == "已占用 Busy"
        assert event.contents["class"][0].value == "PUBLIC"
        assert event.transp.value == "OPAQUE"
        assert (event.dtstart.value, event.dtend.value) == (booking.start, booking.end)


def test_a_withdrawn_or_unknown_instrument_has_no_busy_feed(api):
    instrument = InstrumentFactory()
    assert api.get(f"/calendar/instruments/{instrument.pk}/busy.ics").status_code == 200
    instrument.withdrawn_at = timezone.now()
    instrument.save(update_fields=["withdrawn_at"])
    assert api.get(f"/calendar/instruments/{instrument.pk}/busy.ics").status_code == 404
    assert api.get("/calendar/instruments/999999999/busy.ics").status_code == 404
