"""Writes of a booking's life: create, approve, reject, cancel, check in and out.

Who may do each, and which status allows it, is asked of rules.py; the rules of time of a new
booking of times.may_book, in a fixed order, each with its own name (RuleBroken.rule). The
last rule, "no overlap", is the database's: the exclusion constraint booking_no_overlap decides
races that no check in Python can, and its violation becomes Conflict(rule="slot_taken").
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import Conflict, require
from sharing.bookings import fees, rules, times
from sharing.bookings.availability import policy_for
from sharing.bookings.models import (
    Booking,
    BookingSeries,
    BookingTransition,
    Notice,
    Project,
    Voucher,
)
from sharing.bookings.notifications import booking_notify
from sharing.bookings.projects import rules as project_rules
from sharing.bookings.projects.charges import charge_approval_open
from sharing.bookings.services.waitlist import waitlist_tell
from sharing.bookings.vouchers.ledger import voucher_redeem, voucher_release, voucher_reserve
from sharing.catalogue.models import Instrument

# --- Status changes -------------------------------------------------------------------------


def _locked(booking: Booking) -> Booking:
    """The row again, locked: two managers pressing "approve" at once must not both win. Only
    the booking's row (of=self): locking the joined requester and instrument too would make
    every write that names them (an audit line, a voucher entry) wait, and deadlock with a
    voucher's lock held by another of the requester's bookings."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("instrument", "requester")
        .get(pk=booking.pk)
    )


def record_transition(
    booking: Booking, *, to: str, by: User | None, reason: str = "", fields: tuple = ()
) -> Booking:
    before = booking.status
    booking.status = to
    booking.save(update_fields=["status", "updated_at", *fields])
    BookingTransition.objects.create(
        booking=booking, from_status=before, to_status=to, by=by, reason=reason[:300]
    )
    _audit_transition(booking, before=before, by=by, reason=reason)
    return booking


def _audit_transition(booking: Booking, *, before: str, by: User | None, reason: str) -> None:
    # Every status change passes here or through booking_create: one audit line each.
    changes = {"status": [before, booking.status]}
    if reason:
        changes["reason"] = reason[:300]
    audit_record(actor=by, action=f"booking.{booking.status}", target=booking, changes=changes)


def release(booking: Booking, *, refund: bool) -> None:
    """The time is free again: the voucher reservation goes back (``refund`` False keeps it,
    for a caller that settles it otherwise) and the people waiting for that time are told."""
    if refund:
        voucher_release(booking=booking)
    waitlist_tell(booking)


# --- Creating ------------------------------------------------------------------------------


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, pg_errors.ExclusionViolation)


def slot_taken() -> Conflict:
    return Conflict(_("该时间段已被占用，可加入候补。"), rule="slot_taken")


@transaction.atomic
def booking_create(
    *,
    requester: User,
    instrument: Instrument,
    start: datetime.datetime,
    end: datetime.datetime,
    purpose: str,
    sample_notes: str = "",
    voucher: Voucher | None = None,
    series: BookingSeries | None = None,
    service_mode: str = Booking.ServiceMode.SELF_OPERATED,
    project_name: str = "",
    project: Project | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """A new booking, approved at once when the instrument needs no approval. The service mode
    and project name are what the national service record will say (service_records.py).

    Charged to a project (one of the requester's organisation, active), its name is the project
    name; when the fee is above the organisation's threshold and the requester does not lead
    the project, the booking waits as requested for the principal investigator."""
    now = now or timezone.now()
    if project is not None:
        require(project_rules.may_charge_to(user=requester, project=project))
        project_name = project.name
    project_name = project_name.strip()
    require(rules.service_fields_refusal(service_mode=service_mode, project_name=project_name))
    policy = policy_for(instrument)
    if policy.weekly_quota_minutes is not None:
        # Serialise one person's bookings so two at once cannot both fit under the quota.
        User.objects.select_for_update().filter(pk=requester.pk).first()
    require(times.may_book(user=requester, instrument=instrument, start=start, end=end, now=now))
    quote = fees.quote(instrument=instrument, requester=requester, start=start, end=end)
    threshold = project_rules.approval_threshold(
        project=project, requester=requester, amount=quote.amount
    )
    waits = instrument.approval_required or threshold is not None
    status = Booking.Status.REQUESTED if waits else Booking.Status.APPROVED
    booking = Booking(
        instrument=instrument,
        requester=requester,
        period=DateTimeTZRange(start, end, "[)"),
        blocked=DateTimeTZRange(
            start, end + datetime.timedelta(minutes=policy.buffer_minutes), "[)"
        ),
        status=status,
        purpose=purpose,
        sample_notes=sample_notes,
        service_mode=service_mode,
        project_name=project_name,
        project=project,
        series=series,
        cross_region=quote.cross_region,
        rate_category=quote.rate_category,
        hourly_rate=quote.hourly_rate,
        fee_estimate=quote.amount,
    )
    try:
        # A savepoint, so the caller's transaction survives a lost race.
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise slot_taken() from exc
        raise
    BookingTransition.objects.create(
        booking=booking,
        from_status="",
        to_status=status,
        by=requester,
        reason="" if status == Booking.Status.REQUESTED else _("无需审批，自动批准"),
    )
    _audit_transition(booking, before="", by=requester, reason="")
    if voucher is not None:
        voucher_reserve(voucher=voucher, booking=booking, by=requester)
    if threshold is not None:
        charge_approval_open(
            service=booking,
            project=project,
            requester=requester,
            amount=quote.amount,
            threshold=threshold,
        )
    booking_notify(booking=booking, kind=Notice.REQUESTED)
    if status == Booking.Status.APPROVED:
        booking_notify(booking=booking, kind=Notice.APPROVED)
    return booking


# --- Manager and requester actions ---------------------------------------------------------


@transaction.atomic
def booking_approve(*, booking: Booking, by: User, reason: str = "") -> Booking:
    booking = _locked(booking)
    require(rules.may_approve(user=by, booking=booking))
    record_transition(booking, to=Booking.Status.APPROVED, by=by, reason=reason)
    booking_notify(booking=booking, kind=Notice.APPROVED, reason=reason)
    return booking


@transaction.atomic
def booking_reject(*, booking: Booking, by: User, reason: str = "") -> Booking:
    booking = _locked(booking)
    require(rules.may_reject(user=by, booking=booking))
    record_transition(booking, to=Booking.Status.REJECTED, by=by, reason=reason)
    release(booking, refund=True)
    booking_notify(booking=booking, kind=Notice.REJECTED, reason=reason)
    return booking


@transaction.atomic
def booking_cancel(
    *, booking: Booking, by: User, reason: str = "", now: datetime.datetime | None = None
) -> Booking:
    now = now or timezone.now()
    booking = _locked(booking)
    require(rules.may_cancel(user=by, booking=booking, now=now))
    record_transition(booking, to=Booking.Status.CANCELLED, by=by, reason=reason)
    release(booking, refund=True)
    booking_notify(booking=booking, kind=Notice.CANCELLED, reason=reason)
    return booking


@transaction.atomic
def booking_check_in(
    *, booking: Booking, by: User, now: datetime.datetime | None = None
) -> Booking:
    now = now or timezone.now()
    booking = _locked(booking)
    require(rules.may_check_in(user=by, booking=booking, now=now))
    booking.checked_in_at = now
    return record_transition(
        booking, to=Booking.Status.CHECKED_IN, by=by, fields=("checked_in_at",)
    )


@transaction.atomic
def booking_check_out(
    *, booking: Booking, by: User, now: datetime.datetime | None = None
) -> Booking:
    now = now or timezone.now()
    booking = _locked(booking)
    require(rules.may_check_out(user=by, booking=booking))
    booking.checked_out_at = max(now, booking.checked_in_at)
    booking.charge = fees.charge_for(booking=booking)
    record_transition(
        booking, to=Booking.Status.COMPLETED, by=by, fields=("checked_out_at", "charge")
    )
    voucher_redeem(booking=booking, by=by)
    return booking
