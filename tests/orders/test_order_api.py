"""The sample-order API: ordering, each stage allowed and refused (403 for the wrong person,
409 for the wrong stage, 404 for outsiders), the quote, the report upload and its download."""

import datetime
import os
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.notifications.models import Notification
from sharing.bookings.models import OrderReport, SampleOrder, TestItem
from tests.bookings import person, regions
from tests.orders import (
    SAMPLE,
    advance,
    firm_person,
    item,
    manager_person,
    order_for,
    pdf,
    priced_instrument,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def manager(db):
    return manager_person()


@pytest.fixture
def instrument(manager):
    return priced_instrument(managers=[manager])


@pytest.fixture
def customer(db):
    return firm_person()


@pytest.fixture
def colleague(customer):
    return person("colleague", organisation=customer.organisation)


@pytest.fixture
def outsider(db):
    regions()
    return person("outsider")


@pytest.fixture
def order(customer, instrument):
    return order_for(customer, instrument)


def as_(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(order, action=""):
    return f"/api/sample-orders/{order.pk}/" + (f"{action}/" if action else "")


def quote_body(price="240.00", days=7):
    return {"price": price, "date": str(timezone.localdate() + datetime.timedelta(days=days))}


def _files(media) -> list[str]:
    return [f for _root, _dirs, files in os.walk(media) for f in files]


# --- Ordering ---------------------------------------------------------------------------------


def test_a_customer_orders_a_test_and_gets_the_estimate(customer, instrument, manager):
    body = {
        "instrument": instrument.pk,
        "urgent": True,
        "project_name": "轻量化材料",
        "samples": [SAMPLE],
        "items": [
            {"test_item": item(instrument, "物相分析").pk, "quantity": 3},
            {"test_item": item(instrument, "结构精修").pk, "quantity": 1},
        ],
    }
    response = as_(customer).post("/api/sample-orders/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    # 80 × 3 = 240 + 50 % = 360; 300 + 20 % = 360
    assert data["estimate"] == "720.00"
    assert data["status"] == "submitted"
    assert data["organisation"]["id"] == customer.organisation_id
    assert Notification.objects.filter(user=manager, kind="order_submitted").exists()
    assert AuditEvent.objects.filter(action="order.submitted").count() == 1


def test_it_refuses_an_order_without_items_and_writes_nothing(customer, instrument):
    body = {"instrument": instrument.pk, "samples": [SAMPLE], "items": []}
    response = as_(customer).post("/api/sample-orders/", body, format="json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not SampleOrder.objects.exists()


def test_it_refuses_an_item_of_another_instrument(customer, instrument):
    other = priced_instrument()
    body = {
        "instrument": instrument.pk,
        "samples": [SAMPLE],
        "items": [{"test_item": item(other, "物相分析").pk, "quantity": 1}],
    }
    response = as_(customer).post("/api/sample-orders/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "test_item_unavailable"


def test_it_refuses_an_order_on_an_instrument_without_testing(customer, instrument):
    instrument.test_items.update(active=False)
    body = {
        "instrument": instrument.pk,
        "samples": [SAMPLE],
        "items": [{"test_item": item(instrument, "物相分析").pk, "quantity": 1}],
    }
    response = as_(customer).post("/api/sample-orders/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["rule"] in {"no_testing", "test_item_unavailable"}


def test_lists_show_the_customer_theirs_and_the_manager_their_instruments(
    order, customer, manager, outsider
):
    assert [o["id"] for o in as_(customer).get("/api/sample-orders/").json()["results"]] == [
        order.pk
    ]
    managed = as_(manager).get("/api/sample-orders/?role=manager").json()["results"]
    assert [o["id"] for o in managed] == [order.pk]
    assert as_(outsider).get("/api/sample-orders/?role=manager").json()["results"] == []
    assert as_(outsider).get(url(order)).status_code == 404


# --- The quote --------------------------------------------------------------------------------


def test_the_manager_quotes_and_the_customer_is_told(order, manager, customer):
    response = as_(manager).post(url(order, "quote"), quote_body("250.50"), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["quoted_price"] == "250.50"
    assert Notification.objects.filter(user=customer, kind="order_quoted").exists()


def test_a_quote_below_zero_is_refused_and_changes_nothing(order, manager):
    response = as_(manager).post(url(order, "quote"), quote_body("-1.00"), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "negative_money"
    order.refresh_from_db()
    assert (order.status, order.quoted_price) == ("submitted", None)


def test_the_customer_may_not_quote(order, customer):
    assert as_(customer).post(url(order, "quote"), quote_body(), format="json").status_code == 403


def test_an_outsider_does_not_find_the_order(order, outsider):
    assert as_(outsider).post(url(order, "quote"), quote_body(), format="json").status_code == 404
    assert (
        as_(outsider).post(url(order, "cancel"), {"reason": "x"}, format="json").status_code == 404
    )


def test_the_manager_may_change_the_quote_until_it_is_accepted(order, manager, customer):
    advance(order, "quoted", manager=manager, customer=customer)
    assert (
        as_(manager).post(url(order, "quote"), quote_body("260"), format="json").status_code == 200
    )
    as_(customer).post(url(order, "accept"))
    assert as_(manager).post(url(order, "quote"), quote_body("1"), format="json").status_code == 409


# --- Accepting ---------------------------------------------------------------------------------


def test_the_customer_accepts_once_and_the_quote_becomes_the_fee(order, manager, customer):
    advance(order, "quoted", manager=manager, customer=customer)
    first = as_(customer).post(url(order, "accept"))
    assert first.status_code == 200
    assert first.json()["fee"] == "240.00"
    second = as_(customer).post(url(order, "accept"))
    assert second.status_code == 409
    assert second.json()["error"]["rule"] == "wrong_status"
    assert order.transitions.filter(to_status="accepted").count() == 1


def test_accepting_before_the_quote_is_409(order, customer):
    assert as_(customer).post(url(order, "accept")).status_code == 409


def test_the_manager_may_not_accept_for_the_customer(order, manager, customer):
    advance(order, "quoted", manager=manager, customer=customer)
    assert as_(manager).post(url(order, "accept")).status_code == 403


# --- Receiving, testing, closing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "ready_at"),
    [("receive", "accepted"), ("start", "received"), ("close", "reported")],
)
def test_each_manager_step_is_409_at_the_wrong_stage_and_403_for_the_customer(
    order, manager, customer, action, ready_at
):
    assert as_(manager).post(url(order, action)).status_code == 409
    advance(order, ready_at, manager=manager, customer=customer)
    assert as_(customer).post(url(order, action)).status_code == 403
    response = as_(manager).post(url(order, action))
    assert response.status_code == 200, response.content
    assert as_(manager).post(url(order, action)).status_code == 409


def test_every_stage_has_its_time_and_history(order, manager, customer):
    order = advance(order, "closed", manager=manager, customer=customer)
    order.refresh_from_db()
    assert all(
        getattr(order, f) is not None
        for f in ("quoted_at", "accepted_at", "received_at", "started_at", "reported_at")
    )
    assert order.closed_at is not None
    assert list(order.transitions.values_list("to_status", flat=True)) == [
        "submitted",
        "quoted",
        "accepted",
        "received",
        "testing",
        "reported",
        "closed",
    ]
    assert AuditEvent.objects.filter(action__startswith="order.").count() == 7


# --- The report ---------------------------------------------------------------------------------


def test_the_manager_uploads_a_pdf_report(order, manager, customer, media):
    advance(order, "testing", manager=manager, customer=customer)
    response = as_(manager).post(url(order, "report"), {"file": pdf()}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "reported"
    assert response.json()["has_report"] is True
    report = OrderReport.objects.get(order=order)
    assert report.file.name.startswith("orders/")
    assert Notification.objects.filter(user=customer, kind="order_reported").exists()


def test_a_report_that_is_not_a_pdf_is_400_and_nothing_is_written(order, manager, customer, media):
    advance(order, "testing", manager=manager, customer=customer)
    fake = pdf("report.pdf", b"MZ\x90\x00 not a pdf at all")
    response = as_(manager).post(url(order, "report"), {"file": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "upload_type"
    order.refresh_from_db()
    assert order.status == "testing"
    assert not OrderReport.objects.exists()
    assert _files(media) == []


def test_a_report_too_large_is_400(order, manager, customer, monkeypatch):
    from sharing.bookings.orders import services

    monkeypatch.setattr(services, "REPORT_MAX_BYTES", 10)
    advance(order, "testing", manager=manager, customer=customer)
    response = as_(manager).post(url(order, "report"), {"file": pdf()}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "upload_size"


def test_a_report_before_testing_is_409_and_by_the_customer_403(order, manager, customer, media):
    assert (
        as_(manager).post(url(order, "report"), {"file": pdf()}, format="multipart").status_code
        == 409
    )
    advance(order, "testing", manager=manager, customer=customer)
    assert (
        as_(customer).post(url(order, "report"), {"file": pdf()}, format="multipart").status_code
        == 403
    )
    assert _files(media) == []


def test_the_report_downloads_only_for_the_customer_and_the_managers(
    order, manager, customer, colleague, outsider
):
    assert as_(customer).get(url(order, "report")).status_code == 404  # no report yet
    advance(order, "reported", manager=manager, customer=customer)
    response = as_(customer).get(url(order, "report"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert as_(manager).get(url(order, "report")).status_code == 200
    assert as_(colleague).get(url(order, "report")).status_code == 404
    assert as_(outsider).get(url(order, "report")).status_code == 404
    assert APIClient().get(url(order, "report")).status_code in {401, 403}


def test_a_customer_who_left_the_organisation_loses_the_report(order, manager, customer):
    advance(order, "reported", manager=manager, customer=customer)
    customer.organisation = person("elsewhere").organisation
    customer.save(update_fields=["organisation"])
    assert as_(customer).get(url(order, "report")).status_code == 403


# --- Cancelling -------------------------------------------------------------------------------


def test_the_customer_cancels_before_accepting_with_a_reason(order, customer, manager):
    assert (
        as_(customer).post(url(order, "cancel"), {"reason": ""}, format="json").status_code == 400
    )
    response = as_(customer).post(url(order, "cancel"), {"reason": "样品未备齐"}, format="json")
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "样品未备齐"
    assert Notification.objects.filter(user=manager, kind="order_cancelled").exists()


def test_the_customer_may_not_cancel_after_accepting(order, customer, manager):
    advance(order, "accepted", manager=manager, customer=customer)
    response = as_(customer).post(url(order, "cancel"), {"reason": "不要了"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["rule"] == "customer_cancel_too_late"


def test_the_manager_cancels_until_the_report(order, customer, manager):
    advance(order, "testing", manager=manager, customer=customer)
    response = as_(manager).post(url(order, "cancel"), {"reason": "仪器故障"}, format="json")
    assert response.status_code == 200
    assert Notification.objects.filter(user=customer, kind="order_cancelled").exists()


def test_nobody_cancels_a_reported_order(order, customer, manager):
    advance(order, "reported", manager=manager, customer=customer)
    assert (
        as_(manager).post(url(order, "cancel"), {"reason": "x"}, format="json").status_code == 409
    )


def test_someone_else_who_sees_nothing_cannot_cancel(order, colleague):
    assert (
        as_(colleague).post(url(order, "cancel"), {"reason": "x"}, format="json").status_code == 404
    )


# --- The database's word -------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"voucher_part": Decimal("10.00")},  # more than the fee (0)
        {"fee": Decimal("-1.00")},
        {"status": "quoted"},  # without a quote
        {"status": "closed"},  # without its stage times
        {"status": "cancelled"},  # without a reason
    ],
)
def test_the_database_refuses_an_inconsistent_order(order, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        SampleOrder.objects.filter(pk=order.pk).update(**change)


def test_an_order_has_one_report(order, manager, customer):
    advance(order, "reported", manager=manager, customer=customer)
    report = OrderReport.objects.get(order=order)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderReport.objects.create(
            order=order, file=report.file.name, original_name="b.pdf", size=1, uploaded_by=manager
        )


# --- The price list -------------------------------------------------------------------------


def test_anyone_reads_a_shared_instruments_active_items(instrument):
    item(instrument, "结构精修").__class__.objects.filter(name="结构精修").update(active=False)
    response = APIClient().get(f"/api/instruments/{instrument.pk}/test-items/")
    assert response.status_code == 200
    assert [i["name"] for i in response.json()] == ["物相分析"]


def test_managers_keep_the_price_list(instrument, manager, outsider):
    base = f"/api/instruments/{instrument.pk}/test-items/"
    body = {"name": "粒度分析", "unit": "per_sample", "price": "50.00", "minimum_charge": "100"}
    assert as_(outsider).post(base, body, format="json").status_code == 403
    created = as_(manager).post(base, body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert as_(manager).post(base, body, format="json").status_code == 400  # same name
    negative = as_(manager).post(base, {**body, "name": "负", "price": "-1"}, format="json")
    assert negative.status_code == 400
    changed = as_(manager).patch(f"{base}{pk}/", {"price": "55.50"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["price"] == "55.50"
    assert as_(outsider).patch(f"{base}{pk}/", {"price": "1"}, format="json").status_code == 403
    assert as_(manager).delete(f"{base}{pk}/").status_code == 204
    assert not TestItem.objects.filter(pk=pk).exists()


def test_removing_an_ordered_item_only_sets_it_inactive(order, instrument, manager):
    ordered = item(instrument, "物相分析")
    url_ = f"/api/instruments/{instrument.pk}/test-items/{ordered.pk}/"
    assert as_(manager).delete(url_).status_code == 204
    ordered.refresh_from_db()
    assert ordered.active is False
