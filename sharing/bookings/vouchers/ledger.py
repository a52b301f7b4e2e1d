"""The voucher ledger: reserve part of a booking's fee when it is requested, redeem it on the
final charge when the booking is completed (the rest released), release it all when the booking
ends unused; and reconcile the columns against the entries.

Services write the ledger (VoucherEntry) and the voucher's buckets (reserved, redeemed,
settled, balance) together, under a row lock on the voucher; the check constraints on Voucher
are the last word, so no transaction can commit an overdraft or a settlement beyond use even if
a caller bypasses these functions.

Lock order, everywhere: the booking row first, then the voucher row. Two transactions that
touch the same booking and voucher therefore queue instead of deadlocking. Settlement locks the
request, then the vouchers in key order, and never a booking.

A booking is paid with at most one voucher (the booking form offers one). A sample-testing
order goes through the same ledger_* steps (sharing/bookings/orders/vouchers.py): its entries
carry the order instead of a booking.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.fees import CENT
from sharing.bookings.models import Booking, SampleOrder, Voucher, VoucherEntry

# Validity is a calendar matter: a voucher valid until 2026-12-31 covers a booking that starts
# at 23:30 on that day in China, whatever UTC says.
CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_MAX_SHARE = Decimal("0.5")

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


def _service(service: Booking | SampleOrder) -> dict:
    """The entry's foreign key for a service: a booking or a sample-testing order."""
    return {"order": service} if isinstance(service, SampleOrder) else {"booking": service}


def _entry(service: Booking | SampleOrder, kind: str) -> VoucherEntry | None:
    return VoucherEntry.objects.filter(**_service(service), kind=kind).first()


def ledger_reserve(
    *,
    voucher: Voucher,
    service: Booking | SampleOrder,
    organisation_id: int | None,
    region_id: int,
    day: datetime.date,
    fee: Decimal,
    by: User,
) -> VoucherEntry:
    """Reserve on the voucher for a service the caller has locked: at most VOUCHER_MAX_SHARE of
    ``fee``, at most the balance. Refused (nothing written) when the voucher is not the holder
    organisation's, not accepted in ``region_id`` or not valid on ``day``. Idempotent per
    (voucher, service); one voucher per service."""
    earlier = _entry(service, VoucherEntry.Kind.RESERVATION)
    if earlier is not None:
        if earlier.voucher_id == voucher.pk:
            return earlier
        raise RuleBroken(_("每个预约只能使用一张创新券。"), rule="voucher_one_per_booking")
    cap = voucher_cap(fee=fee)
    if cap <= 0:
        raise RuleBroken(_("该预约没有可由创新券抵扣的费用。"), rule="voucher_nothing_to_cover")

    # The voucher's lock serialises every reservation against the voucher, the concurrency
    # this is about, so as little as possible happens between taking it and the commit.
    voucher = (
        Voucher.objects.select_for_update(of=("self",))
        .annotate(
            accepted_here=Exists(
                Voucher.accepted_in.through.objects.filter(
                    voucher_id=OuterRef("pk"), region_id=region_id
                )
            )
        )
        .get(pk=voucher.pk)
    )
    if voucher.organisation_id != organisation_id:
        raise RuleBroken(_("这张创新券不属于预约人所在单位。"), rule="voucher_not_yours")
    if not voucher.accepted_here:
        raise RuleBroken(
            _("这张创新券不能在该仪器所在地区使用。"), rule="voucher_not_accepted_here"
        )
    if not voucher.valid_from <= day <= voucher.valid_until:
        raise RuleBroken(_("创新券在预约日期不在有效期内。"), rule="voucher_expired")
    if voucher.balance <= 0:
        raise RuleBroken(_("创新券余额已用完。"), rule="voucher_empty")
    amount = min(voucher.balance, cap)

    entry = VoucherEntry.objects.create(
        voucher=voucher, **_service(service), kind=VoucherEntry.Kind.RESERVATION, amount=amount
    )
    # F() rather than the value read: the database computes the new buckets and its check
    # constraints judge them.
    Voucher.objects.filter(pk=voucher.pk).update(
        reserved=F("reserved") + amount, balance=F("balance") - amount
    )
    audit_record(
        actor=by,
        action="voucher.reserved",
        target=voucher,
        changes={**_changes(service), "amount": str(amount), "entry": entry.pk},
    )
    return entry


def _changes(service: Booking | SampleOrder) -> dict:
    return {"order": service.pk} if isinstance(service, SampleOrder) else {"booking": service.pk}


def ledger_redeem(
    *, service: Booking | SampleOrder, charge: Decimal, by: User | None
) -> VoucherEntry | None:
    """For a completed service the caller has locked: redeem min(reserved, cap(charge)) and
    release the rest of the reservation. Once: a second call returns the redemption made.
    None when no voucher was used or nothing of the charge can be covered (all released)."""
    reservation = _entry(service, VoucherEntry.Kind.RESERVATION)
    if reservation is None:
        return None
    done = _entry(service, VoucherEntry.Kind.REDEMPTION)
    if done is not None:
        return done
    if _entry(service, VoucherEntry.Kind.RELEASE) is not None:
        return None
    voucher = Voucher.objects.select_for_update().get(pk=reservation.voucher_id)
    held = reservation.amount
    used = min(held, voucher_cap(fee=charge))
    rest = held - used
    entry = None
    if used > 0:
        entry = VoucherEntry.objects.create(
            voucher=voucher, **_service(service), kind=VoucherEntry.Kind.REDEMPTION, amount=used
        )
    if rest > 0:
        VoucherEntry.objects.create(
            voucher=voucher, **_service(service), kind=VoucherEntry.Kind.RELEASE, amount=rest
        )
    Voucher.objects.filter(pk=voucher.pk).update(
        reserved=F("reserved") - held, redeemed=F("redeemed") + used, balance=F("balance") + rest
    )
    audit_record(
        actor=by,
        action="voucher.redeemed",
        target=voucher,
        changes={**_changes(service), "redeemed": str(used), "released": str(rest)},
    )
    return entry


def ledger_release(*, service: Booking | SampleOrder, by: User | None) -> VoucherEntry | None:
    """Give back what the (locked) service's reservation holds, once; a second call returns the
    release already made. None when no voucher was used or it was redeemed."""
    reservation = _entry(service, VoucherEntry.Kind.RESERVATION)
    if reservation is None:
        return None
    voucher = Voucher.objects.select_for_update().filter(pk=reservation.voucher_id).get()
    existing = _entry(service, VoucherEntry.Kind.RELEASE)
    if existing is not None:
        return existing
    if _entry(service, VoucherEntry.Kind.REDEMPTION) is not None:
        return None
    amount = reservation.amount
    entry = VoucherEntry.objects.create(
        voucher=voucher, **_service(service), kind=VoucherEntry.Kind.RELEASE, amount=amount
    )
    Voucher.objects.filter(pk=voucher.pk).update(
        reserved=F("reserved") - amount, balance=F("balance") + amount
    )
    audit_record(
        actor=by,
        action="voucher.released",
        target=voucher,
        changes={**_changes(service), "amount": str(amount), "entry": entry.pk},
    )
    return entry


@transaction.atomic
def voucher_reserve(*, voucher: Voucher, booking: Booking, by: User) -> VoucherEntry:
    """Hold part of the booking's fee estimate on the voucher: at most VOUCHER_MAX_SHARE of it,
    at most the balance. Refused (nothing written) when the voucher is not the requester's
    organisation's, not accepted in the instrument's region, or not valid on the booking's day.
    Idempotent per (voucher, booking): a second call returns the entry the first one wrote."""
    # The booking's lock serialises everything about this booking (a retry, a second voucher).
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("instrument", "requester")
        .get(pk=booking.pk)
    )
    require(rules.may_pay_for(user=by, booking=booking))
    earlier = _entry(booking, VoucherEntry.Kind.RESERVATION)
    if earlier is None and booking.status not in Booking.LIVE:
        raise RuleBroken(_("该预约已结束，不能再使用创新券。"), rule="voucher_booking_closed")
    return ledger_reserve(
        voucher=voucher,
        service=booking,
        organisation_id=booking.requester.organisation_id,
        region_id=booking.instrument.region_id,
        day=china_date(booking.start),
        fee=booking.fee_estimate,
        by=by,
    )


@transaction.atomic
def voucher_redeem(*, booking: Booking, by: User | None = None) -> VoucherEntry | None:
    """On the final charge of a completed booking: redeem min(reserved, cap(charge)) and
    release the rest of the reservation. Once: a second call returns the redemption made.
    None when no voucher was used or nothing of the charge can be covered (all released)."""
    booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
    reservation = _entry(booking, VoucherEntry.Kind.RESERVATION)
    if reservation is None:
        return None
    settled = _entry(booking, VoucherEntry.Kind.REDEMPTION) or _entry(
        booking, VoucherEntry.Kind.RELEASE
    )
    if settled is None and booking.status != Booking.Status.COMPLETED:
        raise RuleBroken(_("只有已完成的服务才能抵扣创新券。"), rule="voucher_not_completed")
    return ledger_redeem(service=booking, charge=booking.charge or Decimal(0), by=by)


@transaction.atomic
def voucher_release(*, booking: Booking) -> VoucherEntry | None:
    """Give back what the booking's reservation holds, once. Call it when the booking ends
    without use (cancelled, rejected, expired, no-show); a second call returns the release
    already made. None when no voucher was used or it was redeemed."""
    booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
    return ledger_release(service=booking, by=None)


# The older name, for callers written before reservations existed.
voucher_refund = voucher_release


@dataclass(frozen=True)
class BalanceCheck:
    recorded: Decimal
    from_ledger: Decimal

    @property
    def consistent(self) -> bool:
        return self.recorded == self.from_ledger


def _sum(kind: str):
    return Coalesce(
        Sum("entries__amount", filter=Q(entries__kind=kind)), Value(Decimal(0)), output_field=MONEY
    )


def with_ledger_sums(qs):
    """Vouchers annotated with their ledger's sums per kind (l_reservation, l_release,
    l_redemption, l_settlement)."""
    return qs.annotate(**{f"l_{kind}": _sum(kind) for kind in VoucherEntry.Kind.values})


def voucher_balance_check(voucher: Voucher) -> BalanceCheck:
    """The balance as stored against the amount less what the ledger holds and spent, read in
    one statement so a concurrent reservation cannot fall between the two."""
    row = with_ledger_sums(Voucher.objects.filter(pk=voucher.pk)).get()
    return BalanceCheck(
        recorded=row.balance,
        from_ledger=row.amount - row.l_reservation + row.l_release,
    )


def ledger_differences() -> list[str]:
    """Every voucher's buckets and balance recomputed from its ledger, every settlement
    request's total from its lines, every settlement line against its redemption: one line
    per difference, naming the voucher or request and both values. Empty when all agree."""
    from sharing.bookings.models import SettlementLine, SettlementRequest

    out = []
    for v in with_ledger_sums(Voucher.objects.order_by("code")):
        expected = {
            "reserved": v.l_reservation - v.l_release - v.l_redemption,
            "redeemed": v.l_redemption,
            "settled": v.l_settlement,
            "balance": v.amount - v.l_reservation + v.l_release,
        }
        for name, value in expected.items():
            if getattr(v, name) != value:
                out.append(f"voucher {v.code}: {name} recorded {getattr(v, name)}, ledger {value}")
    requests = SettlementRequest.objects.annotate(
        from_lines=Coalesce(
            Sum("lines__amount", filter=~Q(lines__status=SettlementLine.Status.REJECTED)),
            Value(Decimal(0)),
            output_field=MONEY,
        )
    ).order_by("pk")
    for r in requests:
        if r.total != r.from_lines:
            out.append(
                f"settlement request #{r.pk}: total recorded {r.total}, lines {r.from_lines}"
            )
    lines = SettlementLine.objects.exclude(status=SettlementLine.Status.REJECTED).exclude(
        amount=F("entry__amount")
    )
    for line in lines.select_related("entry__voucher").order_by("pk"):
        out.append(
            f"settlement request #{line.request_id} line {line.pk} (voucher "
            f"{line.entry.voucher.code}): amount {line.amount}, redemption {line.entry.amount}"
        )
    return out
