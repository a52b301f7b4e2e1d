"""The voucher part of a sample-testing order: the one place where the voucher ledger is
reserved (when the order is submitted), redeemed (when it is completed: the report issued) and
released (when it is cancelled).

The services call these under the order's row lock; the steps are the booking's
(sharing/bookings/vouchers/ledger.py), with the order in the entries instead of a booking. The
voucher is the one chosen at submission (``order.voucher``): it must be the customer's
organisation's, accepted in the instrument's region and valid on the order's date; it covers at
most VOUCHER_MAX_SHARE of the estimate, then of the final fee. The database keeps
0 ≤ voucher_part ≤ fee (sampleorder_voucher_within_fee).
"""

from decimal import Decimal

from sharing.bookings.models import SampleOrder
from sharing.bookings.vouchers.ledger import (
    china_date,
    ledger_redeem,
    ledger_release,
    ledger_reserve,
)

ZERO = Decimal("0.00")


def order_voucher_reserve(*, order: SampleOrder) -> Decimal:
    """At submission: reserve the voucher part of the estimate. Answers the amount reserved."""
    if order.voucher_id is None:
        return ZERO
    entry = ledger_reserve(
        voucher=order.voucher,
        service=order,
        organisation_id=order.organisation_id,
        region_id=order.instrument.region_id,
        day=china_date(order.created_at),
        fee=order.estimate,
        by=order.customer,
    )
    return entry.amount


def order_voucher_redeem(*, order: SampleOrder) -> Decimal:
    """At completion (the report issued): redeem on the final fee, release the rest; sets
    order.voucher_part (the caller saves it)."""
    if order.voucher_id is None:
        return order.voucher_part
    entry = ledger_redeem(service=order, charge=order.fee, by=None)
    order.voucher_part = entry.amount if entry is not None else ZERO
    return order.voucher_part


def order_voucher_release(*, order: SampleOrder) -> Decimal:
    """At cancellation: give back what was reserved. Answers the amount released."""
    if order.voucher_id is None:
        return ZERO
    entry = ledger_release(service=order, by=None)
    return entry.amount if entry is not None else ZERO
