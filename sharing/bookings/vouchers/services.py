"""Issuing 科技创新券 (innovation vouchers), honoured in every region they list (通用通兑), and
the applications for them decided by the issuing region's coordinator."""

import datetime
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Region, User
from portal.audit.services import audit_record
from portal.errors import RuleBroken, require
from sharing.bookings.fees import CENT
from sharing.bookings.models import Voucher, VoucherApplication
from sharing.bookings.vouchers import rules as vrules


def _new_code(region: Region, valid_from: datetime.date) -> str:
    # adcode-year-random: readable on paper, unguessable enough not to be enumerated.
    return f"{region.adcode}-{valid_from:%Y}-{secrets.token_hex(4).upper()}"


@transaction.atomic
def voucher_issue(
    *,
    issuing_region: Region,
    organisation: Organisation,
    amount: Decimal,
    valid_from: datetime.date,
    valid_until: datetime.date,
    accepted_in: list[Region],
    code: str | None = None,
) -> Voucher:
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(CENT):
        raise RuleBroken(_("创新券面额须为正数，精确到分。"), rule="voucher_amount")
    if valid_from > valid_until:
        raise RuleBroken(_("创新券的生效日期不能晚于截止日期。"), rule="voucher_validity_order")
    if not accepted_in:
        raise RuleBroken(_("创新券至少要在一个地区通用。"), rule="voucher_accepted_nowhere")
    voucher = Voucher.objects.create(
        code=code or _new_code(issuing_region, valid_from),
        issuing_region=issuing_region,
        organisation=organisation,
        amount=amount,
        balance=amount,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    voucher.accepted_in.set(accepted_in)
    return voucher


# --- Applications -----------------------------------------------------------------------------


@transaction.atomic
def application_submit(
    *, applicant: User, issuing_region: Region, purpose: str, amount: Decimal
) -> VoucherApplication:
    """An organisation's member asks the region's 科技局 for a voucher."""
    require(vrules.may_apply(user=applicant, region=issuing_region))
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(CENT):
        raise RuleBroken(_("申请金额须为正数，精确到分。"), rule="voucher_amount")
    purpose = purpose.strip()
    if not purpose:
        raise RuleBroken(_("请说明创新券的拟使用用途。"), rule="voucher_purpose")
    application = VoucherApplication(
        organisation_id=applicant.organisation_id,
        applicant=applicant,
        issuing_region=issuing_region,
        purpose=purpose,
        amount_requested=amount,
    )
    application.full_clean(exclude=["organisation", "applicant", "issuing_region"])
    application.save()
    audit_record(
        actor=applicant,
        action="voucher_application.submitted",
        target=application,
        changes={"region": issuing_region.code, "amount": str(amount)},
    )
    return application


def _locked_application(application: VoucherApplication) -> VoucherApplication:
    return (
        VoucherApplication.objects.select_for_update(of=("self",))
        .select_related("organisation", "issuing_region")
        .get(pk=application.pk)
    )


@transaction.atomic
def application_approve(
    *,
    application: VoucherApplication,
    by: User,
    amount: Decimal,
    valid_from: datetime.date,
    valid_until: datetime.date,
    accepted_in: list[Region],
    now: datetime.datetime | None = None,
) -> VoucherApplication:
    """The issuing region's coordinator approves: the voucher is issued with the amount,
    validity and scope decided; the application keeps them and names the voucher."""
    application = _locked_application(application)
    require(vrules.may_decide_application(user=by, application=application))
    voucher = voucher_issue(
        issuing_region=application.issuing_region,
        organisation=application.organisation,
        amount=amount,
        valid_from=valid_from,
        valid_until=valid_until,
        accepted_in=accepted_in,
    )
    application.status = VoucherApplication.Status.APPROVED
    application.amount = voucher.amount
    application.valid_from, application.valid_until = valid_from, valid_until
    application.voucher = voucher
    application.decided_by = by
    application.decided_at = now or timezone.now()
    application.save()
    application.accepted_in.set(accepted_in)
    audit_record(
        actor=by,
        action="voucher_application.approved",
        target=application,
        changes={"voucher": voucher.code, "amount": str(voucher.amount)},
    )
    return application


@transaction.atomic
def application_reject(
    *,
    application: VoucherApplication,
    by: User,
    reason: str,
    now: datetime.datetime | None = None,
) -> VoucherApplication:
    application = _locked_application(application)
    require(vrules.may_decide_application(user=by, application=application))
    reason = reason.strip()
    if not reason:
        raise RuleBroken(_("驳回时请说明理由。"), rule="reason_required")
    application.status = VoucherApplication.Status.REJECTED
    application.reason = reason[:300]
    application.decided_by = by
    application.decided_at = now or timezone.now()
    application.full_clean(exclude=["organisation", "applicant", "issuing_region", "voucher"])
    application.save()
    audit_record(
        actor=by,
        action="voucher_application.rejected",
        target=application,
        changes={"reason": application.reason},
    )
    return application
