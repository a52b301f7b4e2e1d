"""Vouchers in every stage for the demo, through the real services: an application waiting
(firm_demo to Beibei), one approved by coordinator_demo (its voucher issued), a reservation on a
requested booking, the history's redemptions on completed bookings (and on the sample order
demo/orders.py pays with a voucher), a settlement request of 西南大学 to Mianyang waiting for a
decision, and one to Beibei decided and paid. Demo only.

Idempotent: once the demo's waiting application exists nothing is written again.
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from portal.accounts.models import Region, User
from portal.errors import RuleBroken
from sharing.bookings import fees
from sharing.bookings.models import Booking, BookingTransition, VoucherApplication
from sharing.bookings.vouchers.ledger import voucher_reserve
from sharing.bookings.vouchers.services import (
    application_approve,
    application_reject,
    application_submit,
)
from sharing.bookings.vouchers.settlement import (
    settlement_line_decide,
    settlement_mark_paid,
    settlement_request_create,
)
from sharing.catalogue.models import Instrument

WAITING = "委托西南大学分析测试中心做材料成分检测（演示）"


def _requested_booking(requester: User, voucher) -> Booking | None:
    """A request a fortnight ahead on one of 西南大学's priced instruments, the voucher's part
    reserved (inserted as booking_create writes it: its notice rules are not the demo's)."""
    tz = timezone.get_current_timezone()
    day = timezone.localdate() + datetime.timedelta(days=14)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(9), tzinfo=tz)
    end = start + datetime.timedelta(hours=2)
    for instrument in Instrument.objects.filter(
        organisation=requester.organisation, source__name="demo-sample"
    ).order_by("pk"):
        quote = fees.quote(instrument=instrument, requester=requester, start=start, end=end)
        if not (quote.priced and quote.amount > 0):
            continue
        period = DateTimeTZRange(start, end, "[)")
        if Booking.objects.filter(
            instrument=instrument, blocked__overlap=period, status__in=Booking.LIVE
        ).exists():
            continue
        booking = Booking.objects.create(
            instrument=instrument,
            requester=requester,
            period=period,
            blocked=period,
            status=Booking.Status.REQUESTED,
            purpose="演示：创新券预留（待审批）",
            cross_region=quote.cross_region,
            rate_category=quote.rate_category,
            hourly_rate=quote.hourly_rate,
            fee_estimate=quote.amount,
        )
        BookingTransition.objects.create(
            booking=booking, from_status="", to_status=Booking.Status.REQUESTED, by=requester
        )
        voucher_reserve(voucher=voucher, booking=booking, by=requester)
        return booking
    return None


def voucher_stages_load(*, named: dict[str, User], regions: list[Region]) -> int:
    """Write the stages not written yet; the number of applications written."""
    if VoucherApplication.objects.filter(purpose=WAITING).exists():
        return 0
    mianyang, beibei = regions[0], regions[1]
    coordinator, admin = named["coordinator_demo"], named["admin"]
    today = timezone.localdate()

    application_submit(
        applicant=named["firm_demo"], issuing_region=beibei, purpose=WAITING, amount=Decimal(30000)
    )
    approved = application_approve(
        application=application_submit(
            applicant=named["researcher_beibei"],
            issuing_region=beibei,
            purpose="共享仪器测试费用（演示）",
            amount=Decimal(20000),
        ),
        by=coordinator,
        amount=Decimal(15000),
        valid_from=today,
        valid_until=today + datetime.timedelta(days=365),
        accepted_in=list(regions),
    )
    application_reject(
        application=application_submit(
            applicant=named["researcher_mianyang"],
            issuing_region=mianyang,
            purpose="购置设备（演示）",
            amount=Decimal(50000),
        ),
        by=admin,
        reason="创新券不用于购置设备",
    )
    _requested_booking(named["researcher_beibei"], approved.voucher)

    # 西南大学 asks each issuing authority for its vouchers' redemptions of the past year.
    manager = named["manager_swu"]
    provider = manager.organisation
    since = today - datetime.timedelta(days=365)
    with contextlib.suppress(RuleBroken):
        settlement_request_create(
            provider=provider,
            issuing_region=mianyang,
            period_from=since,
            period_until=today,
            by=manager,
        )
    with contextlib.suppress(RuleBroken):
        paid = settlement_request_create(
            provider=provider,
            issuing_region=beibei,
            period_from=since,
            period_until=today,
            by=manager,
        )
        lines = list(paid.lines.order_by("pk"))
        for n, line in enumerate(lines):
            reject = n == 0 and len(lines) > 1
            settlement_line_decide(
                request=paid,
                line_id=line.pk,
                by=coordinator,
                approve=not reject,
                reason="服务记录不全（演示）" if reject else "",
            )
        settlement_mark_paid(request=paid, by=coordinator)
    return 3
