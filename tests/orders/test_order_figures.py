"""Completed sample-testing orders in the figures: counted as external service (对外服务) when
the customer's organisation is not the instrument's, and exported as service records with
服务方式 委托测试 and the number of samples as the quantity."""

import csv
import io

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from portal.accounts.models import Role
from sharing.bookings.indicators import DEFINITIONS, external_orders
from tests.bookings import person
from tests.orders import advance, firm_person, manager_person, order_for, priced_instrument

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def manager(db):
    return manager_person()


@pytest.fixture
def instrument(manager):
    return priced_instrument(managers=[manager])


@pytest.fixture
def customer(db):
    return firm_person()


def test_a_reported_order_for_another_organisation_counts_as_external(
    instrument, manager, customer
):
    year = timezone.localdate().year
    advance(order_for(customer, instrument), "reported", manager=manager, customer=customer)
    advance(order_for(customer, instrument), "closed", manager=manager, customer=customer)
    advance(order_for(customer, instrument), "testing", manager=manager, customer=customer)
    insider = person("insider", organisation=instrument.organisation)
    advance(order_for(insider, instrument), "closed", manager=manager, customer=insider)
    figures = external_orders(year=year)
    assert figures["orders"] == 2
    assert str(figures["amount"]) == "480.00"
    assert external_orders(year=year - 1)["orders"] == 0


def test_the_dashboard_shows_the_order_figure_with_its_definition(instrument, manager, customer):
    advance(order_for(customer, instrument), "reported", manager=manager, customer=customer)
    coordinator = person("coordinator", roles=[Role.COORDINATOR])
    client = Client()
    client.force_login(coordinator)
    html = client.get(f"/dashboard/?year={timezone.localdate().year}").content.decode()
    assert str(DEFINITIONS["external_orders"]) in html
    assert "240" in html


def test_the_service_records_list_completed_orders_as_commissioned_testing(
    instrument, manager, customer
):
    advance(order_for(customer, instrument), "closed", manager=manager, customer=customer)
    advance(order_for(customer, instrument), "testing", manager=manager, customer=customer)
    client = APIClient()
    client.force_authenticate(manager)
    today = timezone.localdate()
    response = client.get(f"/api/service-records/export.csv?from={today}&to={today}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["服务方式"] == "委托测试"
    assert row["服务量（机时）"] == "3"
    assert row["课题名称"] == "轻量化材料"
    assert row["服务内容"] == "物相分析"
    assert row["服务金额（元）"] == "240.00"
    assert row["用户类型"] == "企业用户"
    assert row["是否异地使用"] == "是"


def test_someone_elses_instrument_orders_are_not_in_a_managers_export(
    instrument, manager, customer
):
    advance(order_for(customer, instrument), "closed", manager=manager, customer=customer)
    other = manager_person("other_manager")
    priced_instrument(managers=[other])
    client = APIClient()
    client.force_authenticate(other)
    today = timezone.localdate()
    response = client.get(f"/api/service-records/export.csv?from={today}&to={today}")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "委托测试" not in text
