"""Check-in at the instrument on a phone: the manager prints the QR sheet, the researcher opens
the address the code holds, signs in, checks in and out in one tap each, sees the minutes and
the charge, and starts a walk-up use while the instrument is free."""

import datetime

import pytest
from django.utils import timezone

from sharing.bookings.models import Booking, BookingPolicy, OpeningHours
from tests.bookings.test_kiosk import booking_of
from tests.browser.test_booking_pages import sign_in, watch_foreign
from tests.frontend.test_booking_pages import booking_world

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


def always_open(instrument):
    OpeningHours.objects.filter(instrument=instrument).delete()
    for weekday in range(7):
        OpeningHours.objects.create(
            instrument=instrument,
            weekday=weekday,
            opens=datetime.time(0, 0),
            closes=datetime.time(23, 59),
        )
    BookingPolicy.objects.filter(instrument=instrument).update(
        walk_up_allowed=True, closed_on_holidays=False
    )


def test_open_the_qr_code_on_a_phone_check_in_check_out_and_walk_up(
    browser, page, live_server, artifacts
):
    world = booking_world(approval_required=True)
    instrument, researcher = world["instrument"], world["researcher"]
    instrument.address = "北碚区天生路2号 理科楼 B203"
    instrument.save(update_fields=["address"])
    always_open(instrument)
    booking = booking_of(
        instrument, researcher, start=timezone.now() + datetime.timedelta(minutes=5)
    )

    # The manager prints the sheet; the code holds the kiosk's address.
    sign_in(page, live_server.url, "manager", f"/instruments/{instrument.pk}/qr/print/")
    sheet = page.locator(".qr-sheet-code")
    sheet.wait_for()
    assert page.locator(".qr-sheet-code svg").count() == 1
    assert "理科楼 B203" in page.inner_text(".qr-sheet")
    page.screenshot(path=artifacts / "kiosk-qr-sheet.png", full_page=True)
    kiosk_url = sheet.get_attribute("data-kiosk-url")
    assert kiosk_url.startswith(f"{live_server.url}/kiosk/")

    phone_context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    phone = phone_context.new_page()
    watch_foreign(phone, live_server.url)
    try:
        # Not signed in: the login page, then back to the kiosk.
        phone.goto(kiosk_url)
        phone.fill("#id_username", "researcher")
        phone.fill("#id_password", "correct horse battery")
        phone.click("button[type=submit]:has-text('登录')")
        phone.wait_for_selector("button[value=check_in]")
        # The button exists before its stylesheet applies on a loaded machine: measure after.
        phone.wait_for_load_state("load")
        assert instrument.name in phone.inner_text("h1")
        button = phone.locator("button[value=check_in]").bounding_box()
        assert button["width"] > PHONE["width"] * 0.6 and button["height"] >= 44
        phone.screenshot(path=artifacts / "kiosk-check-in.png", full_page=True)

        phone.tap("button[value=check_in]")
        phone.wait_for_selector("button[value=check_out]")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CHECKED_IN

        # Ninety minutes at the instrument, then check out: the real minutes are charged.
        Booking.objects.filter(pk=booking.pk).update(
            checked_in_at=timezone.now() - datetime.timedelta(minutes=90)
        )
        phone.tap("button[value=check_out]")
        phone.wait_for_selector(".messages li:has-text('使用 90 分钟')")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.COMPLETED
        # 90 minutes (and the seconds the test took) at 150 元/h, not the booked hour.
        assert 225 <= booking.charge < 226
        assert f"{booking.charge} 元" in phone.inner_text(".messages")

        # The instrument is free again: a walk-up use, started and ended at the kiosk.
        choice = phone.locator("#kiosk-walk-up button[name=minutes]").first
        choice.wait_for()
        phone.screenshot(path=artifacts / "kiosk-walk-up.png", full_page=True)
        choice.tap()
        phone.wait_for_selector("button[value=check_out]")
        walk_up = Booking.objects.get(requester=researcher, walk_up=True)
        assert walk_up.status == Booking.Status.CHECKED_IN
        phone.tap("button[value=check_out]")
        phone.wait_for_selector(".messages li:has-text('已下机签退')")
        walk_up.refresh_from_db()
        assert walk_up.status == Booking.Status.COMPLETED
        assert phone.foreign_requests == []
    finally:
        phone_context.close()
    assert page.foreign_requests == []
