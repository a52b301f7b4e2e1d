"""The usage log of an instrument (使用记录): who used it, when (booked and real), for how long,
what it cost and what a voucher paid, and which sessions beat closed because nobody checked out.

Read by the console's API, its page and its CSV/XLSX export alike (one list of columns). Only
an instrument's managers and administrators read it (rules.may_manage_instrument), and they are
entitled to its users' names; ``reveal=False`` masks them for any other reader (portal.privacy).
The headers are Chinese in every language, as the other data exports' are.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from portal import spreadsheets
from portal.privacy import mask_name
from sharing.bookings.models import Booking, VoucherEntry
from sharing.catalogue.models import Instrument

TZ = ZoneInfo(settings.TIME_ZONE)
USED = (Booking.Status.COMPLETED, Booking.Status.CHECKED_IN)
EXPORT_MAX_ROWS = 100_000
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


def usage_log(*, instrument: Instrument) -> QuerySet[Booking]:
    """Sessions of the instrument that were used (completed, or checked in now), newest first,
    each with ``voucher_paid``: what vouchers paid (the redemption on the final charge, 元)."""
    return (
        Booking.objects.filter(instrument=instrument, status__in=USED)
        .select_related("requester__organisation")
        .annotate(
            voucher_paid=Coalesce(
                Sum(
                    "voucher_entries__amount",
                    filter=Q(voucher_entries__kind=VoucherEntry.Kind.REDEMPTION),
                ),
                ZERO,
            )
        )
        .order_by("-period__startswith", "-pk")
    )


def real_minutes(booking: Booking) -> int | None:
    """Minutes from check-in to check-out (None while the session is open or never was)."""
    if booking.checked_in_at is None or booking.checked_out_at is None:
        return None
    return int((booking.checked_out_at - booking.checked_in_at).total_seconds() // 60)


def person_name(booking: Booking, *, reveal: bool) -> str:
    user = booking.requester
    name = user.get_full_name() or user.username
    return name if reveal else mask_name(name)


def _local(moment: datetime.datetime | None) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


@dataclass(frozen=True)
class Entry:
    """One row of the log as plain values, for the API and the page."""

    booking: int
    person_id: int
    person: str
    organisation: str
    status: str
    booked_start: datetime.datetime
    booked_end: datetime.datetime
    checked_in_at: datetime.datetime | None
    checked_out_at: datetime.datetime | None
    minutes: int | None
    charge: Decimal | None
    voucher_paid: Decimal
    checkout_forgotten: bool
    walk_up: bool


def entry(booking: Booking, *, reveal: bool) -> Entry:
    organisation = booking.requester.organisation
    return Entry(
        booking=booking.pk,
        person_id=booking.requester_id,
        person=person_name(booking, reveal=reveal),
        organisation=organisation.name if organisation else "",
        status=booking.status,
        booked_start=booking.start,
        booked_end=booking.end,
        checked_in_at=booking.checked_in_at,
        checked_out_at=booking.checked_out_at,
        minutes=real_minutes(booking),
        charge=booking.charge,
        voucher_paid=booking.voucher_paid,
        checkout_forgotten=booking.checkout_forgotten,
        walk_up=booking.walk_up,
    )


Column = tuple[str, Callable[[Entry], object]]

COLUMNS: list[Column] = [
    ("预约编号", lambda e: e.booking),
    ("使用人", lambda e: e.person),
    ("单位", lambda e: e.organisation),
    ("状态", lambda e: str(Booking.Status(e.status).label)),
    ("预约开始", lambda e: _local(e.booked_start)),
    ("预约结束", lambda e: _local(e.booked_end)),
    ("上机时间", lambda e: _local(e.checked_in_at)),
    ("下机时间", lambda e: _local(e.checked_out_at)),
    ("实际机时（分钟）", lambda e: e.minutes),
    ("实际费用（元）", lambda e: e.charge),
    ("创新券抵扣（元）", lambda e: e.voucher_paid),
    ("未签退", lambda e: "是" if e.checkout_forgotten else "否"),
    ("现场上机", lambda e: "是" if e.walk_up else "否"),
]
HEADERS = [header for header, _get in COLUMNS]


def _rows(qs: QuerySet[Booking], *, reveal: bool, limit: int) -> Iterator[list]:
    yield list(HEADERS)
    for booking in qs[:limit].iterator(chunk_size=500):
        row = entry(booking, reveal=reveal)
        yield [get(row) for _header, get in COLUMNS]


def usage_csv(*, instrument: Instrument, reveal: bool, limit: int = EXPORT_MAX_ROWS):
    """UTF-8 with a BOM, every cell guarded against formulas (portal.spreadsheets)."""
    rows = _rows(usage_log(instrument=instrument), reveal=reveal, limit=limit)
    return spreadsheets.csv_stream(rows)


def usage_xlsx(*, instrument: Instrument, reveal: bool, limit: int = EXPORT_MAX_ROWS):
    rows = _rows(usage_log(instrument=instrument), reveal=reveal, limit=limit)
    return spreadsheets.xlsx_file(rows, sheet="usage")
