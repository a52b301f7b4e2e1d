"""The voucher part of a sample-testing order: the one place where the voucher ledger is
reserved (when the order is submitted), redeemed (when it is completed: the report issued) and
released (when it is cancelled).

Not wired yet: the voucher ledger is being reworked (reservation at request, redemption at
completion, release on cancel). Until then each step leaves ``order.voucher_part`` at 0 and the
services call them at the right moments, under the order's row lock, so wiring the ledger is a
change to this module only. The database keeps 0 ≤ voucher_part ≤ fee
(sampleorder_voucher_within_fee).
"""

from decimal import Decimal

from sharing.bookings.models import SampleOrder


def order_voucher_reserve(*, order: SampleOrder) -> Decimal:
    """At submission: reserve the voucher part of the estimate. Answers the amount reserved."""
    return Decimal("0.00")


def order_voucher_redeem(*, order: SampleOrder) -> Decimal:
    """At completion (the report issued): redeem on the final fee; sets order.voucher_part."""
    return order.voucher_part


def order_voucher_release(*, order: SampleOrder) -> Decimal:
    """At cancellation: give back what was reserved. Answers the amount released."""
    return Decimal("0.00")
