"""身份互认 end to end in a real browser, on the demo: a new Mianyang researcher signs up,
confirms the e-mail from the outbox, is refused by a Beibei instrument's booking page until
verified, is verified by 西南科技大学's organisation administrator, and books the Beibei
instrument the same day at the cross-region (跨地区) rate."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

pytestmark = pytest.mark.browser

NEWCOMER = "newcomer_mianyang"
PASSWORD = "a long enough passphrase 2026"


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    # Notices about the booking are not under test; keep their tasks off the shared queue.
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


@pytest.fixture
def demo():
    from demo.loader import demo_load
    from sharing.catalogue.models import Instrument

    demo_load()
    # Hourly, shared outside 西南大学, managed by manager_swu: 500 元/h for another region.
    return {"instrument": Instrument.objects.get(internal_code="SWU-2019-0001")}


def sign_in(page, base, username, password, next_path="/"):
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_selector(".site-tools .who")


def sign_out(page):
    page.click(".site-tools button:has-text('退出')")
    page.wait_for_selector(".site-tools a:has-text('登录')")


def register(page, base):
    page.goto(f"{base}/register/")
    page.fill("#id_username", NEWCOMER)
    page.fill("#id_real_name", "新来的研究员")
    page.fill("#id_mobile", "139 0816 2026")
    page.fill("#id_email", "newcomer@swust.example")
    page.fill("#id_password", PASSWORD)
    page.select_option("#id_region", "mianyang")
    page.select_option("#id_role", "researcher")
    page.select_option("#id_organisation", label="西南科技大学")
    page.fill("#id_staff_number", "SWUST2026042")
    page.click("#register-form button[type=submit]")


def test_a_newcomer_is_verified_at_home_and_books_in_beibei_the_same_day(
    page, live_server, demo, artifacts
):
    from portal.accounts.models import User
    from sharing.bookings.models import Booking

    base = live_server.url
    instrument = demo["instrument"]
    next_monday = timezone.localdate() + datetime.timedelta(days=7 - timezone.localdate().weekday())
    week_path = f"/instruments/{instrument.pk}/book/?week={next_monday.isoformat()}"

    # 1. Sign up: the answer never says more than "check your e-mail".
    mail.outbox.clear()
    register(page, base)
    page.wait_for_selector("main h1")
    newcomer = User.objects.get(username=NEWCOMER)
    assert not newcomer.is_active and newcomer.verified_region_id is None

    # 2. Confirm the address from the e-mail; the page asks for a click (scanners do not).
    (message,) = mail.outbox
    assert message.to == ["newcomer@swust.example"]
    link = re.search(r"https?://\S+/register/confirm/\S+/", message.body).group(0)
    page.goto(link)
    page.click("#confirm-email")
    page.wait_for_selector("text=邮箱已确认")

    # 3. Signed in but not verified: the booking page says why it refuses, and offers no slot.
    sign_in(page, base, NEWCOMER, PASSWORD, week_path)
    refusal = page.inner_text("#not-bookable")
    assert "暂不能预约" in refusal
    assert "机构管理员认证" in refusal
    assert page.locator("button.slot-pick").count() == 0
    page.screenshot(path=artifacts / "onboarding-refused.png", full_page=True)
    sign_out(page)

    # 4. 西南科技大学's organisation administrator verifies the newcomer.
    sign_in(page, base, "orgadmin_swust", settings.DEMO_PASSWORD, "/verifications/")
    row = page.locator(f"#pending-verifications tr:has-text('{NEWCOMER}')")
    assert "SWUST2026042" in row.inner_text()
    row.locator("button:has-text('通过')").click()
    page.wait_for_selector(f"#members tr:has-text('{NEWCOMER}'):has-text('已认证')")
    newcomer.refresh_from_db()
    assert newcomer.verified_region.code == "mianyang"
    sign_out(page)

    # 5. The same day, the newcomer books the Beibei instrument at the cross-region rate.
    sign_in(page, base, NEWCOMER, PASSWORD, week_path)
    assert page.locator("#not-bookable").count() == 0
    page.locator("button.slot-pick").first.click()
    page.wait_for_selector("#booking-section:not([hidden])")
    start = datetime.datetime.fromisoformat(
        page.locator("button.slot-pick.chosen").first.get_attribute("data-start")
    )
    end = datetime.datetime.fromisoformat(page.input_value("#id_end"))
    fee = instrument.rate_other_region * Decimal((end - start).total_seconds()) / 3600
    page.wait_for_selector(f"[data-fee=amount]:has-text('{fee:.2f} 元')")
    assert "跨地区" in page.inner_text("[data-fee=category]")
    page.fill("#id_purpose", "跨地区样品测试")
    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#booking-message:has-text('预约已提交')")
    page.screenshot(path=artifacts / "onboarding-booked.png", full_page=True)

    booking = Booking.objects.get(requester=newcomer)
    assert booking.instrument == instrument
    assert booking.rate_category == Booking.RateCategory.OTHER_REGION
    assert booking.fee_estimate == fee
    assert timezone.localtime(booking.created_at).date() == timezone.localdate()
    assert page.foreign_requests == []
