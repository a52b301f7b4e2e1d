"""Rows for sample-testing orders (委托测试): the price list, orders and their stages, the
report, and their pages.

An order is seen by its customer (firm), the instrument's managers (manager_this) and
administrators; to anyone else it does not exist (404). Of those who see it, the rule decides
who may act (403): the manager quotes, receives, starts, reports and closes; the customer (or an
administrator) accepts the quote.
"""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sharing.bookings.models import SampleLine, SampleOrder, TestItem
from sharing.bookings.orders import services
from tests.authz.matrix import ALL, LOGIN, ONLY, PAGE, SIGNED_IN, Row

PROJECT = "矩阵委托项目"
PDF = b"%PDF-1.4\n%%EOF\n"
PARTIES = {"firm", "manager_this", "admin"}
MANAGERS = {"manager_this", "admin"}


def setup(w):
    w.test_item = TestItem.objects.create(
        instrument=w.instrument,
        name="矩阵检测项目",
        unit=TestItem.Unit.PER_SAMPLE,
        price=Decimal("80.00"),
        minimum_charge=Decimal("100.00"),
    )
    w.order = _order(w)


def _order(w, to: str = "submitted") -> SampleOrder:
    firm, manager = w.people["firm"], w.people["manager_this"]
    order = services.order_create(
        customer=firm,
        instrument=w.instrument,
        samples=[{"name": "矩阵样品", "count": 2, "form": SampleLine.Form.SOLID}],
        items=[(w.test_item, 2)],
        project_name=PROJECT,
    )
    steps = [
        (
            "quoted",
            lambda o: services.order_quote(
                order=o,
                by=manager,
                price=Decimal("160"),
                date=timezone.localdate() + datetime.timedelta(days=3),
            ),
        ),
        ("accepted", lambda o: services.order_accept(order=o, by=firm)),
        ("received", lambda o: services.order_receive(order=o, by=manager)),
        ("testing", lambda o: services.order_start(order=o, by=manager)),
        ("reported", lambda o: services.order_report(order=o, by=manager, upload=_pdf())),
    ]
    for name, step in steps:
        if to == "submitted":
            break
        order = step(order)
        if name == to:
            break
    return order


def _pdf():
    return SimpleUploadedFile("matrix-report.pdf", PDF, content_type="application/pdf")


def _at(to: str, action: str = ""):
    return lambda w: f"/api/sample-orders/{_order(w, to).pk}/" + (f"{action}/" if action else "")


def _status_of(w):
    return list(SampleOrder.objects.order_by("pk").values_list("pk", "status"))


def _items(w):
    return list(TestItem.objects.order_by("pk").values_list("pk", "name", "price", "active"))


def _quote(w):
    return {"price": "150.00", "date": str(timezone.localdate() + datetime.timedelta(days=5))}


PARTY = ONLY(PARTIES, 200, else_=404)


ROWS = [
    # --- The price list ---
    Row(
        "api:instrument-test-items",
        "GET",
        lambda w: f"/api/instruments/{w.instrument.pk}/test-items/",
        ALL(200),
        secret=lambda w: "矩阵检测项目",
        seen_by=frozenset({"anonymous", *PARTIES} | {"researcher_mianyang", "researcher_beibei"}),
        people=("anonymous", "researcher_mianyang", "manager_this"),
    ),
    Row(
        "api:instrument-test-items",
        "POST",
        lambda w: f"/api/instruments/{w.instrument.pk}/test-items/",
        ONLY(MANAGERS, 201, else_=403),
        body=lambda w: {"name": "矩阵新项目", "unit": "per_item", "price": "10.00"},
        effect=_items,
    ),
    Row(
        "api:instrument-test-item",
        "PATCH",
        lambda w: f"/api/instruments/{w.instrument.pk}/test-items/{w.test_item.pk}/",
        ONLY(MANAGERS, 200, else_=403),
        body=lambda w: {"price": "99.00"},
        effect=_items,
    ),
    Row(
        "api:instrument-test-item",
        "DELETE",
        lambda w: f"/api/instruments/{w.instrument.pk}/test-items/{w.test_item.pk}/",
        ONLY(MANAGERS, 204, else_=403),
        effect=_items,
    ),
    # --- Orders ---
    Row(
        "api:sample-order-list",
        "GET",
        lambda w: "/api/sample-orders/",
        SIGNED_IN(200),
        secret=lambda w: PROJECT,
        seen_by=frozenset({"firm"}),
    ),
    Row(
        "api:sample-order-list",
        "GET",
        lambda w: "/api/sample-orders/?role=manager",
        SIGNED_IN(200),
        secret=lambda w: PROJECT,
        seen_by=frozenset(MANAGERS),
        label="manager",
    ),
    Row(
        "api:sample-order-list",
        "POST",
        lambda w: "/api/sample-orders/",
        SIGNED_IN(201),
        body=lambda w: {
            "instrument": w.instrument.pk,
            "samples": [{"name": "矩阵新样品", "count": 1, "form": "liquid"}],
            "items": [{"test_item": w.test_item.pk, "quantity": 1}],
        },
    ),
    Row(
        "api:sample-order-detail",
        "GET",
        lambda w: f"/api/sample-orders/{w.order.pk}/",
        PARTY,
        secret=lambda w: PROJECT,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "api:sample-order-quote",
        "POST",
        lambda w: f"/api/sample-orders/{w.order.pk}/quote/",
        ONLY(MANAGERS, 200, else_=404) | {"firm": 403},
        body=_quote,
        effect=_status_of,
    ),
    Row(
        "api:sample-order-accept",
        "POST",
        _at("quoted", "accept"),
        ONLY({"firm", "admin"}, 200, else_=404) | {"manager_this": 403},
    ),
    Row(
        "api:sample-order-receive",
        "POST",
        _at("accepted", "receive"),
        ONLY(MANAGERS, 200, else_=404) | {"firm": 403},
    ),
    Row(
        "api:sample-order-start",
        "POST",
        _at("received", "start"),
        ONLY(MANAGERS, 200, else_=404) | {"firm": 403},
    ),
    Row(
        "api:sample-order-report",
        "POST",
        _at("testing", "report"),
        ONLY(MANAGERS, 200, else_=404) | {"firm": 403},
        body=lambda w: {"file": _pdf()},
        fmt="multipart",
    ),
    Row(
        "api:sample-order-report",
        "GET",
        _at("reported", "report"),
        PARTY,
    ),
    Row(
        "api:sample-order-close",
        "POST",
        _at("reported", "close"),
        ONLY(MANAGERS, 200, else_=404) | {"firm": 403},
    ),
    Row(
        "api:sample-order-cancel",
        "POST",
        lambda w: f"/api/sample-orders/{w.order.pk}/cancel/",
        PARTY,
        body=lambda w: {"reason": "矩阵取消"},
        effect=_status_of,
    ),
    # --- Pages ---
    Row(
        "frontend:order-new",
        "GET",
        lambda w: f"/instruments/{w.instrument.pk}/order/",
        PAGE(200),
    ),
    Row("frontend:orders", "GET", lambda w: "/orders/", PAGE(200)),
    Row(
        "frontend:order",
        "GET",
        lambda w: f"/orders/{w.order.pk}/",
        ONLY(PARTIES, 200, else_=404, anon=LOGIN),
        secret=lambda w: PROJECT,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "frontend:order",
        "POST",
        lambda w: f"/orders/{w.order.pk}/",
        ONLY(PARTIES, 302, else_=404, anon=LOGIN),
        body=lambda w: {"action": "cancel", "reason": "矩阵取消"},
        fmt="multipart",
    ),
    Row(
        "frontend:manage-orders",
        "GET",
        lambda w: "/manage/orders/",
        ONLY({"manager_this", "manager_other", "admin"}, 200, else_=403, anon=LOGIN),
        secret=lambda w: "矩阵样品",
        seen_by=frozenset(MANAGERS),
    ),
    Row(
        "frontend:manage-test-items",
        "GET",
        lambda w: f"/manage/instruments/{w.instrument.pk}/tests/",
        ONLY(MANAGERS, 200, else_=403, anon=LOGIN),
    ),
]
