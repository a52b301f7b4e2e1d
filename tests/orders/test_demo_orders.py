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
