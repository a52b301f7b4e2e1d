"""The voucher ledger: redeem part of a booking's fee, refund it when the booking ends unused,
and reconcile a balance against its entries.

Services write the ledger (VoucherEntry) and the balance together, under a row lock on the
voucher; the check constraint ``voucher_balance_within_amount`` is the last word, so no
transaction can commit an overdraft even if a caller bypasses these functions.

Lock order, everywhere: the booking row first, then the voucher row. Two transactions that
touch the same booking and voucher therefore queue instead of deadlocking.

A booking is paid with at most one voucher (the booking form offers one); the refund then has
exactly one redemption to give back.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.fees import CENT
from sharing.bookings.models import Booking, Voucher, VoucherEntry

# Validity is a calendar matter: a voucher valid until 2026-12-31 covers a booking that starts
# at 23:30 on that day in China, whatever UTC says.
CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_MAX_SHARE = Decimal("0.5")
# A booking that ended without use, or is still to be used, may carry a redemption.
_REDEEMABLE = (*Booking.LIVE, Booking.Status.COMPLETED)

MONEY = DecimalField(max_digits=14, decimal_places=2)


def max_share() -> Decimal:
    """settings.VOUCHER_MAX_SHARE: the share of a fee a voucher may cover (default 0.5)."""
    share = Decimal(str(getattr(settings, "VOUCHER_MAX_SHARE", DEFAULT_MAX_SHARE)))
    if not Decimal(0) < share <= Decimal(1):
        raise ValueError(f"VOUCHER_MAX_SHARE must be in (0, 1], not {share}")
    return share


def china_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(CHINA).date()


def voucher_cap(*, fee: Decimal) -> Decimal:
    """The most a voucher may cover of a fee: the share, rounded down so it never exceeds the
    share by a fraction of a cent. The booking form shows min(balance, cap) from this too."""
    return (fee * max_share()).quantize(CENT, ROUND_DOWN)


@transaction.atomic
def voucher_redeem(*, voucher: Voucher, booking: Booking, by: User) -> VoucherEntry:
    """Cover part of the booking's fee estimate with the voucher: at most VOUCHER_MAX_SHARE of
    it, at most the balance. Idempotent per (voucher, booking): a second call returns the entry
    the first one wrote."""
    # The booking's lock serialises everything about this booking (a retry, a second voucher);
    # the voucher's lock serialises every redemption against the voucher, the concurrency this
    # is about, so as little as possible happens between taking it and the commit.
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("instrument", "requester")
        .get(pk=booking.pk)
    )
    require(rules.may_pay_for(user=by, booking=booking))
    earlier = VoucherEntry.objects.filter(
        booking=booking, kind=VoucherEntry.Kind.REDEMPTION
    ).first()
    if earlier is not None:
        if earlier.voucher_id == voucher.pk:
            return earlier
        raise RuleBroken(_("每个预约只能使用一张创新券。"), rule="voucher_one_per_booking")
    if booking.status not in _REDEEMABLE:
        raise RuleBroken(_("该预约已结束，不能再使用创新券。"), rule="voucher_booking_closed")
    cap = voucher_cap(fee=booking.fee_estimate)
    if cap <= 0:
        raise RuleBroken(_("该预约没有可由创新券抵扣的费用。"), rule="voucher_nothing_to_cover")

    voucher = (
        Voucher.objects.select_for_update(of=("self",))
        .annotate(
            accepted_here=Exists(
                Voucher.accepted_in.through.objects.filter(
                    voucher_id=OuterRef("pk"), region_id=booking.instrument.region_id
                )
            )
        )
        .get(pk=voucher.pk)
    )
    if voucher.organisation_id != booking.requester.organisation_id:
        raise RuleBroken(_("这张创新券不属于预约人所在单位。"), rule="voucher_not_yours")
    if not voucher.accepted_here:
        raise RuleBroken(
            _("这张创新券不能在该仪器所在地区使用。"), rule="voucher_not_accepted_here"
        )
    day = china_date(booking.start)
    if not voucher.valid_from <= day <= voucher.valid_until:
        raise RuleBroken(_("创新券在预约日期不在有效期内。"), rule="voucher_expired")
    if voucher.balance <= 0:
        raise RuleBroken(_("创新券余额已用完。"), rule="voucher_empty")
    amount = min(voucher.balance, cap)

    entry = VoucherEntry.objects.create(
        voucher=voucher, booking=booking, kind=VoucherEntry.Kind.REDEMPTION, amount=-amount
    )
    # F() rather than the value read: the database computes the new balance and its check
    # constraint judges it.
    Voucher.objects.filter(pk=voucher.pk).update(balance=F("balance") - amount)
    audit_record(
        actor=by,
        action="voucher.redeemed",
        target=voucher,
        changes={"booking": booking.pk, "amount": str(-amount), "entry": entry.pk},
    )
    return entry


@transaction.atomic
def voucher_refund(*, booking: Booking) -> VoucherEntry | None:
    """Give back what the booking's redemption took, once. Call it when the booking ends
    without use (cancelled, rejected, expired); a second call returns the refund already made.
    None when no voucher was used."""
    booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
    redemption = VoucherEntry.objects.filter(
        booking=booking, kind=VoucherEntry.Kind.REDEMPTION
    ).first()
    if redemption is None:
        return None
    voucher = Voucher.objects.select_for_update().filter(pk=redemption.voucher_id).get()
    existing = VoucherEntry.objects.filter(
        voucher_id=redemption.voucher_id, booking=booking, kind=VoucherEntry.Kind.REFUND
    ).first()
    if existing is not None:
        return existing
    amount = -redemption.amount
    entry = VoucherEntry.objects.create(
        voucher_id=redemption.voucher_id,
        booking=booking,
        kind=VoucherEntry.Kind.REFUND,
        amount=amount,
    )
    Voucher.objects.filter(pk=redemption.voucher_id).update(balance=F("balance") + amount)
    audit_record(
        actor=None,
        action="voucher.refunded",
        target=voucher,
        changes={"booking": booking.pk, "amount": str(amount), "entry": entry.pk},
    )
    return entry


@dataclass(frozen=True)
class BalanceCheck:
    recorded: Decimal
    from_ledger: Decimal

    @property
    def consistent(self) -> bool:
        return self.recorded == self.from_ledger


def voucher_balance_check(voucher: Voucher) -> BalanceCheck:
    """The balance as stored against the amount plus the ledger's sum, read in one statement
    so a concurrent redemption cannot fall between the two."""
    row = (
        Voucher.objects.filter(pk=voucher.pk)
        .annotate(ledger=Coalesce(Sum("entries__amount"), Value(Decimal(0)), output_field=MONEY))
        .values("amount", "balance", "ledger")
        .get()
    )
    return BalanceCheck(recorded=row["balance"], from_ledger=row["amount"] + row["ledger"])
