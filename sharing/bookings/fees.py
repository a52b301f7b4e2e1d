"""What a booking costs: the rate for the requester's category, the estimate and the charge."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from portal.accounts.models import Organisation, User
from sharing.bookings.models import Booking
from sharing.catalogue.models import Instrument

CENT = Decimal("0.01")
RATE_FIELD = {
    Booking.RateCategory.INTERNAL: "rate_internal",
    Booking.RateCategory.SAME_REGION: "rate_same_region",
    Booking.RateCategory.OTHER_REGION: "rate_other_region",
    Booking.RateCategory.FIRM: "rate_firm",
}


@dataclass(frozen=True)
class Quote:
    rate_category: str
    cross_region: bool
    hourly_rate: Decimal
    amount: Decimal


def rate_category(*, instrument: Instrument, requester: User) -> tuple[str, bool]:
    """(category, cross_region). The same organisation pays the internal rate; a firm pays the
    firm rate; otherwise the same region or the other region. Cross-region is decided by the
    requester's organisation's region against the instrument's region (身份互认: the same
    account books in both)."""
    org = requester.organisation
    cross_region = bool(org and org.region_id != instrument.region_id)
    if org and org.pk == instrument.organisation_id:
        return Booking.RateCategory.INTERNAL, False
    if org and org.kind == Organisation.Kind.FIRM:
        return Booking.RateCategory.FIRM, cross_region
    if org is None or cross_region:
        return Booking.RateCategory.OTHER_REGION, cross_region or org is None
    return Booking.RateCategory.SAME_REGION, False


def hours_between(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / Decimal(3600)


def quote(*, instrument: Instrument, requester: User, start: datetime, end: datetime) -> Quote:
    category, cross_region = rate_category(instrument=instrument, requester=requester)
    rate = getattr(instrument, RATE_FIELD[category]) or Decimal(0)
    amount = (rate * hours_between(start, end)).quantize(CENT, ROUND_HALF_UP)
    return Quote(category, cross_region, rate, amount)


def charge_for(*, booking: Booking) -> Decimal:
    """The final charge: the hours actually used (check-in to check-out), never less than the
    booked time, at the rate fixed when the booking was made."""
    used_start = min(booking.checked_in_at or booking.start, booking.start)
    used_end = max(booking.checked_out_at or booking.end, booking.end)
    hours = hours_between(max(used_start, booking.start), used_end)
    return (booking.hourly_rate * hours).quantize(CENT, ROUND_HALF_UP)
