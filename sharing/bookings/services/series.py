"""Weekly series: the same local wall-clock time each week, each week booked on its own."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import Conflict, DomainError, RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.availability import TZ
from sharing.bookings.models import Booking, BookingSeries, Voucher
from sharing.bookings.services.bookings import booking_create
from sharing.catalogue.models import Instrument


def booking_series_create(
    *,
    requester: User,
    instrument: Instrument,
    first_start: datetime.datetime,
    first_end: datetime.datetime,
    weeks: int,
    purpose: str,
    sample_notes: str = "",
    voucher: Voucher | None = None,
    service_mode: str = Booking.ServiceMode.SELF_OPERATED,
    project_name: str = "",
    project=None,
    now: datetime.datetime | None = None,
) -> tuple[BookingSeries, list[tuple[datetime.date, Booking | dict]]]:
    """A weekly series: the same local wall-clock time each week, each occurrence booked (and
    committed, or refused) on its own, so one taken week does not sink the others."""
    if not 1 <= weeks <= 52:
        raise RuleBroken(_("周数应在 1 到 52 之间。"), rule="series_weeks")
    project_name = project_name.strip()
    require(rules.service_fields_refusal(service_mode=service_mode, project_name=project_name))
    # Every week's times before anything is written: arithmetic that fails (a week past what
    # Python can hold) fails with nothing stored.
    occurrences = _weekly(first_start, first_end, weeks)
    with transaction.atomic():
        series = BookingSeries.objects.create(
            instrument=instrument, requester=requester, weeks=weeks
        )
    results = []
    refusals: list[DomainError] = []
    try:
        for start, end in occurrences:
            try:
                booking = booking_create(
                    requester=requester,
                    instrument=instrument,
                    start=start,
                    end=end,
                    purpose=purpose,
                    sample_notes=sample_notes,
                    voucher=voucher,
                    series=series,
                    service_mode=service_mode,
                    project_name=project_name,
                    project=project,
                    now=now,
                )
            except (RuleBroken, Conflict) as exc:
                refusals.append(exc)
                error = {"code": exc.code, "rule": exc.rule, "message": exc.message}
                results.append((start.date(), error))
            else:
                results.append((start.date(), booking))
    except BaseException:
        # Whatever escapes half-way, a series with no booking in it is not left behind.
        if len(refusals) == len(results):
            BookingSeries.objects.filter(pk=series.pk).delete()
        raise
    if len(refusals) == weeks:
        # Not one week booked: keep no empty series, and answer with the first week's reason.
        BookingSeries.objects.filter(pk=series.pk).delete()
        raise refusals[0]
    return series, results


def _weekly(
    first_start: datetime.datetime, first_end: datetime.datetime, weeks: int
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The same local wall-clock times each week: in Asia/Shanghai "every Tuesday 09:00"
    stays 09:00."""
    local_start, local_end = first_start.astimezone(TZ), first_end.astimezone(TZ)
    occurrences = []
    for week in range(weeks):
        shift = datetime.timedelta(weeks=week)
        start = datetime.datetime.combine(
            local_start.date() + shift, local_start.timetz().replace(tzinfo=None), tzinfo=TZ
        )
        end = datetime.datetime.combine(
            local_end.date() + shift, local_end.timetz().replace(tzinfo=None), tzinfo=TZ
        )
        occurrences.append((start, end))
    return occurrences
