"""A sample-testing order in a real browser: a firm orders a test from the instrument page, the
manager quotes on the orders list, the firm accepts, the manager receives the samples, starts
testing and uploads the report, and the firm downloads it."""

import datetime

import pytest
from django.utils import timezone

from sharing.bookings.models import SampleOrder
from tests.orders import PDF, firm_person, manager_person, priced_instrument

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def sign_in(page, base, username, next_path):
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")


def test_a_firm_orders_a_test_and_downloads_the_report(
    browser, page, live_server, artifacts, tmp_path
):
    manager = manager_person()
    instrument = priced_instrument(managers=[manager])
    firm = firm_person()
    for user in (manager, firm):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    base = live_server.url

    # The firm orders from the instrument page.
    sign_in(page, base, firm.username, f"/instruments/{instrument.pk}/")
    page.click(f"a[href='/instruments/{instrument.pk}/order/']")
    page.fill("#id_samples-0-name", "钛合金粉末")
    page.fill("#id_samples-0-count", "3")
    page.select_option("#id_samples-0-form", "powder")
    item = instrument.test_items.get(name="物相分析")
    page.fill(f"#id_qty_{item.pk}", "3")
    page.fill("#id_project_name", "轻量化材料")
    page.click("button[type=submit]:has-text('提交委托')")
    page.wait_for_selector("text=委托已提交")
    order = SampleOrder.objects.get(customer=firm)
    assert order.status == "submitted" and str(order.estimate) == "240.00"

    # The manager quotes on the orders list.
    manager_context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    desk = manager_context.new_page()
    sign_in(desk, base, manager.username, "/manage/orders/")
    promised = timezone.localdate() + datetime.timedelta(days=5)
    desk.fill(f"#quote-price-{order.pk}", "250.00")
    desk.fill(f"#quote-date-{order.pk}", promised.isoformat())
    desk.click(f"tr[data-order='{order.pk}'] button:has-text('报价')")
    desk.wait_for_selector("text=已报价，委托人会收到通知。")

    # The firm accepts the quote.
    page.goto(f"{base}/orders/{order.pk}/")
    assert "250.00" in page.inner_text("main")
    page.click("button:has-text('确认报价')")
    page.wait_for_selector("text=已确认报价")

    # The manager receives the samples, starts testing and uploads the report.
    desk.goto(f"{base}/orders/{order.pk}/")
    desk.click("button:has-text('登记收样')")
    desk.wait_for_selector("text=已登记收样。")
    desk.click("button:has-text('开始检测')")
    desk.wait_for_selector("text=已开始检测。")
    report = tmp_path / "报告.pdf"
    report.write_bytes(PDF)
    desk.set_input_files(f"#report-file-{order.pk}", str(report))
    desk.click("button:has-text('上传报告')")
    desk.wait_for_selector("text=检测报告已上传")
    order.refresh_from_db()
    assert order.status == "reported"
    manager_context.close()

    # The firm downloads it.
    page.goto(f"{base}/orders/{order.pk}/")
    with page.expect_download() as download_info:
        page.click("a.report-download")
    download = download_info.value
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    page.screenshot(path=artifacts / "sample-order.png", full_page=True)
    assert page.foreign_requests == []
