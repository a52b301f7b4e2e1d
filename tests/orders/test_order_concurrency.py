"""Real threads, each with its own connection, pressing the same button on one order: the row
lock lets one win; the others get 409 and the history has the step once."""

import pytest

from portal.errors import Conflict
from sharing.bookings.models import SampleOrder
from sharing.bookings.orders import services
from tests.bookings.test_booking_concurrency import race
from tests.orders import advance, firm_person, manager_person, order_for, priced_instrument

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_eight_accepts_at_once_accept_once_and_the_rest_get_409():
    manager = manager_person()
    customer = firm_person()
    order = advance(
        order_for(customer, priced_instrument(managers=[manager])),
        "quoted",
        manager=manager,
        customer=customer,
    )
    outcomes = race(
        lambda: services.order_accept(order=SampleOrder.objects.get(pk=order.pk), by=customer),
        [()] * THREADS,
    )
    assert sum(isinstance(o, SampleOrder) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == THREADS - 1
    assert order.transitions.filter(to_status="accepted").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_a_receive_leaves_one_consistent_outcome():
    manager = manager_person()
    customer = firm_person()
    order = advance(
        order_for(customer, priced_instrument(managers=[manager])),
        "accepted",
        manager=manager,
        customer=customer,
    )
    outcomes = race(
        lambda action: action(),
        [
            (lambda: services.order_receive(order=order, by=manager),),
            (lambda: services.order_cancel(order=order, by=manager, reason="并发测试"),),
        ],
    )
    assert any(isinstance(o, SampleOrder) for o in outcomes)
    order.refresh_from_db()
    assert order.status in {"received", "cancelled"}
    # Each press that succeeded wrote its one step: none lost, none doubled.
    succeeded = sum(isinstance(o, SampleOrder) for o in outcomes)
    assert order.transitions.count() == 3 + succeeded
