"""Pricing of sample-testing orders: per sample, per item, the minimum charge, the urgent
surcharge, rounding to the fen."""

from decimal import Decimal

import pytest

from sharing.bookings.models import TestItem
from sharing.bookings.orders.pricing import estimate, line_amount
from tests.orders import firm_person, item, order_for, priced_instrument

pytestmark = pytest.mark.django_db


def _item(**fields):
    return TestItem(
        name="x",
        unit=fields.pop("unit", TestItem.Unit.PER_SAMPLE),
        price=Decimal(fields.pop("price", "80.00")),
        minimum_charge=Decimal(fields.pop("minimum_charge", "0")),
        urgent_surcharge_percent=Decimal(fields.pop("urgent", "0")),
    )


def test_it_charges_per_sample_times_the_samples():
    assert line_amount(item=_item(), quantity=5, urgent=False) == Decimal("400.00")


def test_it_charges_per_item_times_the_items():
    per_item = _item(unit=TestItem.Unit.PER_ITEM, price="300.00")
    assert line_amount(item=per_item, quantity=2, urgent=False) == Decimal("600.00")


def test_it_charges_at_least_the_minimum():
    assert line_amount(item=_item(minimum_charge="200"), quantity=1, urgent=False) == Decimal(
        "200.00"
    )


def test_it_adds_the_urgent_surcharge_after_the_minimum():
    urgent = _item(minimum_charge="200", urgent="50")
    assert line_amount(item=urgent, quantity=1, urgent=True) == Decimal("300.00")
    assert line_amount(item=urgent, quantity=1, urgent=False) == Decimal("200.00")


def test_it_rounds_each_line_to_the_fen_half_up():
    odd = _item(price="33.33", urgent="12.5")
    # 33.33 × 1.125 = 37.49625 → 37.50
    assert line_amount(item=odd, quantity=1, urgent=True) == Decimal("37.50")


def test_the_estimate_is_the_sum_of_the_lines():
    total, lines = estimate(
        lines=[(_item(price="10.005"), 1), (_item(price="0.004"), 1)], urgent=False
    )
    assert [line.amount for line in lines] == [Decimal("10.01"), Decimal("0.00")]
    assert total == Decimal("10.01")


def test_an_order_keeps_its_estimate_and_prices_as_ordered():
    instrument = priced_instrument()
    order = order_for(firm_person(), instrument, urgent=True, quantity=3)
    # 80 × 3 = 240 (above the minimum 200), + 50 % = 360
    assert order.estimate == Decimal("360.00")
    line = order.items.get()
    assert (line.unit_price, line.amount, line.unit) == (
        Decimal("80.00"),
        Decimal("360.00"),
        TestItem.Unit.PER_SAMPLE,
    )
    item(instrument, "物相分析").__class__.objects.filter(instrument=instrument).update(
        price=Decimal("1")
    )
    order.refresh_from_db()
    assert order.estimate == Decimal("360.00")
