"""Settlement (兑现): a provider asks an issuing authority to pay the voucher part of its
completed services; the authority's coordinator approves or rejects each line with a reason,
then marks the request paid, which writes the settlement entries and the vouchers' ``settled``.

A redemption stands in at most one line not rejected (the partial unique constraint
settlementline_once_per_redemption): of two requests racing for the same redemptions one
commits and the other's insert fails, which becomes Conflict (409). Lock order: the request,
then the vouchers in key order.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Region, User
from portal.audit.services import audit_record
from portal.errors import Conflict, NotFound, RuleBroken, require
from sharing.bookings.models import SettlementLine, SettlementRequest, Voucher, VoucherEntry
from sharing.bookings.vouchers import rules as vrules
from sharing.bookings.vouchers.selectors import settlement_eligible

MAX_PERIOD_DAYS = 366


def _taken() -> Conflict:
    return Conflict(
        _("所选服务已在另一份兑现申请中，请刷新后重试。"), rule="settlement_already_requested"
    )


@transaction.atomic
def settlement_request_create(
    *,
    provider: Organisation,
    issuing_region: Region,
    period_from: datetime.date,
    period_until: datetime.date,
    by: User,
    redemptions: list[int] | None = None,
) -> SettlementRequest:
    """A request for the redemptions of the provider's completed services in the period on
    vouchers the region issued: all that are eligible, or the ones chosen (each must be)."""
    require(vrules.may_request_settlement(user=by, provider=provider))
    if period_from > period_until:
        raise RuleBroken(_("起始日期不能晚于截止日期。"), rule="settlement_period_order")
    if (period_until - period_from).days >= MAX_PERIOD_DAYS:
        raise RuleBroken(_("一份兑现申请最长覆盖一年。"), rule="settlement_period_too_long")
    eligible = settlement_eligible(
        provider_id=provider.pk, region_id=issuing_region.pk, frm=period_from, to=period_until
    )
    if redemptions is not None:
        chosen = set(redemptions)
        entries = list(eligible.filter(pk__in=chosen))
        if len(entries) != len(chosen):
            taken = SettlementLine.objects.filter(entry_id__in=chosen).exclude(
                status=SettlementLine.Status.REJECTED
            )
            if taken.exists():
                raise _taken()
            raise RuleBroken(
                _("所选服务中有不能申请兑现的（未完成、不在期间内或不是该地区发放的创新券）。"),
                rule="settlement_not_eligible",
            )
    else:
        entries = list(eligible)
    if not entries:
        raise RuleBroken(_("该期间没有可申请兑现的服务。"), rule="settlement_nothing")
    request = SettlementRequest.objects.create(
        provider=provider,
        issuing_region=issuing_region,
        period_from=period_from,
        period_until=period_until,
        created_by=by,
        total=sum(e.amount for e in entries),
    )
    try:
        # A savepoint: the losing request's lines fail here, not at the commit.
        with transaction.atomic():
            SettlementLine.objects.bulk_create(
                SettlementLine(request=request, entry=e, amount=e.amount) for e in entries
            )
    except IntegrityError as exc:
        raise _taken() from exc
    audit_record(
        actor=by,
        action="settlement.requested",
        target=request,
        changes={"lines": len(entries), "total": str(request.total)},
    )
    return request


def _locked(request: SettlementRequest) -> SettlementRequest:
    return SettlementRequest.objects.select_for_update().get(pk=request.pk)


def _after_decision(request: SettlementRequest, now: datetime.datetime) -> None:
    """The request's total from its lines not rejected; decided once no line waits."""
    total = request.lines.exclude(status=SettlementLine.Status.REJECTED).aggregate(t=Sum("amount"))[
        "t"
    ]
    request.total = total or 0
    fields = ["total"]
    if not request.lines.filter(status=SettlementLine.Status.PENDING).exists():
        request.status = SettlementRequest.Status.DECIDED
        request.decided_at = now
        fields += ["status", "decided_at"]
    request.save(update_fields=fields)


@transaction.atomic
def settlement_line_decide(
    *,
    request: SettlementRequest,
    line_id: int,
    by: User,
    approve: bool,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> SettlementLine:
    """The authority's coordinator approves or rejects one line (a rejection needs a reason);
    a decided line may be decided again until the request is paid."""
    now = now or timezone.now()
    request = _locked(request)
    require(vrules.may_decide_settlement(user=by, request=request))
    line = request.lines.filter(pk=line_id).first()
    if line is None:
        raise NotFound(_("没有找到这条兑现明细。"))
    reason = reason.strip()
    if not approve and not reason:
        raise RuleBroken(_("驳回时请说明理由。"), rule="reason_required")
    line.status = SettlementLine.Status.APPROVED if approve else SettlementLine.Status.REJECTED
    line.reason = reason[:300]
    line.decided_by, line.decided_at = by, now
    try:
        # A rejected line approved again: its redemption may meanwhile stand in another request.
        with transaction.atomic():
            line.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    except IntegrityError as exc:
        raise _taken() from exc
    _after_decision(request, now)
    audit_record(
        actor=by,
        action=f"settlement.line_{line.status}",
        target=request,
        changes={"line": line.pk, "amount": str(line.amount), "reason": line.reason},
    )
    return line


@transaction.atomic
def settlement_mark_paid(
    *, request: SettlementRequest, by: User, now: datetime.datetime | None = None
) -> SettlementRequest:
    """Every line decided: the approved ones are paid — a settlement entry each and the
    vouchers' ``settled`` raised, under their locks (the check constraint keeps settled ≤
    redeemed; the unique entry per booking keeps a redemption from being settled twice)."""
    now = now or timezone.now()
    request = _locked(request)
    require(vrules.may_decide_settlement(user=by, request=request))
    if request.lines.filter(status=SettlementLine.Status.PENDING).exists():
        raise RuleBroken(_("还有未审核的明细，不能标记兑付。"), rule="settlement_undecided")
    lines = list(
        request.lines.filter(status=SettlementLine.Status.APPROVED)
        .select_related("entry")
        .order_by("entry__voucher_id", "pk")
    )
    voucher_ids = sorted({line.entry.voucher_id for line in lines})
    list(Voucher.objects.select_for_update().filter(pk__in=voucher_ids).order_by("pk"))
    try:
        with transaction.atomic():
            for line in lines:
                VoucherEntry.objects.create(
                    voucher_id=line.entry.voucher_id,
                    booking_id=line.entry.booking_id,
                    order_id=line.entry.order_id,
                    kind=VoucherEntry.Kind.SETTLEMENT,
                    amount=line.amount,
                )
                Voucher.objects.filter(pk=line.entry.voucher_id).update(
                    settled=F("settled") + line.amount
                )
    except IntegrityError as exc:
        raise Conflict(_("其中有服务已兑现过。"), rule="settlement_already_paid") from exc
    request.status = SettlementRequest.Status.PAID
    request.paid_at, request.paid_by = now, by
    request.save(update_fields=["status", "paid_at", "paid_by"])
    audit_record(
        actor=by,
        action="settlement.paid",
        target=request,
        changes={"lines": len(lines), "paid": str(sum((x.amount for x in lines), 0))},
    )
    return request
