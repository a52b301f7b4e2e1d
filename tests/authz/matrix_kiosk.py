"""Rows for check-in at the instrument: its QR code and printable sheet (its managers and
administrators only: the code is the key to the kiosk), the kiosk page and its API (anyone
signed in; each person sees only their own booking), and walk-up use."""

import datetime

from sharing.bookings import kiosk
from sharing.bookings.models import Booking, BookingPolicy, OpeningHours
from tests.authz.matrix import LOGIN, ONLY, PAGE, SIGNED_IN, Row

QR_HOLDERS = {"manager_this", "admin"}


def _token(instrument) -> str:
    return kiosk.kiosk_token(instrument=instrument)


def _walk_up_open(w) -> str:
    """instrument_other, free now: open around the clock, walk-up allowed (rolled back with
    the case)."""
    instrument = w.instrument_other
    BookingPolicy.objects.filter(instrument=instrument).update(walk_up_allowed=True)
    for weekday in range(7):
        OpeningHours.objects.create(
            instrument=instrument,
            weekday=weekday,
            opens=datetime.time(0, 0),
            closes=datetime.time(23, 59),
        )
    return f"/api/kiosk/{_token(instrument)}/walk-up/"


def _walk_ups(w):
    return Booking.objects.filter(instrument=w.instrument_other, walk_up=True).count()


ROWS = [
    Row(
        "kiosk:instrument-qr",
        "GET",
        lambda w: f"/instruments/{w.instrument.pk}/qr/",
        ONLY(QR_HOLDERS, 200, else_=403, anon=LOGIN),
    ),
    Row(
        "kiosk:instrument-qr-print",
        "GET",
        lambda w: f"/instruments/{w.instrument.pk}/qr/print/",
        ONLY(QR_HOLDERS, 200, else_=403, anon=LOGIN),
    ),
    Row(
        "kiosk:kiosk",
        "GET",
        lambda w: f"/kiosk/{_token(w.instrument)}/",
        PAGE(200),
        # researcher_mianyang's booking going on now, and only theirs.
        secret=lambda w: f'value="{w.booking_now.pk}"',
        seen_by=frozenset({"researcher_mianyang"}),
    ),
    # A refusal also answers 302 (back to the kiosk, with the rule's message); the services'
    # own effects are tested in tests/frontend/test_kiosk_pages.py.
    Row(
        "kiosk:kiosk",
        "POST",
        lambda w: f"/kiosk/{_token(w.instrument_other)}/",
        PAGE(302),
        label="check in elsewhere",
        body=lambda w: {"action": "check_in", "booking": w.booking_now.pk},
        fmt="form",
        effect=lambda w: Booking.objects.get(pk=w.booking_now.pk).status,
    ),
    Row(
        "api:kiosk",
        "GET",
        lambda w: f"/api/kiosk/{_token(w.instrument)}/",
        SIGNED_IN(200),
        secret=lambda w: f'"booking":{{"id":{w.booking_now.pk},',
        seen_by=frozenset({"researcher_mianyang"}),
    ),
    Row(
        "api:kiosk-walk-up",
        "POST",
        _walk_up_open,
        SIGNED_IN(201),
        body=lambda w: {"minutes": 30},
        effect=_walk_ups,
    ),
]
