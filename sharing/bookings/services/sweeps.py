"""The sweeps beat runs: requests nobody answered expire, approved bookings nobody checked in
to are released as no-shows, sessions nobody checked out of are closed at their booked end."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing.bookings import fees
from sharing.bookings.models import Booking, ChargeApproval, Notice
from sharing.bookings.notifications import booking_notify
from sharing.bookings.services.bookings import record_transition, release
from sharing.bookings.vouchers.ledger import voucher_redeem

SWEEP_BATCH = 100


def request_expiry_minutes() -> int:
    """Requests nobody approved or rejected in this time expire (beat: sweep_expired_requests)."""
    return getattr(settings, "BOOKING_REQUEST_EXPIRY_MINUTES", 24 * 60)


def no_show_minutes() -> int:
    """An approved booking without a check-in this long after its start is a no-show."""
    return getattr(settings, "BOOKING_NO_SHOW_MINUTES", 15)


def checkout_grace_minutes() -> int:
    """A session still checked in this long after its booked end was forgotten."""
    return getattr(settings, "BOOKING_CHECKOUT_GRACE_MINUTES", 30)


def _sweep(queryset_for_batch, apply) -> int:
    """Run ``apply`` on every row of the batches, one transaction per batch. Rows another
    sweep holds are skipped (skip_locked) and, once it commits, no longer match the filter, so
    two sweeps at once, or one twice, change each booking once."""
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                queryset_for_batch()
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("instrument", "requester")
                .order_by("pk")[:SWEEP_BATCH]
            )
            for booking in batch:
                apply(booking)
            done += len(batch)
        if len(batch) < SWEEP_BATCH:
            return done


def sweep_expired_requests(now: datetime.datetime | None = None) -> int:
    """Requests still waiting for a decision after BOOKING_REQUEST_EXPIRY_MINUTES expire:
    the slot frees, the voucher amount goes back, the requester is told.

    The manager's time runs from when the request reached them: for a charge the project's
    investigator had to approve, from that approval. While the investigator has not decided,
    the request waits for them and expires only once its start has passed."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=request_expiry_minutes())
    pending, approved = ChargeApproval.Status.PENDING, ChargeApproval.Status.APPROVED
    unanswered = (
        Q(charge_approval__isnull=True, created_at__lt=cutoff)
        | Q(charge_approval__status=approved, charge_approval__decided_at__lt=cutoff)
        | Q(charge_approval__status=pending, period__startswith__lt=now)
    )

    def batch():
        return Booking.objects.filter(unanswered, status=Booking.Status.REQUESTED)

    def apply(booking: Booking) -> None:
        record_transition(
            booking, to=Booking.Status.EXPIRED, by=None, reason=_("审批超时，自动失效")
        )
        release(booking, refund=True)
        booking_notify(booking=booking, kind=Notice.EXPIRED)

    return _sweep(batch, apply)


def sweep_no_shows(now: datetime.datetime | None = None) -> int:
    """Approved bookings without a check-in BOOKING_NO_SHOW_MINUTES after their start are
    released as no-shows. The voucher reservation goes back: nothing was used, so nothing may
    be redeemed or settled for it."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=no_show_minutes())

    def batch():
        return Booking.objects.filter(
            Q(status=Booking.Status.APPROVED),
            Q(checked_in_at__isnull=True),
            Q(period__startswith__lt=cutoff),
        )

    def apply(booking: Booking) -> None:
        record_transition(
            booking, to=Booking.Status.NO_SHOW, by=None, reason=_("开始后未签到，按未到场释放")
        )
        release(booking, refund=True)
        booking_notify(booking=booking, kind=Notice.NO_SHOW)

    return _sweep(batch, apply)


def sweep_forgotten_check_outs(now: datetime.datetime | None = None) -> int:
    """Sessions still checked in BOOKING_CHECKOUT_GRACE_MINUTES after their booked end are
    checked out at that end (not at the sweep's time: nobody knows when they left), charged
    as booked by the check-out's own fee rule, and flagged for the manager to adjust."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=checkout_grace_minutes())

    def batch():
        return Booking.objects.filter(status=Booking.Status.CHECKED_IN, period__endswith__lt=cutoff)

    def apply(booking: Booking) -> None:
        booking.checked_out_at = max(booking.end, booking.checked_in_at)
        booking.charge = fees.charge_for(booking=booking)
        booking.checkout_forgotten = True
        record_transition(
            booking,
            to=Booking.Status.COMPLETED,
            by=None,
            reason=_("未签退，按预约时段计费"),
            fields=("checked_out_at", "charge", "checkout_forgotten"),
        )
        voucher_redeem(booking=booking)

    return _sweep(batch, apply)
