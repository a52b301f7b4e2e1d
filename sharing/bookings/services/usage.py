"""Correcting a session nobody checked out of (checkout_forgotten): beat closed it at its booked
end and charged the booked time; a manager of the instrument puts in the real times and, if
needed, a lower charge. Once: the flag is cleared with the correction, which is audited and kept
in the booking's history."""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import RuleBroken, require
from sharing.bookings import fees, rules
from sharing.bookings.models import Booking, BookingTransition, VoucherEntry


def _voucher_paid(booking: Booking) -> Decimal:
    net = VoucherEntry.objects.filter(booking=booking).aggregate(net=Sum("amount"))["net"]
    return -(net or Decimal(0))


def _times_problem(booking: Booking, start, end, now) -> str | None:
    earliest = booking.start - datetime.timedelta(minutes=rules.CHECK_IN_EARLY_MINUTES)
    grace = datetime.timedelta(minutes=settings.BOOKING_CHECKOUT_GRACE_MINUTES)
    if end <= start:
        return _("下机时间须晚于上机时间。")
    if start < earliest or end > booking.end + grace or end > now:
        return _("上机和下机时间须在预约时段内（可提前 %(minutes)d 分钟上机）。") % {
            "minutes": rules.CHECK_IN_EARLY_MINUTES
        }
    return None


@transaction.atomic
def booking_adjust_usage(
    *,
    booking: Booking,
    by: User,
    checked_in_at: datetime.datetime,
    checked_out_at: datetime.datetime,
    charge: Decimal | str | None = None,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Booking:
    """Set the real check-in and check-out of a forgotten session. The charge is the usual one
    for those times (fees.charge_for) unless a lower one is given; never below what vouchers
    already paid of it (the ledger is not rewritten)."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().select_related("instrument").get(pk=booking.pk)
    require(rules.may_adjust_usage(user=by, booking=booking))
    problem = _times_problem(booking, checked_in_at, checked_out_at, now)
    if problem:
        raise RuleBroken(problem, rule="usage_times", fields={"checked_out_at": [problem]})
    before = {
        "checked_in_at": booking.checked_in_at,
        "checked_out_at": booking.checked_out_at,
        "charge": booking.charge,
    }
    booking.checked_in_at, booking.checked_out_at = checked_in_at, checked_out_at
    ceiling = fees.charge_for(booking=booking)
    if charge is None or (isinstance(charge, str) and not charge.strip()):
        amount = ceiling
    else:
        try:
            amount = Decimal(str(charge).strip())
        except InvalidOperation:
            amount = Decimal("NaN")
        floor = _voucher_paid(booking)
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise RuleBroken(
                _("请输入金额。"), rule="usage_charge", fields={"charge": [_("请输入金额。")]}
            )
        if not floor <= amount <= ceiling:
            message = _("费用须在 %(low)s 元（创新券已抵扣）到 %(high)s 元之间。") % {
                "low": floor,
                "high": ceiling,
            }
            raise RuleBroken(message, rule="usage_charge", fields={"charge": [message]})
    booking.charge = fees.money(amount)
    booking.checkout_forgotten = False
    booking.save(
        update_fields=[
            "checked_in_at",
            "checked_out_at",
            "charge",
            "checkout_forgotten",
            "updated_at",
        ]
    )
    note = " ".join(reason.split())[:300] or _("管理员调整未签退的使用记录")
    BookingTransition.objects.create(
        booking=booking,
        from_status=booking.status,
        to_status=booking.status,
        by=by,
        reason=note,
    )
    audit_record(
        actor=by,
        action="booking.usage_adjusted",
        target=booking,
        changes={
            name: [
                str(value) if value is not None else None,
                str(getattr(booking, name)),
            ]
            for name, value in before.items()
        }
        | {"reason": note},
    )
    return booking
