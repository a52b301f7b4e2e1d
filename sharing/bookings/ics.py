"""Calendars in RFC 5545: a private feed of a person's bookings behind a revocable token, and a
public busy-time feed per instrument that carries times only.

icalendar writes the text (line folding at 75 octets, escaping of , ; \\ and newlines, UTC
times with a Z); this module only decides what goes in.
"""

import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from icalendar import Calendar, Event, vDuration, vText

from portal.accounts.models import User
from sharing.bookings.models import Booking, CalendarToken
from sharing.bookings.notify_texts import STATUS_TEXT, instrument_label, plain
from sharing.catalogue.models import Instrument

PRODID = "-//Mianyang-Beibei resource-sharing portal//mianbei-portal 1.0//ZH"
UID_DOMAIN = "mianbei-portal"
CALENDAR_TZ = "Asia/Shanghai"
# What a feed covers, around today: enough past to look back a month, enough future for
# bookings made as far ahead as any policy allows.
PAST = timedelta(days=30)
FUTURE = timedelta(days=180)
# Clients that honour these poll hourly rather than every few minutes.
REFRESH = timedelta(hours=1)
BUSY_SUMMARY = "已占用 Busy"

# Booking status → VEVENT STATUS. Every ended-without-use status is CANCELLED, so a calendar that
# once showed the request drops it.
EVENT_STATUS = {
    Booking.Status.REQUESTED: "TENTATIVE",
    Booking.Status.APPROVED: "CONFIRMED",
    Booking.Status.CHECKED_IN: "CONFIRMED",
    Booking.Status.COMPLETED: "CONFIRMED",
    Booking.Status.REJECTED: "CANCELLED",
    Booking.Status.CANCELLED: "CANCELLED",
    Booking.Status.EXPIRED: "CANCELLED",
    Booking.Status.NO_SHOW: "CANCELLED",
}


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.pk}@{UID_DOMAIN}"


def busy_uid(booking: Booking) -> str:
    # Not the private UID: a person subscribed to both feeds must not see them merged.
    return f"busy-{booking.pk}@{UID_DOMAIN}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # No METHOD: with one the feed would be an iTIP message, which needs an ORGANIZER.
    # X- properties have no known type, so without vText a comma or backslash in an
    # instrument's name would be written unescaped.
    cal.add("x-wr-calname", vText(name))
    cal.add("x-wr-timezone", vText(CALENDAR_TZ))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property has no known type: give the duration type, or it is written as "1:00:00".
    cal.add("x-published-ttl", vDuration(REFRESH))
    return cal


def _window(now: datetime | None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    return now - PAST, now + FUTURE


# --- Private feed --------------------------------------------------------------------------


def feed_bookings(*, user: User, now: datetime | None = None) -> QuerySet[Booking]:
    start, end = _window(now)
    return (
        Booking.objects.filter(
            requester=user, period__startswith__lt=end, period__endswith__gt=start
        )
        .select_related("instrument", "instrument__organisation")
        # SEQUENCE: every status change is a revision of the event.
        .annotate(revisions=Count("transitions"))
        .order_by("period__startswith", "pk")
    )


def bookings_calendar(*, user: User, now: datetime | None = None) -> bytes:
    cal = _calendar("绵碚共享 我的仪器预约 My instrument bookings")
    for booking in feed_bookings(user=user, now=now):
        status_zh, status_en = STATUS_TEXT[booking.status]
        name = plain(booking.instrument.name, limit=200)
        event = Event()
        event.add("uid", booking_uid(booking))
        event.add("dtstamp", _utc(booking.updated_at))
        event.add("created", _utc(booking.created_at))
        event.add("last-modified", _utc(booking.updated_at))
        event.add("dtstart", _utc(booking.start))
        event.add("dtend", _utc(booking.end))
        event.add("sequence", booking.revisions)
        event.add("status", EVENT_STATUS[booking.status])
        event.add("summary", f"仪器预约 Booking：{name}（{status_zh} {status_en}）")
        event.add(
            "description",
            "\n".join(
                [
                    f"仪器 Instrument：{instrument_label(booking.instrument)}",
                    f"预约号 Booking：#{booking.pk}",
                    f"状态 Status：{status_zh} {status_en}",
                    f"用途 Purpose：{plain(booking.purpose)}",
                ]
            ),
        )
        event.add("location", _location(booking.instrument))
        event.add("class", "PRIVATE")
        # A cancelled booking no longer takes the person's time.
        event.add("transp", "TRANSPARENT" if booking.status in _ENDED else "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()


def _location(instrument: Instrument) -> str:
    """Where to go: the room and address, with the organisation to recognise it by."""
    organisation = plain(instrument.organisation.name, limit=200)
    address = plain(instrument.address, limit=300)
    if not address:
        return organisation
    return address if organisation in address else f"{organisation}，{address}"


_ENDED = {status for status, ical in EVENT_STATUS.items() if ical == "CANCELLED"}


# --- Public busy feed ----------------------------------------------------------------------


def busy_bookings(*, instrument: Instrument, now: datetime | None = None) -> QuerySet[Booking]:
    start, end = _window(now)
    return (
        Booking.objects.filter(
            instrument=instrument,
            status__in=Booking.LIVE,
            period__startswith__lt=end,
            period__endswith__gt=start,
        )
        # Only what the feed shows: no requester, purpose or notes are even read.
        .only("pk", "period", "updated_at")
        .order_by("period__startswith", "pk")
    )


def busy_calendar(*, instrument: Instrument, now: datetime | None = None) -> bytes:
    name = plain(instrument.name, limit=200)
    cal = _calendar(f"{name} 占用时间 Busy times")
    for booking in busy_bookings(instrument=instrument, now=now):
        event = Event()
        event.add("uid", busy_uid(booking))
        event.add("dtstamp", _utc(booking.updated_at))
        event.add("dtstart", _utc(booking.start))
        event.add("dtend", _utc(booking.end))
        event.add("summary", BUSY_SUMMARY)
        event.add("class", "PUBLIC")
        event.add("transp", "OPAQUE")
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def busy_instrument(*, pk: int) -> Instrument | None:
    """The instrument of a busy feed: any that has not been withdrawn from the catalogue."""
    return Instrument.objects.filter(pk=pk, withdrawn_at__isnull=True).only("pk", "name").first()


# --- Tokens --------------------------------------------------------------------------------


def calendar_token_rotate(*, user: User) -> CalendarToken:
    """Give the user a new private feed token, revoking the one they had."""
    with transaction.atomic():
        # Serialise a user's rotations on their row: two at once would otherwise both revoke
        # and then collide on "one live token per user".
        User.objects.select_for_update().filter(pk=user.pk).first()
        CalendarToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        return CalendarToken.objects.create(user=user, token=secrets.token_urlsafe(32))


def calendar_token_revoke(*, user: User) -> int:
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def calendar_token_live(*, user: User) -> CalendarToken | None:
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_token_user(*, token: str) -> User | None:
    """The owner of a live token, or None for an unknown or revoked one."""
    found = (
        CalendarToken.objects.filter(token=token, revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    return found.user if found else None
