"""Hostile text in search and booking requests, and hostile JSON bodies.

Full-width digits, emoji, right-to-left overrides and markup are data: search must answer (never
500), a booking's purpose and notes are stored as given and every page shows them escaped.
Bodies too large or nested too deep are refused (413 / 400) in the one error shape.
"""

import json

import pytest

from portal.accounts.models import Role
from sharing.bookings.models import Booking, BookingTransition, VoucherEntry
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions
from tests.factories import InstrumentFactory

pytestmark = pytest.mark.django_db

QUERIES = [
    "１２３",
    "ＳＵ８０２０",
    "电镜🔬",
    "🔬🧪",
    "\u202egpj.exe",
    "\u2066电镜\u2069",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "a & b | !c <-> d",  # tsquery operators
    ":*",
    "\\",
    "%_%",
    "、，。！",
    "　",  # ideographic space only
    "\u200b",
    "x" * 100,
]


@pytest.fixture
def catalogue(db):
    InstrumentFactory(name="场发射扫描电子显微镜", model="SU8020")
    InstrumentFactory(name="液相色谱质谱联用仪🔬")


@pytest.mark.parametrize("q", QUERIES)
def test_search_answers_hostile_queries(api, client, catalogue, q):
    response = api.get("/api/instruments/", {"q": q})
    assert response.status_code == 200, response.content[:300]
    assert client.get("/instruments/", {"q": q}).status_code == 200
    export = client.get("/api/instruments/export.csv", {"q": q})
    assert export.status_code == 200
    b"".join(export.streaming_content)


def test_full_width_digits_find_the_half_width_model(api, catalogue):
    names = [
        r["name"] for r in api.get("/api/instruments/", {"q": "ＳＵ８０２０"}).json()["results"]
    ]
    assert names == ["场发射扫描电子显微镜"]


@pytest.mark.parametrize("q", ["电镜\x00", "x" * 101])
def test_search_refuses_what_is_not_a_query(api, client, catalogue, q):
    response = api.get("/api/instruments/", {"q": q})
    assert response.status_code == 400, response.content[:300]
    assert "q" in response.json()["error"]["fields"]
    assert client.get("/instruments/", {"q": q}).status_code in (200, 400)


@pytest.mark.parametrize("raw", ["%ED%A0%80", "%FF%FE", "%C0%AF", "%E7%94%B5%E9%95"])
def test_search_reads_broken_utf8_in_the_address_as_text(api, client, catalogue, raw):
    # Django decodes the query string with replacement characters: a search, not an error.
    assert api.get(f"/api/instruments/?q={raw}").status_code == 200
    assert client.get(f"/instruments/?q={raw}").status_code == 200


# --- Booking text --------------------------------------------------------------------------


@pytest.fixture
def instrument(db):
    regions()
    manager = person("manager", roles=[Role.INSTRUMENT_MANAGER])
    return instrument_with_rules(managers=[manager], closed_on_holidays=False, organisation=None)


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


def booking_body(instrument, **extra):
    day = next_weekday(2)
    return {
        "instrument": instrument.pk,
        "start": local(day, "09:00").isoformat(),
        "end": local(day, "10:00").isoformat(),
        "purpose": "XRD",
        **extra,
    }


def stored():
    return (
        Booking.objects.count(),
        BookingTransition.objects.count(),
        VoucherEntry.objects.count(),
    )


PURPOSE = "<script>alert('x')</script> 样品１２３ 🔬 \u202eTXT.exe"


def test_booking_text_is_stored_as_given_and_shown_escaped(api, client, instrument, researcher):
    instrument.name = "<b>电镜</b>🔬"
    instrument.save(update_fields=["name"])
    api.force_authenticate(researcher)
    body = booking_body(instrument, purpose=PURPOSE, sample_notes="<img src=x onerror=alert(1)>")
    response = api.post("/api/bookings/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["purpose"] == PURPOSE
    assert Booking.objects.get().purpose == PURPOSE

    client.force_login(researcher)
    page = client.get("/bookings/").content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; 样品１２３ 🔬" in page
    assert "<script>alert(" not in page
    assert "&lt;b&gt;电镜&lt;/b&gt;🔬" in page
    client.force_login(instrument.managers.get())
    queue = client.get("/bookings/queue/").content.decode()
    assert "<img src=x" not in queue and "<script>alert(" not in queue


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "用途\x00"),
        ("purpose", '用途\x01=HYPERLINK("http://evil")'),
        ("purpose", "用途\x7f"),
        ("purpose", "第一行\n第二行"),
        ("purpose", "x" * 301),
        ("purpose", ""),
        ("purpose", ["列表"]),
        ("purpose", {"a": 1}),
        ("sample_notes", "y" * 2001),
        ("sample_notes", "\x00"),
        ("sample_notes", "样品\x1b[31m"),
        ("instrument", "１"),
        ("instrument", 2**70),
        ("instrument", "1e400"),
        ("voucher", -1),
    ],
)
def test_bad_booking_text_is_refused_by_field(api, instrument, researcher, field, value):
    api.force_authenticate(researcher)
    body = {**booking_body(instrument), field: value}
    response = api.post("/api/bookings/", body, format="json")
    if field == "instrument" and value == "１":
        # Python reads full-width digits as a number; instrument 1 may or may not exist.
        assert response.status_code in (201, 400), response.content
        return
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert stored() == (0, 0, 0)


def test_sample_notes_keep_their_line_breaks_and_tabs(api, instrument, researcher):
    api.force_authenticate(researcher)
    notes = "样品一\n\t粉末\r\n样品二"
    body = booking_body(instrument, sample_notes=notes)
    response = api.post("/api/bookings/", body, format="json")
    assert response.status_code == 201, response.content
    assert Booking.objects.get().sample_notes == notes


@pytest.mark.parametrize("action", ["cancel", "reject"])
def test_a_reason_with_control_characters_is_refused(api, instrument, researcher, action):
    api.force_authenticate(researcher)
    pk = api.post("/api/bookings/", booking_body(instrument), format="json").json()["id"]
    if action == "reject":
        api.force_authenticate(instrument.managers.get())
    response = api.post(f"/api/bookings/{pk}/{action}", {"reason": "改期\x01"}, format="json")
    assert response.status_code == 400, response.content
    assert "reason" in response.json()["error"]["fields"]


# --- JSON bodies ---------------------------------------------------------------------------


def raw_post(api, path, payload: bytes, content_type="application/json"):
    return api.generic("POST", path, payload, content_type=content_type)


def test_a_lone_surrogate_in_a_purpose_is_refused(api, instrument, researcher):
    api.force_authenticate(researcher)
    payload = json.dumps({**booking_body(instrument), "purpose": "\ud800"}).encode()
    assert b"\\ud800" in payload
    response = raw_post(api, "/api/bookings/", payload)
    assert response.status_code == 400, response.content
    assert "purpose" in response.json()["error"]["fields"]
    assert stored() == (0, 0, 0)


def test_a_json_body_over_the_data_limit_is_413(api, instrument, researcher, settings):
    api.force_authenticate(researcher)
    body = booking_body(instrument, sample_notes="x" * 100)
    payload = json.dumps({**body, "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = raw_post(api, "/api/bookings/", payload.encode())
    assert response.status_code == 413, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "too_large" and error["message"]
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json_is_400(api, instrument, researcher, depth, opener):
    api.force_authenticate(researcher)
    closer = "]" if opener == "[" else "}"
    payload = (opener * depth + "1" + closer * depth).encode()
    response = raw_post(api, "/api/bookings/", payload)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["message"]
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize(
    "payload",
    [
        b"{",
        b"\xff\xfe{}",
        b'{"purpose": "\\ud800"}',
        b"1" * 5000,
        b'{"a": NaN}',
        b"[" * 10 + b"]" * 9,
        b"\x00",
        b'{"instrument": 1e999}',
    ],
)
def test_broken_json_is_400(api, researcher, payload):
    api.force_authenticate(researcher)
    response = raw_post(api, "/api/bookings/", payload)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["message"]
    assert stored() == (0, 0, 0)


def test_a_json_body_under_the_limit_still_books(api, instrument, researcher):
    api.force_authenticate(researcher)
    payload = json.dumps(booking_body(instrument, sample_notes="样" * 2000)).encode()
    assert raw_post(api, "/api/bookings/", payload).status_code == 201
