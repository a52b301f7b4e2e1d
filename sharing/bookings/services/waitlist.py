"""The waitlist: wait for taken time, and hear once when time overlapping it is freed."""

import datetime

from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import RuleBroken, require
from sharing.bookings import times
from sharing.bookings.models import Booking, WaitlistEntry
from sharing.bookings.notifications import waitlist_notify
from sharing.catalogue.models import Instrument


@transaction.atomic
def waitlist_join(
    *,
    user: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> WaitlistEntry:
    """Wait for time that a live booking holds now; joining twice returns the same entry."""
    now = now or timezone.now()
    require(times.may_wait_for(user=user, instrument=instrument, start=start, end=end, now=now))
    taken = Booking.objects.filter(
        instrument=instrument, status__in=Booking.LIVE, blocked__overlap=(start, end)
    ).exists()
    if not taken:
        raise RuleBroken(_("该时段未被占用，可直接预约。"), rule="slot_free")
    entry, _created = WaitlistEntry.objects.get_or_create(
        instrument=instrument, user=user, period=DateTimeTZRange(start, end, "[)")
    )
    return entry


def waitlist_tell(booking: Booking) -> int:
    """Everyone waiting for time that overlaps the freed period hears once."""
    entries = (
        WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("user", "instrument")
        .filter(
            instrument_id=booking.instrument_id,
            notified_at__isnull=True,
            period__overlap=booking.period,
        )
    )
    told = 0
    now = timezone.now()
    for entry in entries:
        # The one builder of the text, which flattens what managers typed (the name).
        waitlist_notify(entry=entry, extra=f"w{entry.pk}")
        entry.notified_at = now
        entry.save(update_fields=["notified_at"])
        told += 1
    return told
