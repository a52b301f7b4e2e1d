"""Writes of projects, of an organisation's threshold and of a principal investigator's
decision on a charge.

A decision locks the approval's row, asks its rule (404 unseen, 403 not the investigator, 409
decided or moved on), records who decided and when, an audit line and a notice, in one
transaction. Rejecting withdraws the booking (rejected) or the order (cancelled) and releases
its voucher reservation through the ledger, as the booking and order services do.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, User
from portal.audit.services import audit_record
from portal.errors import Conflict, RuleBroken, require
from sharing.bookings.models import Booking, ChargeApproval, ChargeThreshold, Notice, Project
from sharing.bookings.notifications import booking_notify
from sharing.bookings.orders.services import order_withdraw_unfunded
from sharing.bookings.projects import rules
from sharing.bookings.projects.notices import ChargeNotice, charge_notify
from sharing.bookings.services.bookings import record_transition, release

PROJECT_FIELDS = ("name", "funding_source", "investigator", "active")


def _number_free(organisation: Organisation, number: str, *, exclude: int | None = None) -> None:
    taken = Project.objects.filter(organisation=organisation, number=number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise Conflict(
            _("本单位已有编号为“%(number)s”的课题。") % {"number": number},
            rule="project_number_taken",
            fields={"number": [_("课题编号已存在。")]},
        )


def _text(value: str, field: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise RuleBroken(
            _("请填写课题名称和编号。"), rule="field_required", fields={field: [_("必填。")]}
        )
    return value


@transaction.atomic
def project_create(
    *,
    by: User,
    organisation: Organisation | None,
    name: str,
    number: str,
    funding_source: str,
    investigator: User,
) -> Project:
    require(rules.may_create_project(user=by, organisation=organisation, investigator=investigator))
    if funding_source not in Project.FundingSource.values:
        raise RuleBroken(
            _("无效的经费来源。"),
            rule="invalid_funding_source",
            fields={"funding_source": [_("无效的经费来源。")]},
        )
    name, number = _text(name, "name"), _text(number, "number")
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    _number_free(organisation, number)
    project = Project.objects.create(
        organisation=organisation,
        name=name,
        number=number,
        funding_source=funding_source,
        investigator=investigator,
        created_by=by,
    )
    audit_record(
        actor=by,
        action="project.create",
        target=project,
        changes={"number": number, "name": name, "investigator": investigator.pk},
    )
    return project


@transaction.atomic
def project_update(*, by: User, project: Project, **fields) -> Project:
    """Name, funding source and active by the investigator or the organisation's
    administrators; a new investigator only by the organisation's administrators."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(rules.may_edit_project(user=by, project=project))
    investigator = fields.get("investigator")
    if investigator is not None and investigator.pk != project.investigator_id:
        if not rules.keeps_projects_of(user=by, organisation_id=project.organisation_id):
            raise RuleBroken(_("只有机构管理员可以更换课题负责人。"), rule="not_project_keeper")
        if investigator.organisation_id != project.organisation_id:
            raise RuleBroken(
                _("课题负责人须为本单位成员。"),
                rule="investigator_not_member",
                fields={"investigator": [_("课题负责人须为本单位成员。")]},
            )
    if "name" in fields:
        fields["name"] = _text(fields["name"], "name")
    if "funding_source" in fields and fields["funding_source"] not in Project.FundingSource.values:
        raise RuleBroken(_("无效的经费来源。"), rule="invalid_funding_source")
    changes = {}
    for field, value in fields.items():
        if field not in PROJECT_FIELDS:
            continue
        before = getattr(project, field)
        if before != value:
            changes[field] = [str(getattr(before, "pk", before)), str(getattr(value, "pk", value))]
            setattr(project, field, value)
    if changes:
        project.save()
        audit_record(actor=by, action="project.update", target=project, changes=changes)
    return project


@transaction.atomic
def threshold_set(
    *, by: User, organisation: Organisation | None, amount: Decimal | None
) -> ChargeThreshold | None:
    """The organisation's threshold (元); None removes it (charges never wait)."""
    require(rules.may_set_threshold(user=by, organisation=organisation))
    before = rules.threshold_of(organisation.pk)
    if amount is None:
        ChargeThreshold.objects.filter(organisation=organisation).delete()
        row = None
    else:
        if Decimal(amount) < 0:
            raise RuleBroken(
                _("金额不能为负数。"),
                rule="negative_money",
                fields={"amount": [_("金额不能为负数。")]},
            )
        row, _created = ChargeThreshold.objects.update_or_create(
            organisation=organisation, defaults={"amount": amount, "updated_by": by}
        )
    audit_record(
        actor=by,
        action="project.threshold",
        target=organisation,
        changes={"amount": [str(before), str(amount)]},
    )
    return row


def _locked(approval: ChargeApproval) -> ChargeApproval:
    return (
        ChargeApproval.objects.select_for_update(of=("self",))
        .select_related("project__investigator", "requester", "booking", "order")
        .get(pk=approval.pk)
    )


def _decided(approval: ChargeApproval, *, by: User, to: str, reason: str) -> None:
    approval.status = to
    approval.decided_by = by
    approval.decided_at = timezone.now()
    approval.reason = reason
    approval.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    changes = {"status": [ChargeApproval.Status.PENDING, to]}
    if reason:
        changes["reason"] = reason
    audit_record(actor=by, action=f"project.charge.{to}", target=approval, changes=changes)


@transaction.atomic
def charge_approve(*, approval: ChargeApproval, by: User, reason: str = "") -> ChargeApproval:
    """The investigator agrees: the manager may now approve the booking (one on an instrument
    that needs no approval is approved at once) or receive the order's samples."""
    reason = " ".join((reason or "").split())[:300]
    approval = _locked(approval)
    require(rules.may_decide_charge(user=by, approval=approval))
    _decided(approval, by=by, to=ChargeApproval.Status.APPROVED, reason=reason)
    recipients = [approval.requester]
    if approval.booking_id:
        booking = approval.booking
        if not booking.instrument.approval_required:
            record_transition(
                booking,
                to=Booking.Status.APPROVED,
                by=by,
                reason=_("课题负责人已同意费用，无需仪器审批，自动批准"),
            )
            booking_notify(booking=booking, kind=Notice.APPROVED)
        else:
            recipients += list(booking.instrument.managers.all())
    else:
        recipients += list(approval.order.instrument.managers.all())
    charge_notify(approval=approval, kind=ChargeNotice.APPROVED, recipients=recipients)
    return approval


@transaction.atomic
def charge_reject(*, approval: ChargeApproval, by: User, reason: str) -> ChargeApproval:
    """The investigator refuses, with a reason: the booking is rejected, the order cancelled,
    and what a voucher had reserved for it is released."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise RuleBroken(
            _("请填写拒绝理由。"),
            rule="reason_required",
            fields={"reason": [_("请填写拒绝理由。")]},
        )
    approval = _locked(approval)
    require(rules.may_decide_charge(user=by, approval=approval))
    _decided(approval, by=by, to=ChargeApproval.Status.REJECTED, reason=reason)
    if approval.booking_id:
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=approval.booking_id)
        record_transition(booking, to=Booking.Status.REJECTED, by=by, reason=reason)
        release(booking, refund=True)
        booking_notify(booking=booking, kind=Notice.REJECTED, reason=reason)
    else:
        order_withdraw_unfunded(order=approval.order, by=by, reason=reason)
    charge_notify(approval=approval, kind=ChargeNotice.REJECTED, recipients=[approval.requester])
    return approval
