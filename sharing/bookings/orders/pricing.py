"""The estimate of a sample-testing order from the instrument's price list.

Each item: unit price × quantity (samples for 元/样, items for 元/项), at least the item's
minimum charge, then the urgent surcharge (a percentage) when the order is urgent; each line is
rounded to the fen (0.01 元, half up) and the estimate is the sum of the lines.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sharing.bookings.models import TestItem

FEN = Decimal("0.01")
HUNDRED = Decimal(100)


def to_fen(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(FEN, ROUND_HALF_UP)


@dataclass(frozen=True)
class PricedLine:
    item: TestItem
    quantity: int
    amount: Decimal


def line_amount(*, item: TestItem, quantity: int, urgent: bool) -> Decimal:
    base = max(Decimal(item.price) * quantity, Decimal(item.minimum_charge))
    if urgent and item.urgent_surcharge_percent:
        base += base * Decimal(item.urgent_surcharge_percent) / HUNDRED
    return to_fen(base)


def estimate(
    *, lines: list[tuple[TestItem, int]], urgent: bool
) -> tuple[Decimal, list[PricedLine]]:
    priced = [
        PricedLine(
            item=item, quantity=qty, amount=line_amount(item=item, quantity=qty, urgent=urgent)
        )
        for item, qty in lines
    ]
    return to_fen(sum((p.amount for p in priced), Decimal(0))), priced
