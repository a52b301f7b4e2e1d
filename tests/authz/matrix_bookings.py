"""Rows for the booking API: availability, bookings and their actions, series, waitlist,
notifications and the calendar address.

A booking is seen by its requester, the instrument's managers and administrators; to anyone
else it does not exist (404). Of those who see it, the service decides who may act (403).
"""

from portal.notifications.models import Notification
from sharing.bookings.models import (
    Booking,
    BookingSeries,
    CalendarToken,
    Voucher,
)
from tests.authz.matrix import ONLY, PEOPLE, SIGNED_IN, Row
from tests.bookings import local

MINE = "matrix-purpose-mianyang"  # the purpose of researcher_mianyang's request

# researcher_mianyang's bookings are on instruments manager_this manages.
PARTIES = {"researcher_mianyang", "manager_this", "admin"}
MANAGERS = {"manager_this", "admin"}


def PARTY(status, *, requester=None):
    expect = ONLY(PARTIES, status, else_=404)
    return expect if requester is None else expect | {"researcher_mianyang": requester}


def _status(attr):
    return lambda w: Booking.objects.values_list("status", flat=True).get(pk=getattr(w, attr).pk)


def _book(w, start="14:00", end="15:00", **extra):
    return {
        "instrument": w.instrument.pk,
        "start": local(w.day, start).isoformat(),
        "end": local(w.day, end).isoformat(),
        "purpose": "授权矩阵测试",
        **extra,
    }


def _mianyang_token(w):
    # Rotating or revoking one's own address must never touch another person's.
    return list(
        CalendarToken.objects.filter(user=w.people["researcher_mianyang"]).values_list(
            "token", "revoked_at"
        )
    )


def _action(action, attr):
    return lambda w: f"/api/bookings/{getattr(w, attr).pk}/{action}/"


ROWS = [
    Row(
        "api:instrument-availability",
        "GET",
        lambda w: (
            f"/api/instruments/{w.instrument.pk}/availability/"
            f"?start={w.day}T00:00:00&end={w.day}T23:59:00"
        ),
        SIGNED_IN(200, anon=200),
    ),
    Row(
        "api:booking-list",
        "GET",
        lambda w: "/api/bookings/",
        SIGNED_IN(200),
        secret=lambda w: MINE,
        seen_by=frozenset({"researcher_mianyang"}),
    ),
    Row(
        "api:booking-list",
        "GET",
        lambda w: "/api/bookings/?role=manager",
        SIGNED_IN(200),
        label="role=manager",
        secret=lambda w: MINE,
        seen_by=frozenset(MANAGERS),
    ),
    Row(
        "api:booking-list",
        "POST",
        lambda w: "/api/bookings/",
        SIGNED_IN(201),
        body=_book,
        effect=lambda w: Booking.objects.count(),
    ),
    Row(
        "api:booking-list",
        "POST",
        lambda w: "/api/bookings/",
        SIGNED_IN(400) | {"manager_this": 201},
        label="internal-only instrument",
        body=lambda w: {**_book(w), "instrument": w.instrument_internal.pk},
        effect=lambda w: Booking.objects.count(),
    ),
    # Nobody pays with another organisation's voucher, whoever may read it (coordinators,
    # administrators): the booking is refused whole and the balance stays.
    Row(
        "api:booking-list",
        "POST",
        lambda w: "/api/bookings/",
        SIGNED_IN(400) | {"researcher_mianyang": 201},
        label="with mianyang's voucher",
        body=lambda w: _book(w, voucher=w.voucher_mianyang.pk),
        effect=lambda w: Voucher.objects.get(pk=w.voucher_mianyang.pk).balance,
    ),
    Row(
        "api:booking-series",
        "POST",
        lambda w: "/api/bookings/series/",
        SIGNED_IN(201),
        body=lambda w: _book(w, "15:00", "16:00", weeks=2),
        effect=lambda w: BookingSeries.objects.count(),
    ),
    Row(
        "api:booking-detail",
        "GET",
        lambda w: f"/api/bookings/{w.booking_mianyang.pk}/",
        PARTY(200),
        label="mianyang's",
    ),
    Row(
        "api:booking-detail",
        "GET",
        lambda w: f"/api/bookings/{w.booking_beibei.pk}/",
        ONLY({"researcher_beibei", "manager_this", "admin"}, 200, else_=404),
        label="beibei's",
    ),
    Row(
        "api:waitlist",
        "POST",
        lambda w: "/api/waitlist/",
        SIGNED_IN(201),
        body=lambda w: {
            "instrument": w.instrument.pk,
            "start": w.booking_beibei.start.isoformat(),
            "end": w.booking_beibei.end.isoformat(),
        },
    ),
    # The requester sees the request but may not approve it: 403, not 404.
    Row(
        "api:booking-approve",
        "POST",
        _action("approve", "booking_mianyang"),
        PARTY(200, requester=403),
        effect=_status("booking_mianyang"),
    ),
    Row(
        "api:booking-reject",
        "POST",
        _action("reject", "booking_mianyang"),
        PARTY(200, requester=403),
        body=lambda w: {"reason": "授权矩阵测试"},
        effect=_status("booking_mianyang"),
    ),
    Row(
        "api:booking-cancel",
        "POST",
        _action("cancel", "booking_mianyang"),
        PARTY(200),
        effect=_status("booking_mianyang"),
    ),
    Row(
        "api:booking-check-in",
        "POST",
        _action("check-in", "booking_now"),
        PARTY(200),
        effect=_status("booking_now"),
    ),
    Row(
        "api:booking-check-out",
        "POST",
        _action("check-out", "booking_checked_in"),
        PARTY(200),
        effect=_status("booking_checked_in"),
    ),
    Row(
        "api:notification-list",
        "GET",
        lambda w: "/api/notifications/",
        SIGNED_IN(200),
        secret=lambda w: "matrix-note-mianyang",
        seen_by=frozenset({"researcher_mianyang"}),
    ),
    Row(
        "api:notification-read",
        "POST",
        lambda w: f"/api/notifications/{w.notification_mianyang.pk}/read",
        ONLY({"researcher_mianyang"}, 200, else_=404),
        effect=lambda w: Notification.objects.get(pk=w.notification_mianyang.pk).read_at,
    ),
    # Only researcher_mianyang has an address; nobody else is shown it.
    Row(
        "api:calendar-token",
        "GET",
        lambda w: "/api/calendar/token/",
        ONLY({"researcher_mianyang"}, 200, else_=404),
        secret=lambda w: w.calendar_token.token,
        seen_by=frozenset({"researcher_mianyang"}),
    ),
    Row(
        "api:calendar-token",
        "POST",
        lambda w: "/api/calendar/token/",
        SIGNED_IN(201),
        effect=_mianyang_token,
        changed_by=frozenset({"researcher_mianyang"}),
    ),
    Row(
        "api:calendar-token",
        "DELETE",
        lambda w: "/api/calendar/token/",
        SIGNED_IN(204),
        effect=_mianyang_token,
        changed_by=frozenset({"researcher_mianyang"}),
    ),
    # The private feed: the token is the secret, so whoever holds it gets the feed.
    Row(
        "calendar:feed",
        "GET",
        lambda w: f"/calendar/{w.calendar_token.token}.ics",
        SIGNED_IN(200, anon=200),
        secret=lambda w: MINE,
        seen_by=frozenset(PEOPLE),
    ),
    Row(
        "calendar:feed",
        "GET",
        lambda w: f"/calendar/{w.calendar_token.token}.ics",
        SIGNED_IN(200, anon=200),
        label="nobody else's bookings",
        secret=lambda w: "matrix-purpose-beibei",
    ),
    Row(
        "calendar:feed",
        "GET",
        lambda w: f"/calendar/{'x' * 32}.ics",
        SIGNED_IN(404, anon=404),
        label="unknown token",
    ),
    Row(
        "calendar:feed",
        "GET",
        lambda w: f"/calendar/{w.calendar_token_revoked.token}.ics",
        SIGNED_IN(404, anon=404),
        label="revoked token",
    ),
    Row(
        "calendar:instrument-busy",
        "GET",
        lambda w: f"/calendar/instruments/{w.instrument.pk}/busy.ics",
        SIGNED_IN(200, anon=200),
        secret=lambda w: (MINE, "researcher_mianyang"),  # times only, for everyone
    ),
]
