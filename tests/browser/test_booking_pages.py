"""Booking from the week calendar in a real browser: pick a slot, see the fee, book, lose a race
with a 409 and join the waitlist, and the manager approves on the queue page."""

import pytest

from sharing.bookings.models import Booking, WaitlistEntry
from tests.frontend.test_booking_pages import book, booking_world, next_week_day

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    # Notifications are not under test here; keep their tasks off the shared Redis queue.
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


def sign_in(page, base, username, next_path):
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")


def watch_foreign(page, base):
    page.foreign_requests = []
    page.on(
        "request",
        lambda r: (
            page.foreign_requests.append(r.url)
            if not r.url.startswith(base) and not r.url.startswith("data:")
            else None
        ),
    )


def test_book_from_the_week_lose_a_race_and_get_approved(page, live_server, artifacts):
    world = booking_world(approval_required=True)
    instrument = world["instrument"]
    tuesday = next_week_day(1)
    # Someone else's booking, so the week shows taken time too.
    book(world, who="colleague", day=next_week_day(2), start="14:00", end="16:00")
    week_path = f"/instruments/{instrument.pk}/book/?week={tuesday.isoformat()}"
    slot = f"button.slot-pick[data-start='{tuesday.isoformat()}T09:00:00+08:00']"

    sign_in(page, live_server.url, "researcher", week_path)
    page.wait_for_selector(slot)
    assert page.locator("td.slot.taken").count() == 4
    # A second tab with the same week, opened before the first booking: it will lose the race.
    other = page.context.new_page()
    watch_foreign(other, live_server.url)
    other.goto(live_server.url + week_path)

    page.click(slot)
    page.wait_for_selector("#booking-section:not([hidden])")
    assert page.input_value("#id_start") == f"{tuesday.isoformat()} 09:00"
    page.select_option("#id_end", f"{tuesday.isoformat()}T11:00:00+08:00")
    page.fill("#id_purpose", "样品形貌观察")
    page.fill("#id_sample_notes", "粉末样品 3 个")
    # 2 h at the cross-region rate of 150 元/h; the voucher covers half.
    page.wait_for_selector("[data-fee=amount]:has-text('300.00 元')")
    assert "跨地区" in page.inner_text("[data-fee=category]")
    page.select_option("#id_voucher", str(world["voucher"].pk))
    assert page.inner_text("[data-fee=covers]") == "150.00 元"
    assert page.inner_text("[data-fee=payable]") == "150.00 元"
    page.screenshot(path=artifacts / "booking-week.png", full_page=True)

    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#booking-message:has-text('预约已提交，等待仪器管理员审批')")
    booking = Booking.objects.get(requester=world["researcher"])
    assert booking.status == Booking.Status.REQUESTED
    assert booking.fee_estimate == 300
    # Held, not yet spent: the voucher pays on the final charge when the booking completes.
    reservation = booking.voucher_entries.get()
    assert (reservation.kind, reservation.amount) == ("reservation", 150)
    assert page.locator(slot).count() == 0
    assert page.locator("td.slot.taken").count() == 8

    # The other tab still shows the slot free; booking it now is a 409, with the waitlist.
    other.click(slot)
    other.wait_for_selector("#booking-section:not([hidden])")
    other.fill("#id_purpose", "同一时段")
    other.click("#booking-form button[type=submit]")
    other.wait_for_selector("#booking-message:has-text('该时间段已被占用')")
    other.click("#waitlist-join")
    other.wait_for_selector("#booking-message:has-text('已加入候补')")
    assert WaitlistEntry.objects.filter(user=world["researcher"]).count() == 1
    assert Booking.objects.filter(requester=world["researcher"]).count() == 1
    other.close()

    # The manager approves it on the queue page.
    page.click("form[action='/logout/'] button")
    sign_in(page, live_server.url, "manager", "/bookings/queue/")
    row = page.locator(f"tr[data-booking='{booking.pk}']")
    row.wait_for()
    assert "样品形貌观察" in row.inner_text()
    assert "跨地区" in row.inner_text()
    page.screenshot(path=artifacts / "booking-queue.png", full_page=True)
    row.locator("button.booking-approve").click()
    row.locator("[data-status]:has-text('已批准')").wait_for()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED
    assert page.foreign_requests == []
    assert other.foreign_requests == []


def test_my_bookings_calendar_address_cancel_and_vouchers(page, live_server, artifacts):
    world = booking_world(approval_required=False)
    booking = book(world, purpose="<b>不是粗体</b>")
    from sharing.bookings.vouchers.ledger import voucher_reserve

    voucher_reserve(voucher=world["voucher"], booking=booking, by=world["researcher"])

    sign_in(page, live_server.url, "researcher", "/bookings/")
    row = page.locator(f"tr[data-booking='{booking.pk}']")
    row.wait_for()
    assert "<b>不是粗体</b>" in row.inner_text()
    assert "已批准" in row.inner_text()

    page.click("#calendar-rotate")
    page.wait_for_selector("#calendar-status:has-text('已生成新地址')")
    address = page.input_value("#calendar-url")
    assert address.startswith(live_server.url + "/calendar/") and address.endswith(".ics")
    assert page.request.get(address).status == 200
    page.click("#calendar-copy")
    page.wait_for_selector("#calendar-status:has-text('已复制')")
    page.screenshot(path=artifacts / "booking-mine.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.booking-cancel").click()
    row.locator("[data-status]:has-text('已取消')").wait_for()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED

    page.click("#calendar-revoke")
    page.wait_for_selector("#calendar-status:has-text('地址已停用')")
    assert page.request.get(address).status == 404

    page.goto(live_server.url + "/vouchers/")
    card = page.locator("section.voucher[data-voucher='510700-2026-MY01']")
    # Reserved 150, released 150 on cancelling: the balance is whole again.
    assert "剩余 1000.00 元" in card.inner_text()
    assert "退回" in card.inner_text() and "预留" in card.inner_text()
    page.screenshot(path=artifacts / "booking-vouchers.png", full_page=True)

    page.goto(live_server.url + f"/instruments/{world['instrument'].pk}/book/?week=2026-10-01")
    assert "国庆节 · 法定节假日" in page.inner_text("table.week thead")
    page.screenshot(path=artifacts / "booking-holiday.png", full_page=True)
    assert page.foreign_requests == []
