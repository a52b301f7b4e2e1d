"""The demo's sample orders: price lists on a few instruments, orders in every stage, written
once however often the demo is loaded."""

import pytest
from django.core.management import call_command

from sharing.bookings.models import OrderReport, SampleOrder, TestItem

pytestmark = pytest.mark.django_db


def test_the_demo_has_orders_in_every_stage_and_loads_twice_the_same(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo")
    statuses = set(SampleOrder.objects.values_list("status", flat=True))
    assert statuses == set(SampleOrder.Status.values)
    assert TestItem.objects.values("instrument").distinct().count() == 3
    assert OrderReport.objects.count() == 2  # the reported order and the closed one
    before = (SampleOrder.objects.count(), TestItem.objects.count(), OrderReport.objects.count())
    call_command("load_demo")
    after = (SampleOrder.objects.count(), TestItem.objects.count(), OrderReport.objects.count())
    assert after == before


def test_the_demo_pays_orders_with_a_voucher_through_the_ledger(settings, tmp_path):
    from sharing.bookings.models import SettlementLine, VoucherEntry
    from sharing.bookings.vouchers.ledger import ledger_differences

    settings.DEBUG = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo")
    held = VoucherEntry.objects.get(order__status="quoted", kind="reservation")
    assert not VoucherEntry.objects.filter(order=held.order).exclude(pk=held.pk).exists()
    closed = SampleOrder.objects.get(status="closed", voucher__isnull=False)
    redemption = VoucherEntry.objects.get(order=closed, kind="redemption")
    assert closed.voucher_part == redemption.amount > 0
    assert closed.voucher.code.startswith("DEMO-HIST-")
    # 西南大学's waiting request to Mianyang asks for it.
    line = SettlementLine.objects.get(entry=redemption)
    assert (line.request.issuing_region.code, line.request.status) == ("mianyang", "submitted")
    assert ledger_differences() == []
    entries = VoucherEntry.objects.count()
    call_command("load_demo")
    assert VoucherEntry.objects.count() == entries
