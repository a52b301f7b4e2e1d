"""The kiosk at an instrument: its signed address (the QR code on the instrument), the booking
a person may check in or out of there now, and whether a use may start now without one.

The token is Django's signing of the instrument's id with a salt of its own purpose and a
timestamp: it cannot be guessed or altered (HMAC with SECRET_KEY), the address carries nothing
else, so a token names one instrument and never opens another, and it lapses after
settings.KIOSK_TOKEN_MAX_AGE_DAYS (a printed code lasts a year; then the manager prints a new
one). A bad token answers 404, an expired one 410, each with a message that says what to do.

Walk-up use (现场上机): while the instrument is free, within its opening hours and out of any
closure, and its policy allows it (BookingPolicy.walk_up_allowed), a person who may use it
starts a use now, to the minute, for a whole number of slots up to the next booking, the
closing time or the longest booking allowed. Every other rule of a booking holds
(times.may_book with walk_up=True: qualification, holidays, closures, weekly quota); the
minimum notice does not, or no walk-up could ever start. The exclusion constraint decides races.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from rest_framework import status

from portal.accounts.models import User
from portal.errors import Conflict, DomainError, NotFound, Refusal, RuleBroken
from sharing.bookings import rules, times
from sharing.bookings.availability import (
    TZ,
    busy_intervals,
    horizon,
    local_dates,
    open_intervals,
    policy_for,
    weekly_hours,
)
from sharing.bookings.models import Booking, BookingPolicy
from sharing.bookings.workdays import day_kinds
from sharing.catalogue.models import Instrument

SALT = "sharing.bookings.kiosk"
# A phone shows this many lengths to choose from at most (the shortest ones).
MAX_LENGTHS = 12


class TokenExpired(DomainError):
    status_code = status.HTTP_410_GONE
    code = "expired"


# --- The token -----------------------------------------------------------------------------


def kiosk_token(*, instrument: Instrument) -> str:
    """A new signed token for the instrument's kiosk, valid from now."""
    return signing.dumps({"instrument": instrument.pk}, salt=SALT)


def _bad_token() -> NotFound:
    return NotFound(
        _("这个二维码无效：请扫描仪器上张贴的二维码，或请仪器管理员重新打印。"), rule="bad_token"
    )


def kiosk_instrument(*, token: str) -> Instrument:
    """The instrument the token names; NotFound for a token that is not ours (altered, made up,
    signed for another purpose, or for an instrument no longer there), TokenExpired after
    KIOSK_TOKEN_MAX_AGE_DAYS."""
    max_age = datetime.timedelta(days=settings.KIOSK_TOKEN_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise TokenExpired(
            _("这个二维码已过期：请联系仪器管理员打印新的二维码。"), rule="token_expired"
        ) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise _bad_token() from exc
    pk = payload.get("instrument") if isinstance(payload, dict) else None
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise _bad_token()
    instrument = (
        Instrument.objects.select_related("organisation", "region", "booking_policy")
        .filter(pk=pk, withdrawn_at__isnull=True)
        .first()
    )
    if instrument is None:
        raise _bad_token()
    return instrument


# --- The booking for now -------------------------------------------------------------------


def kiosk_booking(*, user: User, instrument: Instrument, now: datetime.datetime) -> Booking | None:
    """The person's own booking on this instrument to act on now: the session they are checked
    in to, else the approved booking whose check-in window (rules.may_check_in) is open."""
    mine = Booking.objects.filter(requester=user, instrument=instrument).select_related(
        "instrument", "requester"
    )
    session = mine.filter(status=Booking.Status.CHECKED_IN).order_by("period").first()
    if session is not None:
        return session
    early = datetime.timedelta(minutes=rules.CHECK_IN_EARLY_MINUTES)
    candidates = mine.filter(
        status=Booking.Status.APPROVED,
        period__startswith__lte=now + early,
        period__endswith__gt=now,
    ).order_by("period")
    return next(
        (b for b in candidates if rules.may_check_in(user=user, booking=b, now=now) is None),
        None,
    )


def on_this_instrument(*, booking: Booking, instrument: Instrument) -> Refusal:
    """A kiosk acts only on bookings of its own instrument."""
    if booking.instrument_id != instrument.pk:
        return RuleBroken(
            _("这个预约不是本仪器的：请到所约仪器旁扫描它的二维码。"), rule="other_instrument"
        )
    return None


# --- Walk-up use ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkUp:
    """What the kiosk offers: a use from ``start`` for one of ``lengths`` (minutes), the time
    being free until ``until``; or the refusal saying why not."""

    start: datetime.datetime
    until: datetime.datetime | None
    lengths: tuple[int, ...]
    refusal: Refusal

    @property
    def possible(self) -> bool:
        return self.refusal is None


def walk_up_start(now: datetime.datetime) -> datetime.datetime:
    """A walk-up use starts now, to the minute."""
    return now.astimezone(TZ).replace(second=0, microsecond=0)


def _free_until(
    *, instrument: Instrument, policy: BookingPolicy, start: datetime.datetime
) -> tuple[datetime.datetime | None, Refusal]:
    """How long the instrument stays free from ``start`` (at most the longest booking), or
    why it is not free at all."""
    hi = start + datetime.timedelta(minutes=policy.max_minutes)
    first, last = local_dates(start, hi)
    opened = open_intervals(
        policy=policy, hours=weekly_hours(instrument), kinds=day_kinds(first, last)
    )
    around = next(((a, b) for a, b in opened if a <= start < b), None)
    if around is None:
        return None, RuleBroken(_("现在不在仪器开放时间内。"), rule="outside_opening_hours")
    _earliest, latest = horizon(policy=policy, now=start)
    until = min(around[1], hi, latest)
    moment = start.timestamp()
    # Blackouts, and live bookings widened by the buffer this use must leave before them.
    for a, b in busy_intervals(instrument=instrument, policy=policy, lo=start, hi=until):
        if a <= moment < b:
            return None, Conflict(_("仪器现在已被预约或停用，不能现场上机。"), rule="not_free")
        if a > moment:
            until = min(until, datetime.datetime.fromtimestamp(a, TZ))
            break
    return until, None


def walk_up_lengths(
    *, policy: BookingPolicy, start: datetime.datetime, until: datetime.datetime
) -> tuple[int, ...]:
    """Whole numbers of slots, from the shortest booking allowed, that end by ``until``."""
    slot = policy.slot_minutes
    longest = min(policy.max_minutes, int((until - start).total_seconds() // 60))
    lengths = [m for m in range(slot, longest + 1, slot) if m >= policy.min_minutes]
    return tuple(lengths[:MAX_LENGTHS])


def walk_up(*, user: User, instrument: Instrument, now: datetime.datetime) -> WalkUp:
    """Whether this person may start a use of the instrument now, and for how long."""
    policy = policy_for(instrument)
    start = walk_up_start(now)

    def refused(refusal: DomainError, until=None) -> WalkUp:
        return WalkUp(start=start, until=until, lengths=(), refusal=refusal)

    if not policy.walk_up_allowed:
        return refused(
            RuleBroken(_("该仪器不接受现场直接上机，请先在网上预约。"), rule="walk_up_not_allowed")
        )
    refusal = rules.may_use(user=user, instrument=instrument)
    if refusal is not None:
        return refused(refusal)
    until, refusal = _free_until(instrument=instrument, policy=policy, start=start)
    if refusal is not None:
        return refused(refusal)
    lengths = walk_up_lengths(policy=policy, start=start, until=until)
    if not lengths:
        return refused(
            Conflict(
                _("仪器空闲时间不足最短使用时长（%(minutes)d 分钟），不能现场上机。")
                % {"minutes": max(policy.min_minutes, policy.slot_minutes)},
                rule="not_free",
            ),
            until,
        )
    # Every other rule of a booking, for the shortest use: qualification, holidays, quota.
    end = start + datetime.timedelta(minutes=lengths[0])
    refusal = times.may_book(
        user=user, instrument=instrument, start=start, end=end, now=now, walk_up=True
    )
    if refusal is not None:
        return refused(refusal, until)
    return WalkUp(start=start, until=until, lengths=lengths, refusal=None)
