"""Training in a real browser, with no /admin/ at any point: a researcher asks for training on
an instrument that requires a qualification, the manager schedules it and records a pass, and
the researcher can then book the instrument from its week."""

import datetime

import pytest
from django.utils import timezone

from sharing.bookings.models import Booking, BookingPolicy, Qualification, TrainingRequest
from tests.frontend.test_booking_pages import booking_world, next_week_day

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


def sign_in(page, base, username, next_path):
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")


def test_ask_for_training_get_scheduled_pass_and_book(browser, page, live_server, artifacts):
    world = booking_world(approval_required=False)
    instrument = world["instrument"]
    BookingPolicy.objects.filter(instrument=instrument).update(qualification_required=True)
    base = live_server.url
    instrument_path = f"/instruments/{instrument.pk}/"

    # The researcher asks from the instrument page.
    sign_in(page, base, "researcher", instrument_path)
    page.wait_for_selector("#training button:has-text('申请培训')")
    page.fill("#training-message", "周三下午方便")
    page.click("#training button:has-text('申请培训')")
    page.wait_for_selector("#training .training-status:has-text('已申请培训，状态：待安排')")
    training = TrainingRequest.objects.get(user=world["researcher"])
    assert training.message == "周三下午方便"

    # The manager schedules it and records a pass on /manage/training/.
    manager = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    sign_in(manager, base, "manager", "/manage/training/")
    row = f"tr[data-training='{training.pk}']"
    manager.wait_for_selector(f"{row} button:has-text('安排培训')")
    when = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=10, minute=0)
    manager.fill(f"#when-{training.pk}", when.strftime("%Y-%m-%dT%H:%M"))
    manager.fill(f"#place-{training.pk}", "理科楼 B203")
    manager.click(f"{row} button:has-text('安排培训')")
    manager.wait_for_selector(".messages :text('培训已安排，申请人会收到通知。')")
    manager.fill(f"#note-{training.pk}", "操作规范")
    manager.click(f"{row} button:has-text('记录通过')")
    manager.wait_for_selector(".messages :text('已记录通过')")
    manager.screenshot(path=artifacts / "manage-training.png", full_page=True)
    qualification = Qualification.objects.get(user=world["researcher"], instrument=instrument)
    assert qualification.revoked_at is None
    assert qualification.valid_until > timezone.localdate()

    # The researcher sees the qualification and books from the week.
    page.goto(base + instrument_path)
    expected = f"您已持有上机资格，至 {qualification.valid_until:%Y-%m-%d}"
    page.wait_for_selector(f"#training :text('{expected}')")
    tuesday = next_week_day(1)
    page.goto(f"{base}/instruments/{instrument.pk}/book/?week={tuesday.isoformat()}")
    slot = f"button.slot-pick[data-start='{tuesday.isoformat()}T09:00:00+08:00']"
    page.click(slot)
    page.wait_for_selector("#booking-section:not([hidden])")
    page.select_option("#id_end", f"{tuesday.isoformat()}T10:00:00+08:00")
    page.fill("#id_purpose", "样品形貌观察")
    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#booking-message:has-text('预约已批准。')")
    assert Booking.objects.get(requester=world["researcher"]).status == Booking.Status.APPROVED
    assert page.foreign_requests == []
    manager.context.close()
