"""Charging bookings and orders to a project, and the principal investigator's approval of a
charge above the organisation's threshold (equal to it does not wait)."""

from decimal import Decimal

import pytest

from portal.errors import Conflict, Forbidden, NotFound, RuleBroken
from sharing.bookings.models import Booking, ChargeApproval, SampleOrder, Voucher
from sharing.bookings.orders import services as order_services
from sharing.bookings.projects import services as project_services
from sharing.bookings.services import booking_approve, booking_create
from tests.orders import advance, order_for, priced_instrument
from tests.projects import People, slot, threshold, voucher_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return People()


def book(people, hours, *, requester=None, project=None, voucher=None, instrument=None):
    start, end = slot(hours)
    return booking_create(
        requester=requester or people.member,
        instrument=instrument or people.instrument,
        start=start,
        end=end,
        purpose="形貌观察",
        project=people.project if project is None else project,
        voucher=voucher,
    )


def test_a_booking_on_a_project_carries_its_name_for_the_service_record(people):
    booking = book(people, 2)
    assert booking.project == people.project and booking.project_name == "轻量化材料"
    assert not ChargeApproval.objects.exists()


def test_it_refuses_a_project_of_another_organisation(people):
    with pytest.raises(Forbidden) as refused:
        book(people, 2, requester=people.outsider)
    assert refused.value.rule == "project_not_yours"
    assert not Booking.objects.exists()


def test_it_refuses_an_inactive_project(people):
    people.project.active = False
    people.project.save()
    with pytest.raises(RuleBroken) as refused:
        book(people, 2)
    assert refused.value.rule == "project_inactive"


def test_a_charge_equal_to_the_threshold_does_not_wait(people):
    threshold(people.university, "300.00")
    booking = book(people, 2)  # 2 h × 150 元 = 300 元
    assert booking.fee_estimate == Decimal("300.00")
    assert not ChargeApproval.objects.exists()
    booking_approve(booking=booking, by=people.manager)


def test_a_charge_above_the_threshold_waits_for_the_investigator(people):
    threshold(people.university, "300.00")
    booking = book(people, 3)  # 450 元
    approval = ChargeApproval.objects.get(booking=booking)
    assert approval.status == "pending" and approval.amount == Decimal("450.00")
    assert approval.threshold == Decimal("300.00")
    with pytest.raises(Conflict) as refused:
        booking_approve(booking=booking, by=people.manager)
    assert refused.value.rule == "charge_awaits_investigator"
    assert people.pi.notifications.filter(kind="charge_waiting").count() == 1

    project_services.charge_approve(approval=approval, by=people.pi)
    approval.refresh_from_db()
    assert approval.status == "approved" and approval.decided_by == people.pi
    assert approval.decided_at is not None
    booking_approve(booking=booking, by=people.manager)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED


def test_the_investigators_own_charge_never_waits(people):
    threshold(people.university, "10.00")
    book(people, 3, requester=people.pi)
    assert not ChargeApproval.objects.exists()


def test_on_an_instrument_without_approval_the_booking_waits_then_is_approved(people):
    threshold(people.university, "100.00")
    people.instrument.approval_required = False
    people.instrument.save(update_fields=["approval_required"])
    booking = book(people, 2)
    assert booking.status == Booking.Status.REQUESTED
    project_services.charge_approve(approval=booking.charge_approval, by=people.pi)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED


def test_rejecting_rejects_the_booking_and_releases_the_voucher(people):
    threshold(people.university, "100.00")
    voucher = voucher_for(people)
    booking = book(people, 2, voucher=voucher)
    assert Voucher.objects.get(pk=voucher.pk).reserved > 0
    with pytest.raises(RuleBroken):
        project_services.charge_reject(approval=booking.charge_approval, by=people.pi, reason="")
    project_services.charge_reject(
        approval=booking.charge_approval, by=people.pi, reason="超出课题预算"
    )
    booking.refresh_from_db()
    voucher.refresh_from_db()
    assert booking.status == Booking.Status.REJECTED
    assert voucher.reserved == 0 and voucher.balance == voucher.amount
    approval = ChargeApproval.objects.get(booking=booking)
    assert approval.status == "rejected" and approval.reason == "超出课题预算"


def test_only_the_investigator_decides_once(people):
    threshold(people.university, "100.00")
    approval = book(people, 2).charge_approval
    with pytest.raises(Forbidden):
        project_services.charge_approve(approval=approval, by=people.member)
    with pytest.raises(NotFound):
        project_services.charge_approve(approval=approval, by=people.outsider)
    project_services.charge_approve(approval=approval, by=people.pi)
    with pytest.raises(Conflict):
        project_services.charge_approve(approval=approval, by=people.pi)


def test_an_accepted_order_above_the_threshold_waits_before_receiving(people):
    threshold(people.university, "200.00")
    instrument = priced_instrument(managers=[people.manager])
    order = order_services.order_create(
        customer=people.member,
        instrument=instrument,
        samples=[{"name": "粉末", "count": 3, "form": "powder"}],
        items=[(instrument.test_items.get(name="物相分析"), 3)],
        project=people.project,
    )
    assert order.project_name == "轻量化材料"
    order = advance(order, "accepted", manager=people.manager, customer=people.member)
    approval = ChargeApproval.objects.get(order=order)
    assert approval.amount == Decimal("240.00")
    with pytest.raises(Conflict):
        order_services.order_receive(order=order, by=people.manager)
    project_services.charge_reject(approval=approval, by=people.pi, reason="改用其他经费")
    order.refresh_from_db()
    assert order.status == SampleOrder.Status.CANCELLED
    assert order.cancel_reason == "改用其他经费"


def test_an_order_approved_by_the_investigator_proceeds(people):
    threshold(people.university, "200.00")
    instrument = priced_instrument(managers=[people.manager])
    order = order_for(people.member, instrument)
    order.project = people.project
    order.save(update_fields=["project"])
    order = advance(order, "accepted", manager=people.manager, customer=people.member)
    project_services.charge_approve(approval=order.charge_approval, by=people.pi)
    order = order_services.order_receive(order=order, by=people.manager)
    assert order.status == SampleOrder.Status.RECEIVED


def test_projects_are_kept_by_their_organisation(people):
    project = project_services.project_create(
        by=people.member,
        organisation=people.university,
        name="自己的课题",
        number="KT-2",
        funding_source="own",
        investigator=people.member,
    )
    assert project.investigator == people.member
    with pytest.raises(Forbidden):
        project_services.project_create(
            by=people.member,
            organisation=people.university,
            name="他人的课题",
            number="KT-3",
            funding_source="own",
            investigator=people.pi,
        )
    with pytest.raises(Conflict):
        project_services.project_create(
            by=people.orgadmin,
            organisation=people.university,
            name="重复",
            number="KT-2",
            funding_source="own",
            investigator=people.pi,
        )
    with pytest.raises(RuleBroken):
        project_services.project_create(
            by=people.orgadmin,
            organisation=people.university,
            name="外单位负责人",
            number="KT-4",
            funding_source="own",
            investigator=people.outsider,
        )
    project_services.project_update(by=people.orgadmin, project=project, active=False)
    project.refresh_from_db()
    assert not project.active
    with pytest.raises(Forbidden):
        project_services.threshold_set(by=people.member, organisation=people.university, amount=1)
    project_services.threshold_set(
        by=people.orgadmin, organisation=people.university, amount=Decimal("500")
    )


def test_a_request_waiting_for_its_investigator_does_not_expire_until_its_start(people, settings):
    import datetime

    from sharing.bookings.services import sweep_expired_requests

    settings.BOOKING_REQUEST_EXPIRY_MINUTES = 60
    threshold(people.university, "300.00")
    waiting = book(people, 3)  # 450 元: waits for the investigator
    later = waiting.created_at + datetime.timedelta(minutes=61)
    assert sweep_expired_requests(now=later) == 0

    approval = ChargeApproval.objects.get(booking=waiting)
    project_services.charge_approve(approval=approval, by=people.pi)
    approval.refresh_from_db()
    # The manager's hour starts at the investigator's approval, not at the request.
    assert sweep_expired_requests(now=approval.decided_at + datetime.timedelta(minutes=59)) == 0
    assert sweep_expired_requests(now=approval.decided_at + datetime.timedelta(minutes=61)) == 1
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.EXPIRED


def test_a_request_the_investigator_never_answers_expires_once_its_start_has_passed(people):
    import datetime

    from sharing.bookings.services import sweep_expired_requests

    threshold(people.university, "300.00")
    waiting = book(people, 3)
    start = waiting.period.lower
    assert sweep_expired_requests(now=start - datetime.timedelta(minutes=1)) == 0
    assert sweep_expired_requests(now=start + datetime.timedelta(minutes=1)) == 1
