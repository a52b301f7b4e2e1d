"""What a booking costs: the rate for the requester's category, the estimate and the charge.

A rate the instrument does not state (NULL) is not an error: many records come from the
national feed with only the free-text 参考收费标准, and refusing the booking would make those
instruments unbookable. Such a quote is 0 with ``priced=False``; the page shows the reference
fee text and the money is settled outside the portal. An explicit rate of 0 is free use
(``priced=True``). A voucher covers a share of the estimate, so it covers nothing on an
unpriced booking.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, User
from portal.errors import RuleBroken
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
    # False when the instrument states no rate for this category (see the module docstring).
    priced: bool = True


def rate_category(*, instrument: Instrument, requester: User) -> tuple[str, bool]:
    """(category, cross_region). The same organisation pays the internal rate; a firm pays the
    firm rate; otherwise the same region or the other region. Cross-region is decided by the
    requester's organisation's region against the instrument's region (身份互认: the same
    account books in both).

    A requester without an organisation pays the other-region (outside) rate, the highest
    public one, but is not counted as cross-region: nothing says which region they come from.
    """
    org = requester.organisation
    if org is None:
        return Booking.RateCategory.OTHER_REGION, False
    cross_region = org.region_id != instrument.region_id
    if org.pk == instrument.organisation_id:
        # An organisation's own instrument in another region (a branch campus) is still
        # internal use, but the hours are cross-region in the indicators.
        return Booking.RateCategory.INTERNAL, cross_region
    if org.kind == Organisation.Kind.FIRM:
        return Booking.RateCategory.FIRM, cross_region
    if cross_region:
        return Booking.RateCategory.OTHER_REGION, True
    return Booking.RateCategory.SAME_REGION, False


def hours_between(start: datetime, end: datetime) -> Decimal:
    """Exact hours, from the timedelta's integer parts (no float on the way)."""
    delta: timedelta = end - start
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micros) / Decimal(3_600_000_000)


def money(value: Decimal) -> Decimal:
    """Rounded to the cent, half up, as a cashier does."""
    return value.quantize(CENT, ROUND_HALF_UP)


def quote(*, instrument: Instrument, requester: User, start: datetime, end: datetime) -> Quote:
    if end <= start:
        raise RuleBroken(_("结束时间须晚于开始时间。"), rule="period_order")
    category, cross_region = rate_category(instrument=instrument, requester=requester)
    stated = getattr(instrument, RATE_FIELD[category])
    rate = stated if stated is not None else Decimal(0)
    amount = money(rate * hours_between(start, end))
    return Quote(category, cross_region, rate, amount, priced=stated is not None)


def charge_for(*, booking: Booking) -> Decimal:
    """The final charge: the hours actually used (check-in to check-out), never less than the
    booked time, at the rate fixed when the booking was made. Without both times recorded the
    booked time is charged."""
    booked = hours_between(booking.start, booking.end)
    if booking.checked_in_at and booking.checked_out_at:
        used = hours_between(booking.checked_in_at, booking.checked_out_at)
        hours = max(used, booked)
    else:
        hours = booked
    return money(booking.hourly_rate * hours)
