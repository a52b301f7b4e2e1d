"""Writes of qualifications (上机资格): grant, renew, revoke, by the instrument's managers.

One row per person and instrument (a database constraint): granting to someone who held one
before, revoked or lapsed, renews that row and clears the revocation, so the history of who
granted it last stays on the row and every step in the audit trail.

Revoking does not cancel the person's bookings already made: times.may_book stops new ones at
once, and the manager, who revokes knowingly, is told how many approved or requested bookings
remain (qualification_revoke returns them) and cancels those that must go, with a reason, in
the booking pages. A revocation is a judgement about a person; cancelling on their behalf
without a look at each booking would be the wrong default.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import bounds
from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import Conflict, RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.models import Booking, Notice, Qualification
from sharing.bookings.notifications import qualification_notify
from sharing.catalogue.models import Instrument

NOTE_MAX = 200


def default_valid_until(today: datetime.date) -> datetime.date:
    days = getattr(settings, "QUALIFICATION_VALID_DAYS", 365)
    return min(today + datetime.timedelta(days=days), bounds.LAST_DAY)


def check_valid_until(valid_until: datetime.date, *, today: datetime.date) -> None:
    """Not in the past, within the dates the portal handles."""
    if not bounds.date_in_range(valid_until):
        raise RuleBroken(
            str(bounds.DATE_MESSAGE),
            rule="out_of_range",
            fields={"valid_until": [str(bounds.DATE_MESSAGE)]},
        )
    if valid_until < today:
        message = _("有效期不能早于今天。")
        raise RuleBroken(message, rule="valid_until_past", fields={"valid_until": [message]})


def qualification_set(
    *, instrument: Instrument, user: User, by: User, valid_until: datetime.date, note: str
) -> Qualification:
    """Grant or renew, whatever the row held before; audited and told to the person. The
    callers (grant, renew, a passed training) have checked who and what; inside their
    transaction."""
    before = (
        Qualification.objects.select_for_update().filter(user=user, instrument=instrument).first()
    )
    was = (
        {"valid_until": before.valid_until.isoformat(), "revoked": before.revoked_at is not None}
        if before
        else None
    )
    qualification, _created = Qualification.objects.update_or_create(
        user=user,
        instrument=instrument,
        defaults={
            "valid_until": valid_until,
            "granted_by": by,
            "revoked_at": None,
            "note": note[:NOTE_MAX],
        },
    )
    audit_record(
        actor=by,
        action="qualification.granted" if was is None else "qualification.renewed",
        target=qualification,
        changes={
            "valid_until": [was and was["valid_until"], valid_until.isoformat()],
            "before": was,
        },
    )
    qualification_notify(
        qualification=qualification,
        kind=Notice.QUALIFIED,
        extra=f"{valid_until.isoformat()}@{timezone.now().timestamp():.0f}",
    )
    return qualification


@transaction.atomic
def qualification_grant(
    *,
    instrument: Instrument,
    user: User,
    by: User,
    valid_until: datetime.date | None = None,
    note: str = "",
) -> Qualification:
    """A manager of the instrument grants a person a qualification (renewing one they held);
    a person who holds one valid and unrevoked already is a Conflict: renew that one."""
    require(rules.may_decide_training(user=by, person=user, instrument=instrument))
    today = timezone.localdate()
    valid_until = valid_until or default_valid_until(today)
    check_valid_until(valid_until, today=today)
    if rules.holds_qualification(user=user, instrument=instrument, on=today):
        raise Conflict(_("该用户已持有有效的上机资格，请续期。"), rule="already_qualified")
    return qualification_set(
        instrument=instrument, user=user, by=by, valid_until=valid_until, note=note
    )


@transaction.atomic
def qualification_renew(
    *, qualification: Qualification, by: User, valid_until: datetime.date | None = None
) -> Qualification:
    """A manager gives a qualification (lapsed or revoked too) a new expiry."""
    require(
        rules.may_decide_training(
            user=by, person=qualification.user, instrument=qualification.instrument
        )
    )
    today = timezone.localdate()
    valid_until = valid_until or default_valid_until(today)
    check_valid_until(valid_until, today=today)
    return qualification_set(
        instrument=qualification.instrument,
        user=qualification.user,
        by=by,
        valid_until=valid_until,
        note=qualification.note,
    )


def bookings_left(qualification: Qualification) -> list[Booking]:
    """The person's requested and approved bookings on the instrument still to come."""
    return list(
        Booking.objects.filter(
            instrument_id=qualification.instrument_id,
            requester_id=qualification.user_id,
            status__in=(Booking.Status.REQUESTED, Booking.Status.APPROVED),
            period__endswith__gt=timezone.now(),
        ).order_by("period")
    )


@transaction.atomic
def qualification_revoke(
    *, qualification: Qualification, by: User, reason: str
) -> tuple[Qualification, list[Booking]]:
    """A manager revokes a qualification with a reason; the row stays as a record. Returns it
    and the bookings the person still has on the instrument, left for the manager to judge."""
    require(
        rules.may_decide_training(
            user=by, person=qualification.user, instrument=qualification.instrument
        )
    )
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        message = _("请填写撤销理由。")
        raise RuleBroken(message, rule="reason_required", fields={"reason": [message]})
    qualification = Qualification.objects.select_for_update().get(pk=qualification.pk)
    if qualification.revoked_at is not None:
        raise Conflict(_("该上机资格已撤销。"), rule="already_revoked")
    qualification.revoked_at = timezone.now()
    qualification.save(update_fields=["revoked_at"])
    left = bookings_left(qualification)
    audit_record(
        actor=by,
        action="qualification.revoked",
        target=qualification,
        changes={"reason": reason, "bookings_left": [b.pk for b in left]},
    )
    qualification_notify(
        qualification=qualification,
        kind=Notice.QUALIFICATION_REVOKED,
        extra=f"{qualification.revoked_at.timestamp():.0f}",
        reason=reason,
    )
    return qualification, left
