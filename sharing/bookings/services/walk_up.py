"""Walk-up use at the instrument's kiosk (现场上机): a booking that starts now, checked in.

Whether a use may start, and for how long, is kiosk.walk_up's decision (the policy allows it,
the person may use the instrument, it is free now, every rule of a booking but the notice);
the last word on a race, two people pressing at once, is the exclusion constraint's:
Conflict(rule="slot_taken"), nothing written.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import RuleBroken, require
from sharing.bookings import fees, kiosk, times
from sharing.bookings.availability import policy_for
from sharing.bookings.models import Booking, BookingTransition
from sharing.bookings.services.bookings import slot_taken
from sharing.catalogue.models import Instrument

# What the service record says the use was for (stored data: Chinese, as typed by people).
PURPOSE = "现场上机"


@transaction.atomic
def booking_walk_up(
    *,
    user: User,
    instrument: Instrument,
    minutes: int,
    now: datetime.datetime | None = None,
) -> Booking:
    """A use of ``minutes`` from now, checked in at once, at the person's rate category;
    self-operated (自主上机) in the service record."""
    now = now or timezone.now()
    policy = policy_for(instrument)
    if policy.weekly_quota_minutes is not None:
        # As booking_create: one person's uses one after another under the quota.
        User.objects.select_for_update().filter(pk=user.pk).first()
    offer = kiosk.walk_up(user=user, instrument=instrument, now=now)
    require(offer.refusal)
    if minutes not in offer.lengths:
        choices = "、".join(str(m) for m in offer.lengths)
        raise RuleBroken(
            _("使用时长须为以下之一（分钟）：%(choices)s。") % {"choices": choices},
            rule="walk_up_length",
            fields={"minutes": [_("无效的使用时长。")]},
        )
    start = offer.start
    end = start + datetime.timedelta(minutes=minutes)
    require(
        times.may_book(
            user=user, instrument=instrument, start=start, end=end, now=now, walk_up=True
        )
    )
    quote = fees.quote(instrument=instrument, requester=user, start=start, end=end)
    booking = Booking(
        instrument=instrument,
        requester=user,
        period=DateTimeTZRange(start, end, "[)"),
        blocked=DateTimeTZRange(
            start, end + datetime.timedelta(minutes=policy.buffer_minutes), "[)"
        ),
        status=Booking.Status.CHECKED_IN,
        purpose=PURPOSE,
        service_mode=Booking.ServiceMode.SELF_OPERATED,
        walk_up=True,
        cross_region=quote.cross_region,
        rate_category=quote.rate_category,
        hourly_rate=quote.hourly_rate,
        fee_estimate=quote.amount,
        checked_in_at=max(now, start),
    )
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if isinstance(exc.__cause__, pg_errors.ExclusionViolation):
            raise slot_taken() from exc
        raise
    reason = _("现场上机")
    BookingTransition.objects.create(
        booking=booking, from_status="", to_status=booking.status, by=user, reason=reason
    )
    audit_record(
        actor=user,
        action=f"booking.{booking.status}",
        target=booking,
        changes={"status": ["", booking.status], "walk_up": True, "reason": reason},
    )
    return booking
