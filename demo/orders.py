"""Demo sample-testing orders (委托测试): price lists on a few sample instruments and orders in
every stage, so the order pages and the manager's list have something to show. Two of
researcher_mianyang's orders are paid in part with the organisation's history voucher through
the real services: its part reserved at submission (held while quoted) and redeemed when the
report is issued (the closed one). Demo only.

Written once: items are kept by name per instrument, and the orders only when no demo order
exists yet (they carry DEMO_TAG in their project name), so a second load adds nothing.
"""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.accounts.models import User
from sharing.bookings.models import SampleLine, SampleOrder, TestItem
from sharing.bookings.orders import services
from sharing.bookings.vouchers.selectors import voucher_usable
from sharing.catalogue.models import Instrument

DEMO_TAG = "（演示）"
PER_SAMPLE, PER_ITEM = TestItem.Unit.PER_SAMPLE, TestItem.Unit.PER_ITEM

# internal code → (name, unit, price, minimum charge, urgent surcharge %)
PRICE_LISTS = {
    "SWU-2017-0042": [
        ("TEM 形貌观察", PER_SAMPLE, "600.00", "600.00", "50"),
        ("高分辨像与选区电子衍射", PER_SAMPLE, "900.00", "900.00", "50"),
        ("EDS 能谱面扫", PER_ITEM, "300.00", "0", "30"),
    ],
    "SWU-2019-0001": [
        ("SEM 形貌观察", PER_SAMPLE, "200.00", "200.00", "50"),
        ("EDS 能谱点分析", PER_ITEM, "150.00", "0", "30"),
    ],
    "CIGIT-2020-0107": [
        ("XRD 物相定性分析", PER_SAMPLE, "150.00", "300.00", "30"),
    ],
}

# (customer, instrument, item names with quantities, samples, stage, urgent, project)
ORDERS = [
    (
        "firm_demo",
        "SWU-2017-0042",
        [("TEM 形貌观察", 2)],
        ("纳米银粉", 2, "powder"),
        "submitted",
        False,
        "纳米银浆",
    ),
    (
        "researcher_mianyang",
        "SWU-2019-0001",
        [("SEM 形貌观察", 3), ("EDS 能谱点分析", 2)],
        ("钛合金断口", 3, "solid"),
        "quoted",
        True,
        "航空紧固件失效分析",
    ),
    (
        "firm_demo",
        "SWU-2019-0001",
        [("SEM 形貌观察", 4)],
        ("镀层样片", 4, "film"),
        "accepted",
        False,
        "镀层工艺改进",
    ),
    (
        "researcher_beibei",
        "SWU-2017-0042",
        [("EDS 能谱面扫", 2)],
        ("锂电正极材料", 2, "powder"),
        "received",
        False,
        "高镍正极表征",
    ),
    (
        "researcher_mianyang",
        "SWU-2017-0042",
        [("高分辨像与选区电子衍射", 1)],
        ("石墨烯分散液", 1, "liquid"),
        "testing",
        False,
        "二维材料表征",
    ),
    (
        "firm_demo",
        "SWU-2017-0042",
        [("TEM 形貌观察", 1), ("EDS 能谱面扫", 1)],
        ("催化剂颗粒", 1, "powder"),
        "reported",
        True,
        "催化剂研发",
    ),
    (
        "researcher_mianyang",
        "SWU-2019-0001",
        [("SEM 形貌观察", 2)],
        ("陶瓷涂层", 2, "solid"),
        "closed",
        False,
        "热障涂层",
    ),
    (
        "firm_demo",
        "SWU-2019-0001",
        [("SEM 形貌观察", 1)],
        ("塑料薄膜", 1, "film"),
        "cancelled",
        False,
        "包装材料",
    ),
]
# (customer, project) of the orders paid in part with a voucher.
VOUCHER_PAID = {
    ("researcher_mianyang", "航空紧固件失效分析"),
    ("researcher_mianyang", "热障涂层"),
}
STAGES = ("quoted", "accepted", "received", "testing", "reported", "closed")
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def orders_demo_load(*, users: dict[str, User], fallback_manager: User) -> dict[str, int]:
    instruments = {
        i.internal_code: i
        for i in Instrument.objects.filter(
            source__name="demo-sample", internal_code__in=PRICE_LISTS
        )
    }
    items = 0
    for code, rows in PRICE_LISTS.items():
        instrument = instruments.get(code)
        if instrument is None:
            continue
        for name, unit, price, minimum, urgent in rows:
            _, created = TestItem.objects.get_or_create(
                instrument=instrument,
                name=name,
                defaults={
                    "unit": unit,
                    "price": Decimal(price),
                    "minimum_charge": Decimal(minimum),
                    "urgent_surcharge_percent": Decimal(urgent),
                },
            )
            items += created
    if SampleOrder.objects.filter(project_name__endswith=DEMO_TAG).exists():
        return {"test_items": items, "orders": 0}
    written = 0
    for customer, code, lines, sample, stage, urgent, project in ORDERS:
        instrument = instruments.get(code)
        if instrument is None or customer not in users:
            continue
        manager = instrument.managers.order_by("pk").first() or fallback_manager
        _order(
            customer=users[customer],
            manager=manager,
            instrument=instrument,
            lines=lines,
            sample=sample,
            stage=stage,
            urgent=urgent,
            project=project + DEMO_TAG,
            voucher=_voucher(users[customer], instrument)
            if (customer, project) in VOUCHER_PAID
            else None,
        )
        written += 1
    return {"test_items": items, "orders": written}


def _voucher(customer: User, instrument: Instrument):
    """The customer's organisation's history voucher usable here today (the demo voucher
    people try the forms with is left whole), or None."""
    return (
        voucher_usable(user=customer, instrument=instrument, start=timezone.now())
        .filter(code__startswith="DEMO-HIST-")
        .first()
    )


def _order(*, customer, manager, instrument, lines, sample, stage, urgent, project, voucher):
    name, count, form = sample
    order = services.order_create(
        customer=customer,
        instrument=instrument,
        samples=[
            {
                "name": name,
                "count": count,
                "form": form,
                "hazards": "",
                "afterwards": SampleLine.Afterwards.RETURN,
            }
        ],
        items=[(instrument.test_items.get(name=item), qty) for item, qty in lines],
        urgent=urgent,
        project_name=project,
        voucher=voucher,
    )
    if stage == "cancelled":
        return services.order_cancel(order=order, by=customer, reason="样品需重新制备（演示）")
    for step in STAGES:
        if stage == "submitted":
            break
        order = _step(order, step, customer=customer, manager=manager)
        if step == stage:
            break
    return order


def _step(order, step, *, customer, manager):
    if step == "quoted":
        return services.order_quote(
            order=order,
            by=manager,
            price=order.estimate,
            date=timezone.localdate() + datetime.timedelta(days=7),
            note="按价目表报价（演示）",
        )
    if step == "accepted":
        return services.order_accept(order=order, by=customer)
    if step == "received":
        return services.order_receive(order=order, by=manager)
    if step == "testing":
        return services.order_start(order=order, by=manager)
    if step == "reported":
        upload = SimpleUploadedFile("demo-report.pdf", DEMO_PDF, content_type="application/pdf")
        return services.order_report(order=order, by=manager, upload=upload)
    return services.order_close(order=order, by=manager)
