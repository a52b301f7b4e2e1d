"""Closures of an instrument (停用, 维护, 故障停机) and what they do to the bookings under them.

A closure is a Blackout: availability and the booking rules already keep every new booking out
of it. What a new closure does to the live bookings it overlaps:

- requested and approved bookings are cancelled, any voucher amount refunded, and their
  requesters told, with the nearest free times of the same length after the closure;
- a session already checked in is told, not cancelled. It is a person at the instrument whose
  use is real and is charged from check-in to check-out; "cancelled" would erase that record
  (and its charge, service record and indicators) and is no end a session can have. They, or
  the manager, check out as usual when the instrument has to stop.

The refund is voucher_refund, the one release() makes; release() itself is not called because
it would also tell the waitlist that the time is free, and under a closure it is not.

Closures of one instrument never overlap one another, except a breakdown: an instrument may
break during planned maintenance. Creating one locks the instrument's row, so two managers
cannot both add overlapping closures at once. All of it is one transaction: a refusal writes
nothing.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import Conflict, RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.availability import availability
from sharing.bookings.models import Blackout, Booking
from sharing.bookings.notifications import booking_notify_closed
from sharing.bookings.services.bookings import record_transition
from sharing.bookings.vouchers.ledger import voucher_refund
from sharing.catalogue.models import Instrument

# A closure "from now" typed a minute ago still starts now; before that it is in the past.
PAST_TOLERANCE = datetime.timedelta(minutes=5)
MAX_DAYS = 366
OFFERS = 3
OFFER_SEARCH_DAYS = 28
MANAGED_KINDS = (Blackout.Kind.BLACKOUT, Blackout.Kind.MAINTENANCE)

Interval = tuple[datetime.datetime, datetime.datetime]


@dataclass
class Affected:
    """A live booking under a closure and what the closure does (or would do) to it."""

    booking: Booking
    cancelled: bool  # False: a session under way, told and left running
    offers: list[Interval] = field(default_factory=list)

    @property
    def action(self) -> str:
        return "cancelled" if self.cancelled else "told"

    @property
    def offer_periods(self) -> list[dict]:
        return [{"start": start, "end": end} for start, end in self.offers]


def _affected(instrument: Instrument, start, end, *, lock: bool = False):
    qs = Booking.objects.filter(
        instrument=instrument, status__in=Booking.LIVE, period__overlap=(start, end)
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("requester__organisation", "instrument").order_by("period", "pk")


def _check(
    *,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    kind: str,
    now: datetime.datetime,
) -> None:
    if end <= start:
        message = _("结束时间须晚于开始时间。")
        raise RuleBroken(message, rule="closure_order", fields={"end": [message]})
    if start < now - PAST_TOLERANCE:
        message = _("停用时段不能从过去开始。")
        raise RuleBroken(message, rule="closure_in_past", fields={"start": [message]})
    if end - start > datetime.timedelta(days=MAX_DAYS):
        message = _("停用时段不能超过 %(days)d 天。") % {"days": MAX_DAYS}
        raise RuleBroken(message, rule="closure_too_long", fields={"end": [message]})
    if kind != Blackout.Kind.BREAKDOWN:
        clash = (
            Blackout.objects.filter(instrument=instrument, period__overlap=(start, end))
            .order_by("period")
            .first()
        )
        if clash is not None:
            raise Conflict(
                _("与已有的停用时段（%(start)s–%(end)s）重叠。")
                % {
                    "start": timezone.localtime(clash.period.lower).strftime("%Y-%m-%d %H:%M"),
                    "end": timezone.localtime(clash.period.upper).strftime("%Y-%m-%d %H:%M"),
                },
                rule="closure_overlap",
            )


def nearest_free(
    *, instrument: Instrument, minutes: int, after: datetime.datetime, now: datetime.datetime
) -> list[Interval]:
    """The first OFFERS free periods of ``minutes`` after ``after``, as availability shows them
    (opening hours, holidays, closures, bookings with buffer, notice and horizon)."""
    length = datetime.timedelta(minutes=minutes)
    free = availability(
        instrument=instrument,
        start=after,
        end=after + datetime.timedelta(days=OFFER_SEARCH_DAYS),
        now=now,
    )
    offers: list[Interval] = []
    for lo, hi in free:
        while lo + length <= hi and len(offers) < OFFERS:
            offers.append((lo, lo + length))
            lo += length
        if len(offers) >= OFFERS:
            break
    return offers


def closure_preview(
    *,
    instrument: Instrument,
    by: User,
    start: datetime.datetime,
    end: datetime.datetime,
    kind: str = Blackout.Kind.BLACKOUT,
    now: datetime.datetime | None = None,
) -> list[Affected]:
    """What closure_create would do, saving nothing: the same checks, the bookings it would
    cancel and the sessions it would only tell."""
    now = now or timezone.now()
    require(rules.may_manage_instrument(user=by, instrument=instrument))
    _check_kind(kind)
    _check(instrument=instrument, start=start, end=end, kind=kind, now=now)
    return [
        Affected(booking=b, cancelled=b.status != Booking.Status.CHECKED_IN)
        for b in _affected(instrument, start, end)
    ]


def _check_kind(kind: str) -> None:
    if kind not in MANAGED_KINDS:
        message = _("停用类型只能是“停用”或“维护”；故障停机由问题报告产生。")
        raise RuleBroken(message, rule="closure_kind", fields={"kind": [message]})


@transaction.atomic
def closure_create(
    *,
    instrument: Instrument,
    by: User,
    start: datetime.datetime,
    end: datetime.datetime,
    kind: str,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> tuple[Blackout, list[Affected]]:
    """A closure (停用 or 维护) by a manager of the instrument, and what it did to each live
    booking it overlaps."""
    now = now or timezone.now()
    require(rules.may_manage_instrument(user=by, instrument=instrument))
    _check_kind(kind)
    return closure_open(
        instrument=instrument, by=by, start=start, end=end, kind=kind, reason=reason, now=now
    )


def closure_open(
    *,
    instrument: Instrument,
    by: User | None,
    start: datetime.datetime,
    end: datetime.datetime,
    kind: str,
    reason: str,
    now: datetime.datetime,
) -> tuple[Blackout, list[Affected]]:
    """The closure code itself, for closure_create and for a problem that takes the
    instrument down; the caller has decided who may, and holds the transaction."""
    Instrument.objects.select_for_update().filter(pk=instrument.pk).first()
    _check(instrument=instrument, start=start, end=end, kind=kind, now=now)
    closure = Blackout.objects.create(
        instrument=instrument,
        period=DateTimeTZRange(start, end, "[)"),
        kind=kind,
        reason=reason[:200],
        created_by=by,
    )
    affected = [
        Affected(booking=b, cancelled=b.status != Booking.Status.CHECKED_IN)
        for b in _affected(instrument, start, end, lock=True)
    ]
    why = _("仪器%(kind)s：%(reason)s") % {
        "kind": closure.get_kind_display(),
        "reason": reason or "—",
    }
    # A breakdown cancels in the portal's name: the booking's history does not name the person
    # who reported the problem to the other people it affected.
    canceller = None if kind == Blackout.Kind.BREAKDOWN else by
    for item in affected:
        if item.cancelled:
            record_transition(item.booking, to=Booking.Status.CANCELLED, by=canceller, reason=why)
            voucher_refund(booking=item.booking)
    for item in affected:
        if item.cancelled:
            item.offers = nearest_free(
                instrument=instrument,
                minutes=int((item.booking.end - item.booking.start).total_seconds() // 60),
                after=end,
                now=now,
            )
        booking_notify_closed(
            booking=item.booking, reason=why, cancelled=item.cancelled, offers=item.offers
        )
    audit_record(
        actor=by,
        action="closure.created",
        target=closure,
        changes={
            "instrument": instrument.pk,
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": reason[:200],
            "cancelled": [i.booking.pk for i in affected if i.cancelled],
            "told": [i.booking.pk for i in affected if not i.cancelled],
        },
    )
    return closure, affected


@transaction.atomic
def closure_delete(
    *, closure: Blackout, by: User, now: datetime.datetime | None = None
) -> Blackout | None:
    """A manager takes back a closure: one still to come is removed (None is returned); one
    under way ends now (the closure, shortened, is returned). A past closure stays as the
    record it is, and a breakdown ends when its problem is resolved. Bookings cancelled by
    the closure stay cancelled: their people have been told and may book again."""
    now = now or timezone.now()
    closure = Blackout.objects.select_for_update().select_related("instrument").get(pk=closure.pk)
    require(rules.may_manage_instrument(user=by, instrument=closure.instrument))
    if closure.kind == Blackout.Kind.BREAKDOWN:
        raise Conflict(
            _("故障停机在问题处理完毕（标记为已解决）时结束，不能直接删除。"),
            rule="closure_is_breakdown",
        )
    start, end = closure.period.lower, closure.period.upper
    if end <= now:
        raise Conflict(_("已结束的停用时段不能删除。"), rule="closure_over")
    changes = {"instrument": closure.instrument_id, "start": start.isoformat()}
    if start > now:
        audit_record(
            actor=by, action="closure.deleted", target=closure, changes=changes | {"end": ""}
        )
        closure.delete()
        return None
    return closure_end(closure=closure, by=by, now=now)


def closure_end(*, closure: Blackout, by: User | None, now: datetime.datetime) -> Blackout:
    """End a closure under way at ``now`` (ending early; a breakdown when it is repaired)."""
    start, end = closure.period.lower, closure.period.upper
    if end <= now:
        return closure
    if start >= now:
        # Not begun yet: nothing of it remains.
        audit_record(actor=by, action="closure.deleted", target=closure, changes={})
        closure.delete()
        return closure
    closure.period = DateTimeTZRange(start, now, "[)")
    closure.save(update_fields=["period"])
    audit_record(
        actor=by,
        action="closure.ended",
        target=closure,
        changes={"end": [end.isoformat(), now.isoformat()]},
    )
    return closure
