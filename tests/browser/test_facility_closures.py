"""Closures and problems in a real browser, with no /admin/: a manager adds a closure over an
approved booking after seeing it in the preview (the researcher's booking is cancelled, the
voucher refunded, the researcher told), and resolves a "down" problem a researcher reported
from the instrument page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from portal.notifications.models import Notification
from sharing.bookings import services
from sharing.bookings.models import Booking, Notice, ProblemReport, Voucher
from sharing.bookings.vouchers.services import voucher_issue
from sharing.catalogue.models import Instrument
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


def sign_in(page, base, username, next_path):
    page.context.clear_cookies()
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")


def world():
    bb, my = regions()
    manager = person("manager_swu", roles=[Role.INSTRUMENT_MANAGER])
    instrument = instrument_with_rules(managers=[manager], closed_on_holidays=False)
    researcher = person("researcher_mianyang", region=my)
    today = timezone.localdate()
    voucher = voucher_issue(
        issuing_region=my,
        organisation=researcher.organisation,
        amount=Decimal("1000.00"),
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=365),
        accepted_in=[my, bb],
    )
    return manager, instrument, researcher, voucher


def test_a_manager_closes_over_a_booking_after_a_preview(page, live_server, artifacts):
    _manager, instrument, researcher, voucher = world()
    day = next_weekday(2)
    booking = services.booking_create(
        requester=researcher,
        instrument=instrument,
        start=local(day, "09:00"),
        end=local(day, "11:00"),
        purpose="XRD 物相分析",
        voucher=voucher,
    )
    assert booking.status == Booking.Status.APPROVED
    path = f"/manage/instruments/{instrument.pk}/closures/"

    sign_in(page, live_server.url, "manager_swu", path)
    page.wait_for_selector("#closure-form")
    page.fill("#id_start", f"{day:%Y-%m-%d} 08:00")
    page.fill("#id_end", f"{day:%Y-%m-%d} 12:00")
    page.select_option("#id_kind", "maintenance")
    page.fill("#id_reason", "更换X光管")
    page.click("button[value=preview]")
    page.wait_for_selector(f"#closure-preview tr[data-booking='{booking.pk}']")
    assert "将取消并退回创新券" in page.inner_text("#closure-preview")
    page.screenshot(path=artifacts / "closure-preview.png", full_page=True)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED  # nothing saved by the preview

    page.click("button[value=create]")
    page.wait_for_selector("text=已添加停用时段")
    assert page.locator("table.closures tr[data-closure]").count() == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Voucher.objects.get(pk=voucher.pk).balance == voucher.amount
    assert Notification.objects.filter(user=researcher, kind=Notice.CLOSED).exists()

    # The researcher sees it on the booking's page: cancelled, why, and the voucher back.
    sign_in(page, live_server.url, "researcher_mianyang", f"/bookings/{booking.pk}/")
    page.wait_for_selector("h1 .booking-status.status-cancelled")
    assert "更换X光管" in page.inner_text("table.history")
    assert "退回" in page.content()
    assert page.foreign_requests == []


def test_a_researcher_reports_a_down_problem_and_the_manager_resolves_it(
    page, live_server, artifacts
):
    _manager, instrument, researcher, _voucher = world()
    start = timezone.now() - datetime.timedelta(days=3)
    Booking.objects.create(
        instrument=instrument,
        requester=researcher,
        period=(start, start + datetime.timedelta(hours=1)),
        blocked=(start, start + datetime.timedelta(hours=1)),
        status=Booking.Status.COMPLETED,
        purpose="测试",
        rate_category=Booking.RateCategory.OTHER_REGION,
    )
    sign_in(page, live_server.url, "researcher_mianyang", f"/instruments/{instrument.pk}/")
    page.click("details.problem-report summary")
    page.select_option("#id_severity", "down")
    page.fill("#id_description", "真空泵异响，无法抽真空")
    page.click("form.problem-form button[type=submit]")
    page.wait_for_selector("text=仪器已停机待修")
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.AWAITING_REPAIR
    problem = ProblemReport.objects.get()

    sign_in(page, live_server.url, "manager_swu", "/manage/problems/")
    row = f"tr[data-problem='{problem.pk}']"
    page.wait_for_selector(row)
    page.fill(f"{row} textarea", "更换真空泵密封圈")
    page.screenshot(path=artifacts / "problems-resolve.png", full_page=True)
    page.click(f"{row} button[type=submit]")
    page.wait_for_selector("text=已标记为已解决")
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.NORMAL
    page.goto(f"{live_server.url}/instruments/{instrument.pk}/")
    assert "更换真空泵密封圈" in page.inner_text("section.instrument-problems")
    assert page.foreign_requests == []
