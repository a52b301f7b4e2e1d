"""Writes of sample-testing orders and of the price list they are priced from.

Every status change locks the order's row (select_for_update), asks its rule (403 for the
wrong person, 409 for the wrong stage), records a transition, an audit line and a notice, in
one transaction. The voucher part is reserved, redeemed and released in vouchers.py only.
"""

import datetime
import os
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import Conflict, RuleBroken, require
from portal.uploads import check_upload, safe_upload_name
from sharing.bookings.models import (
    OrderItem,
    OrderReport,
    Project,
    SampleLine,
    SampleOrder,
    SampleOrderTransition,
    TestItem,
    Voucher,
)
from sharing.bookings.orders import pricing, rules
from sharing.bookings.orders.notices import OrderNotice, order_notify
from sharing.bookings.orders.vouchers import (
    order_voucher_redeem,
    order_voucher_release,
    order_voucher_reserve,
)
from sharing.bookings.projects import rules as project_rules
from sharing.bookings.projects.charges import charge_approval_open
from sharing.bookings.rules import may_manage_instrument
from sharing.catalogue.models import Instrument

S = SampleOrder.Status
REPORT_MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 50
TEST_ITEM_FIELDS = ("name", "unit", "price", "minimum_charge", "urgent_surcharge_percent", "active")


# --- The price list ----------------------------------------------------------------------------


def _money_checked(**amounts) -> None:
    for field, value in amounts.items():
        if value is not None and Decimal(value) < 0:
            raise RuleBroken(
                _("金额不能为负数。"),
                rule="negative_money",
                fields={field: [_("金额不能为负数。")]},
            )


def _name_free(instrument: Instrument, name: str, *, exclude: int | None = None) -> None:
    taken = instrument.test_items.filter(name=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise RuleBroken(
            _("该仪器已有同名检测项目。"),
            rule="test_item_name_taken",
            fields={"name": [_("该仪器已有同名检测项目。")]},
        )


@transaction.atomic
def test_item_create(*, by: User, instrument: Instrument, **fields) -> TestItem:
    require(may_manage_instrument(user=by, instrument=instrument))
    Instrument.objects.select_for_update().filter(pk=instrument.pk).first()
    _money_checked(price=fields.get("price"), minimum_charge=fields.get("minimum_charge"))
    _name_free(instrument, fields["name"])
    item = TestItem.objects.create(
        instrument=instrument, **{k: v for k, v in fields.items() if k in TEST_ITEM_FIELDS}
    )
    audit_record(
        actor=by,
        action="order.test_item.create",
        target=item,
        changes={"name": item.name, "price": str(item.price), "unit": item.unit},
    )
    return item


@transaction.atomic
def test_item_update(*, by: User, item: TestItem, **fields) -> TestItem:
    item = TestItem.objects.select_for_update().select_related("instrument").get(pk=item.pk)
    require(may_manage_instrument(user=by, instrument=item.instrument))
    _money_checked(price=fields.get("price"), minimum_charge=fields.get("minimum_charge"))
    if "name" in fields:
        _name_free(item.instrument, fields["name"], exclude=item.pk)
    changes = {}
    for field, value in fields.items():
        if field in TEST_ITEM_FIELDS and getattr(item, field) != value:
            changes[field] = [str(getattr(item, field)), str(value)]
            setattr(item, field, value)
    if changes:
        item.save()
        audit_record(actor=by, action="order.test_item.update", target=item, changes=changes)
    return item


@transaction.atomic
def test_item_remove(*, by: User, item: TestItem) -> None:
    """Delete an item never ordered; one that orders refer to is only set inactive (it stays
    as their price record)."""
    item = TestItem.objects.select_for_update().select_related("instrument").get(pk=item.pk)
    require(may_manage_instrument(user=by, instrument=item.instrument))
    audit_record(
        actor=by, action="order.test_item.remove", target=item, changes={"name": item.name}
    )
    if OrderItem.objects.filter(test_item=item).exists():
        item.active = False
        item.save(update_fields=["active", "updated_at"])
    else:
        item.delete()


# --- Orders -------------------------------------------------------------------------------------


def _locked(order: SampleOrder) -> SampleOrder:
    """The row again, locked: two presses of one button must not both win."""
    return (
        SampleOrder.objects.select_for_update(of=("self",))
        .select_related("instrument", "customer")
        .get(pk=order.pk)
    )


def _transition(
    order: SampleOrder,
    *,
    to: str,
    by: User,
    kind: str,
    reason: str = "",
    fields: tuple[str, ...] = (),
) -> SampleOrder:
    before = order.status
    order.status = to
    order.save(update_fields=["status", "updated_at", *fields])
    transition = SampleOrderTransition.objects.create(
        order=order, from_status=before, to_status=to, by=by, reason=reason[:300]
    )
    changes = {"status": [before, to]}
    if reason:
        changes["reason"] = reason[:300]
    for field in fields:
        value = getattr(order, field)
        changes[field] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    audit_record(actor=by, action=f"order.{to}", target=order, changes=changes)
    order_notify(order=order, kind=kind, by=by, reason=reason, extra=str(transition.pk))
    return order


@transaction.atomic
def order_create(
    *,
    customer: User,
    instrument: Instrument,
    samples: list[dict],
    items: list[tuple[TestItem, int]],
    urgent: bool = False,
    project_name: str = "",
    notes: str = "",
    voucher: Voucher | None = None,
    project: Project | None = None,
) -> SampleOrder:
    """A new order, priced from the instrument's active items; the voucher chosen, if any,
    reserves its part of the estimate (refused, nothing written, when it may not pay). Charged
    to a project (of the customer's organisation, active), its name is the project name."""
    require(rules.may_order(user=customer, instrument=instrument))
    if project is not None:
        require(project_rules.may_charge_to(user=customer, project=project))
        project_name = project.name
    if not samples:
        raise RuleBroken(
            _("请至少填写一个样品。"),
            rule="no_samples",
            fields={"samples": [_("请至少填写一个样品。")]},
        )
    if not items:
        raise RuleBroken(
            _("请至少选择一个检测项目。"),
            rule="no_items",
            fields={"items": [_("请至少选择一个检测项目。")]},
        )
    if len(samples) > MAX_LINES or len(items) > MAX_LINES:
        raise RuleBroken(_("样品或检测项目不能超过 50 行。"), rule="too_many_lines")
    seen = set()
    for item, _qty in items:
        if item.instrument_id != instrument.pk or not item.active:
            raise RuleBroken(
                _("检测项目“%(name)s”不属于该仪器或已停用。") % {"name": item.name},
                rule="test_item_unavailable",
                fields={"items": [_("检测项目不可用。")]},
            )
        if item.pk in seen:
            raise RuleBroken(
                _("同一检测项目只能选择一次。"),
                rule="test_item_twice",
                fields={"items": [_("同一检测项目只能选择一次。")]},
            )
        seen.add(item.pk)
    total, priced = pricing.estimate(lines=items, urgent=urgent)
    order = SampleOrder.objects.create(
        instrument=instrument,
        customer=customer,
        organisation_id=customer.organisation_id,
        project_name=project_name,
        project=project,
        urgent=urgent,
        notes=notes,
        estimate=total,
        voucher=voucher,
    )
    SampleLine.objects.bulk_create(SampleLine(order=order, **sample) for sample in samples)
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            test_item=line.item,
            quantity=line.quantity,
            unit=line.item.unit,
            unit_price=line.item.price,
            amount=line.amount,
        )
        for line in priced
    )
    transition = SampleOrderTransition.objects.create(
        order=order, from_status="", to_status=S.SUBMITTED, by=customer
    )
    audit_record(
        actor=customer,
        action="order.submitted",
        target=order,
        changes={"status": ["", S.SUBMITTED], "estimate": str(total)},
    )
    order_voucher_reserve(order=order)
    order_notify(order=order, kind=OrderNotice.SUBMITTED, by=customer, extra=str(transition.pk))
    return order


@transaction.atomic
def order_quote(
    *, order: SampleOrder, by: User, price: Decimal, date: datetime.date, note: str = ""
) -> SampleOrder:
    """The manager confirms or changes the price and the date the report is promised for."""
    if price is None or Decimal(price) < 0:
        raise RuleBroken(
            _("报价不能为负数。"), rule="negative_money", fields={"price": [_("报价不能为负数。")]}
        )
    order = _locked(order)
    require(rules.may_quote(user=by, order=order))
    if date < timezone.localdate():
        raise RuleBroken(
            _("承诺日期不能早于今天。"),
            rule="quote_date_past",
            fields={"date": [_("承诺日期不能早于今天。")]},
        )
    order.quoted_price = pricing.to_fen(price)
    order.quoted_date = date
    order.quote_note = note
    order.quoted_at = timezone.now()
    return _transition(
        order,
        to=S.QUOTED,
        by=by,
        kind=OrderNotice.QUOTED,
        reason=note,
        fields=("quoted_price", "quoted_date", "quote_note", "quoted_at"),
    )


@transaction.atomic
def order_accept(*, order: SampleOrder, by: User) -> SampleOrder:
    """The customer accepts the quote: it becomes the fee. Charged to a project and above the
    organisation's threshold (and not by the project's investigator), the order then waits for
    the investigator before the samples may be received."""
    order = _locked(order)
    require(rules.may_accept(user=by, order=order))
    order.fee = order.quoted_price
    order.accepted_at = timezone.now()
    order = _transition(
        order, to=S.ACCEPTED, by=by, kind=OrderNotice.ACCEPTED, fields=("fee", "accepted_at")
    )
    if order.project_id is not None:
        project = Project.objects.select_related("investigator").get(pk=order.project_id)
        threshold = project_rules.approval_threshold(
            project=project, requester=order.customer, amount=order.fee
        )
        if threshold is not None:
            charge_approval_open(
                service=order,
                project=project,
                requester=order.customer,
                amount=order.fee,
                threshold=threshold,
            )
    return order


@transaction.atomic
def order_receive(*, order: SampleOrder, by: User, note: str = "") -> SampleOrder:
    order = _locked(order)
    require(rules.may_receive(user=by, order=order))
    order.received_at = timezone.now()
    return _transition(
        order, to=S.RECEIVED, by=by, kind=OrderNotice.RECEIVED, reason=note, fields=("received_at",)
    )


@transaction.atomic
def order_start(*, order: SampleOrder, by: User) -> SampleOrder:
    order = _locked(order)
    require(rules.may_start(user=by, order=order))
    order.started_at = timezone.now()
    return _transition(order, to=S.TESTING, by=by, kind=OrderNotice.TESTING, fields=("started_at",))


@transaction.atomic
def order_report(*, order: SampleOrder, by: User, upload) -> SampleOrder:
    """The manager issues the report: a real PDF (its bytes, not its name), within the size
    limit, stored under a generated name. The order is completed: the voucher part is redeemed
    on the fee. Nothing is written when the file is refused."""
    order = _locked(order)
    require(rules.may_report(user=by, order=order))
    check_upload(upload, kinds={"pdf"}, max_bytes=REPORT_MAX_BYTES)
    original = os.path.basename(str(upload.name).replace("\\", "/"))[:200] or "report.pdf"
    report = OrderReport(order=order, original_name=original, size=upload.size, uploaded_by=by)
    report.file.save(safe_upload_name(original), upload, save=False)
    stored = report.file.name
    try:
        with transaction.atomic():
            report.save()
    except Exception:
        # The row was refused (a second report at once, say): the stored file goes too.
        report.file.storage.delete(stored)
        raise
    order.reported_at = timezone.now()
    order_voucher_redeem(order=order)
    return _transition(
        order,
        to=S.REPORTED,
        by=by,
        kind=OrderNotice.REPORTED,
        fields=("reported_at", "voucher_part"),
    )


@transaction.atomic
def order_close(*, order: SampleOrder, by: User) -> SampleOrder:
    order = _locked(order)
    require(rules.may_close(user=by, order=order))
    order.closed_at = timezone.now()
    return _transition(order, to=S.CLOSED, by=by, kind=OrderNotice.CLOSED, fields=("closed_at",))


@transaction.atomic
def order_cancel(*, order: SampleOrder, by: User, reason: str) -> SampleOrder:
    """The customer before accepting, a manager before the report; always with a reason."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise RuleBroken(
            _("请填写取消理由。"),
            rule="reason_required",
            fields={"reason": [_("请填写取消理由。")]},
        )
    order = _locked(order)
    require(rules.may_cancel(user=by, order=order))
    return _cancelled(order, by=by, reason=reason)


@transaction.atomic
def order_withdraw_unfunded(*, order: SampleOrder, by: User, reason: str) -> SampleOrder:
    """The project's investigator rejected the charge: the order is cancelled with that reason
    and its voucher reservation released. The caller (projects.services) asked its rule."""
    order = _locked(order)
    if order.status in (S.CANCELLED, *SampleOrder.COMPLETED):
        raise Conflict(_("该委托已结束，不能取消。"), rule="wrong_status")
    return _cancelled(order, by=by, reason=reason[:300])


def _cancelled(order: SampleOrder, *, by: User, reason: str) -> SampleOrder:
    """Cancel a locked order whose caller has asked its rule: the voucher reservation goes back."""
    order.cancel_reason = reason
    order.cancelled_at = timezone.now()
    order_voucher_release(order=order)
    return _transition(
        order,
        to=S.CANCELLED,
        by=by,
        kind=OrderNotice.CANCELLED,
        reason=reason,
        fields=("cancel_reason", "cancelled_at"),
    )
