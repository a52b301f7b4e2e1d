"""The sample-order pages: the entry on the instrument page, the order form (errors keep the
input), my orders, one order with its buttons, the manager's orders and price list; in Chinese
and in English."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from sharing.bookings.models import SampleOrder, TestItem
from tests.bookings import person, regions
from tests.orders import (
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
def outsider(db):
    regions()
    return person("outsider")


def signed_in(user, language="zh-hans"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _form(instrument, **extra):
    data = {
        "samples-TOTAL_FORMS": "5",
        "samples-INITIAL_FORMS": "0",
        "samples-MIN_NUM_FORMS": "0",
        "samples-MAX_NUM_FORMS": "5",
        "samples-0-name": "钛合金粉末",
        "samples-0-count": "3",
        "samples-0-form": "powder",
        "samples-0-afterwards": "return",
        f"qty_{item(instrument, '物相分析').pk}": "3",
        "project_name": "轻量化材料",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "委托测试"), ("en", "Order a test")])
def test_the_instrument_page_offers_testing(instrument, customer, language, text):
    html = signed_in(customer, language).get(f"/instruments/{instrument.pk}/").content.decode()
    assert text in html
    assert f"/instruments/{instrument.pk}/order/" in html


def test_an_instrument_without_test_items_offers_no_order(customer):
    plain = priced_instrument()
    plain.test_items.update(active=False)
    html = signed_in(customer).get(f"/instruments/{plain.pk}/").content.decode()
    assert f"/instruments/{plain.pk}/order/" not in html


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "提交委托"), ("en", "Submit the order")]
)
def test_the_order_form_lists_the_price_list(instrument, customer, language, text):
    response = signed_in(customer, language).get(f"/instruments/{instrument.pk}/order/")
    assert response.status_code == 200
    html = response.content.decode()
    assert text in html and "物相分析" in html and "结构精修" in html


def test_ordering_from_the_form_goes_to_the_order(instrument, customer):
    response = signed_in(customer).post(f"/instruments/{instrument.pk}/order/", _form(instrument))
    order = SampleOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    assert order.samples.get().name == "钛合金粉末"
    assert str(order.estimate) == "240.00"


def test_a_form_without_items_says_so_and_keeps_the_input(instrument, customer):
    data = _form(instrument, **{f"qty_{item(instrument, '物相分析').pk}": ""})
    response = signed_in(customer).post(f"/instruments/{instrument.pk}/order/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "请至少选择一个检测项目。" in html
    assert 'value="钛合金粉末"' in html and 'value="轻量化材料"' in html
    assert not SampleOrder.objects.exists()


def test_a_sample_without_a_count_is_marked(instrument, customer):
    data = _form(instrument, **{"samples-0-count": ""})
    response = signed_in(customer).post(f"/instruments/{instrument.pk}/order/", data)
    assert response.status_code == 400
    assert "请填写样品数量。" in response.content.decode()


def test_my_orders_and_the_order_page_show_the_accept_button(instrument, customer, manager):
    order = advance(order_for(customer, instrument), "quoted", manager=manager, customer=customer)
    client = signed_in(customer)
    assert f"/orders/{order.pk}/" in client.get("/orders/").content.decode()
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'value="accept"' in html and "240.00" in html
    assert 'value="receive"' not in html
    response = client.post(f"/orders/{order.pk}/", {"action": "accept"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "accepted"
    # The second press is refused with the rule's message, nothing changes.
    followed = client.post(f"/orders/{order.pk}/", {"action": "accept"}, follow=True)
    assert "不能执行此操作" in followed.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_order_page_has_the_report_link_when_reported(instrument, customer, manager, language):
    order = advance(order_for(customer, instrument), "reported", manager=manager, customer=customer)
    html = signed_in(customer, language).get(f"/orders/{order.pk}/").content.decode()
    assert f"/api/sample-orders/{order.pk}/report" in html
    assert ("下载检测报告" if language == "zh-hans" else "Download the report") in html


def test_an_outsider_finds_no_order_page(instrument, customer, outsider):
    order = order_for(customer, instrument)
    assert signed_in(outsider).get(f"/orders/{order.pk}/").status_code == 404
    assert signed_in(outsider).post(f"/orders/{order.pk}/", {"action": "accept"}).status_code == 404


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "委托测试管理"), ("en", "Sample-testing orders")]
)
def test_the_manager_works_the_orders_from_the_list(instrument, customer, manager, language, text):
    order = order_for(customer, instrument)
    client = signed_in(manager, language)
    html = client.get("/manage/orders/").content.decode()
    assert text in html and 'name="price"' in html
    date = str(timezone.localdate() + datetime.timedelta(days=5))
    response = client.post(
        f"/orders/{order.pk}/",
        {"action": "quote", "price": "250", "date": date, "next": "/manage/orders/"},
    )
    assert response["Location"] == "/manage/orders/"
    order.refresh_from_db()
    assert str(order.quoted_price) == "250.00"


def test_the_manager_uploads_the_report_from_the_page(instrument, customer, manager):
    order = advance(order_for(customer, instrument), "testing", manager=manager, customer=customer)
    client = signed_in(manager)
    bad = client.post(
        f"/orders/{order.pk}/",
        {"action": "report", "file": pdf("x.pdf", b"not a pdf")},
        follow=True,
    )
    assert "文件类型不符" in bad.content.decode()
    client.post(f"/orders/{order.pk}/", {"action": "report", "file": pdf()})
    order.refresh_from_db()
    assert order.status == "reported"


def test_others_may_not_open_the_managers_pages(instrument, customer):
    client = signed_in(customer)
    assert client.get("/manage/orders/").status_code == 403
    assert client.get(f"/manage/instruments/{instrument.pk}/tests/").status_code == 403


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_manager_keeps_the_price_list(instrument, manager, language):
    client = signed_in(manager, language)
    url = f"/manage/instruments/{instrument.pk}/tests/"
    assert "物相分析" in client.get(url).content.decode()
    new = {
        "action": "add",
        "new-name": "粒度分析",
        "new-unit": "per_sample",
        "new-price": "50",
        "new-minimum_charge": "0",
        "new-urgent_surcharge_percent": "0",
        "new-active": "on",
    }
    assert client.post(url, new).status_code == 302
    assert TestItem.objects.filter(instrument=instrument, name="粒度分析").exists()
    bad = client.post(url, {**new, "new-name": "负价", "new-price": "-5"})
    assert bad.status_code == 400
    assert 'value="负价"' in bad.content.decode()
    target = item(instrument, "粒度分析")
    client.post(url, {"action": "remove", "item": target.pk})
    assert not TestItem.objects.filter(pk=target.pk).exists()


def test_the_order_page_shows_what_the_voucher_holds_then_pays(instrument, customer, manager):
    from tests.orders.test_order_vouchers import issued

    voucher = issued(customer.organisation)
    client = signed_in(customer)
    client.post(f"/instruments/{instrument.pk}/order/", _form(instrument, voucher=str(voucher.pk)))
    order = SampleOrder.objects.get()
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert f"{voucher.code} 预留 120.00 元" in html
    advance(order, "reported", manager=manager, customer=customer)
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert f"{voucher.code} 抵扣 120.00 元" in html


def test_the_english_order_form_marks_the_chinese_item_names(instrument, customer):
    html = signed_in(customer, "en").get(f"/instruments/{instrument.pk}/order/").content.decode()
    assert '<span lang="zh-Hans">物相分析</span></label>' in html
