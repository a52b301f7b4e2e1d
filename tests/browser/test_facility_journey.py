"""Issue 14's "done means", walked end to end in a real browser with no /admin/ at any point.

manager_swu sets opening hours in the console's grid, adds a closure over researcher_mianyang's
approved booking (the researcher reads the notice and has the voucher back), turns on
qualifications, schedules the training the researcher asked for and records a pass, and
resolves the "down" problem the researcher reported. The researcher then opens the kiosk
address the QR code holds, checks in and out (in English), and the booking page, the
service-record export and the coordinators' dashboard all count the real 90 minutes.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from sharing.bookings import services
from sharing.bookings.models import (
    Booking,
    BookingPolicy,
    OpeningHours,
    ProblemReport,
    Qualification,
    TrainingRequest,
    Voucher,
)
from sharing.bookings.vouchers.services import voucher_issue
from sharing.catalogue.models import Instrument
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions
from tests.bookings.test_kiosk import booking_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


@pytest.fixture(autouse=True)
def own_cache(settings):
    # The dashboard keeps its figures ten minutes in the Redis other test runs share: a cache
    # of this test's own, so the figures are this test's.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "w"}
    }


def sign_in(page, base, username, next_path):
    page.context.clear_cookies()
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")


def world():
    bb, my = regions()
    manager = person("manager_swu", roles=[Role.INSTRUMENT_MANAGER])
    person("coordinator_demo", roles=[Role.COORDINATOR])
    instrument = instrument_with_rules(managers=[manager], closed_on_holidays=False)
    instrument.name = "X射线衍射仪"
    instrument.save(update_fields=["name"])
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
    # The approved booking the closure will fall on, paid partly with the voucher.
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
    assert Voucher.objects.get(pk=voucher.pk).balance < voucher.amount
    return instrument, researcher, voucher, booking, day


def test_a_facility_runs_without_the_admin_site(browser, page, live_server, artifacts):
    base = live_server.url
    instrument, researcher, voucher, booking, day = world()
    console = f"/manage/instruments/{instrument.pk}/"
    instrument_page = f"/instruments/{instrument.pk}/"
    visited = []
    page.on("request", lambda r: visited.append(r.url))

    # 1. The manager opens the console and sets Saturday's hours in the weekly grid.
    sign_in(page, base, "manager_swu", "/manage/")
    page.wait_for_selector("h1:has-text('管理台')")
    page.click(f"a[href='{console}']")
    page.wait_for_selector("#hours-form")
    saturday = page.locator("fieldset.hours-column[data-weekday='5']")
    saturday.locator("input[name='opens_5']").first.fill("13:00")
    saturday.locator("input[name='closes_5']").first.fill("17:00")
    page.click("#hours-form button[type=submit]")
    page.wait_for_selector(".messages li:has-text('开放时间已保存')")
    assert OpeningHours.objects.filter(instrument=instrument, weekday=5).count() == 1
    sat = next_weekday(5, days_ahead=7)
    page.goto(f"{base}/instruments/{instrument.pk}/book/?week={sat.isoformat()}")
    page.wait_for_selector("table.week")
    assert page.locator(f"button.slot-pick[data-start='{sat}T13:00:00+08:00']").count() == 1
    assert page.locator(f"button.slot-pick[data-start='{sat}T09:00:00+08:00']").count() == 0

    # 2. A closure over the approved booking: previewed, then saved.
    page.goto(f"{base}/manage/instruments/{instrument.pk}/closures/")
    page.wait_for_selector("#closure-form")
    page.fill("#id_start", f"{day:%Y-%m-%d} 08:00")
    page.fill("#id_end", f"{day:%Y-%m-%d} 12:00")
    page.select_option("#id_kind", "maintenance")
    page.fill("#id_reason", "更换X光管")
    page.click("button[value=preview]")
    page.wait_for_selector(f"#closure-preview tr[data-booking='{booking.pk}']")
    assert "将取消并退回创新券" in page.inner_text("#closure-preview")
    page.click("button[value=create]")
    page.wait_for_selector("text=已添加停用时段")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED

    # The researcher reads the notice, follows its link to the booking, sees the voucher back.
    sign_in(page, base, "researcher_mianyang", "/notifications/")
    notice = page.locator(
        f".notification-subject a[href$='/bookings/{booking.pk}/']:has-text('仪器停用，预约受影响')"
    )
    notice.wait_for()
    notice.click()
    page.wait_for_selector("h1 .booking-status.status-cancelled")
    assert "更换X光管" in page.inner_text("table.history")
    page.goto(f"{base}/vouchers/")
    page.wait_for_selector(".voucher-balance")
    assert "1000.00" in page.inner_text(".voucher-balance")
    assert Voucher.objects.get(pk=voucher.pk).balance == voucher.amount

    # 3. Training: the manager requires a qualification, the researcher asks, the manager
    # schedules the training and records a pass.
    sign_in(page, base, "manager_swu", console)
    page.wait_for_selector("#policy")
    page.check("#policy input[name='qualification_required']")
    page.click("#policy button[type=submit]")
    page.wait_for_selector(".messages li:has-text('预约规则已保存')")
    assert BookingPolicy.objects.get(instrument=instrument).qualification_required

    sign_in(page, base, "researcher_mianyang", instrument_page)
    page.wait_for_selector("#training button:has-text('申请培训')")
    page.fill("#training-message", "周三下午方便")
    page.click("#training button:has-text('申请培训')")
    page.wait_for_selector("#training .training-status:has-text('已申请培训，状态：待安排')")
    training = TrainingRequest.objects.get(user=researcher)

    sign_in(page, base, "manager_swu", "/manage/training/")
    row = f"tr[data-training='{training.pk}']"
    page.wait_for_selector(f"{row} button:has-text('安排培训')")
    when = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=10, minute=0)
    page.fill(f"#when-{training.pk}", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill(f"#place-{training.pk}", "理科楼 B203")
    page.click(f"{row} button:has-text('安排培训')")
    page.wait_for_selector(".messages :text('培训已安排，申请人会收到通知。')")
    page.fill(f"#note-{training.pk}", "操作规范")
    page.click(f"{row} button:has-text('记录通过')")
    page.wait_for_selector(".messages :text('已记录通过')")
    qualification = Qualification.objects.get(user=researcher, instrument=instrument)

    sign_in(page, base, "researcher_mianyang", instrument_page)
    expected = f"您已持有上机资格，至 {qualification.valid_until:%Y-%m-%d}"
    page.wait_for_selector(f"#training :text('{expected}')")

    # 4. The qualified researcher reports the instrument down; the manager resolves it.
    page.click("details.problem-report summary")
    page.select_option("#id_severity", "down")
    page.fill("#id_description", "真空泵异响，无法抽真空")
    page.click("form.problem-form button[type=submit]")
    page.wait_for_selector("text=仪器已停机待修")
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.AWAITING_REPAIR
    problem = ProblemReport.objects.get()

    sign_in(page, base, "manager_swu", "/manage/problems/")
    row = f"tr[data-problem='{problem.pk}']"
    page.wait_for_selector(row)
    page.fill(f"{row} textarea", "更换真空泵密封圈")
    page.click(f"{row} button[type=submit]")
    page.wait_for_selector("text=已标记为已解决")
    page.goto(base + instrument_page)
    assert "更换真空泵密封圈" in page.inner_text("section.instrument-problems")
    assert page.inner_text(".status.status-normal") == "正常"

    # 5. A session today; the manager prints the QR sheet and the researcher opens its address.
    session = booking_of(
        instrument,
        researcher,
        start=timezone.now() + datetime.timedelta(minutes=5),
        project_name="绵碚协同创新项目",
    )
    page.goto(f"{base}/instruments/{instrument.pk}/qr/print/")
    sheet = page.locator(".qr-sheet-code")
    sheet.wait_for()
    kiosk_url = sheet.get_attribute("data-kiosk-url")
    assert kiosk_url.startswith(f"{base}/kiosk/")

    page.context.clear_cookies()
    page.goto(kiosk_url)
    page.fill("#id_username", "researcher_mianyang")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_selector("button[value=check_in]")
    # On this phone the researcher reads English.
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en] button[value=check_in]")
    page.click("button[value=check_in]")
    page.wait_for_selector(".messages li:has-text('Checked in')")
    session.refresh_from_db()
    assert session.status == Booking.Status.CHECKED_IN
    # Ninety minutes at the instrument.
    Booking.objects.filter(pk=session.pk).update(
        checked_in_at=timezone.now() - datetime.timedelta(minutes=90)
    )
    page.click("button[value=check_out]")
    page.wait_for_selector(".messages li:has-text('90 minutes used')")
    session.refresh_from_db()
    assert session.status == Booking.Status.COMPLETED
    assert Decimal("225") <= session.charge < Decimal("226")  # 90 minutes at 150 元/h
    page.screenshot(path=artifacts / "journey-kiosk.png", full_page=True)

    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("html[lang=zh-hans]")
    page.goto(f"{base}/bookings/{session.pk}/")
    page.wait_for_selector("h1 .booking-status.status-completed")
    assert f"{session.charge} 元" in page.inner_text("main")

    # The service record, exported by the manager: the real minutes, charge and service mode.
    sign_in(page, base, "manager_swu", "/manage/")
    page.wait_for_selector("h1:has-text('管理台')")
    today = timezone.localdate()
    response = page.request.get(
        f"{base}/api/service-records/export.csv?from={today:%Y-%m-%d}&to={today:%Y-%m-%d}"
    )
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(response.body().decode("utf-8-sig"))))
    [record] = [r for r in rows if r["仪器名称"] == "X射线衍射仪"]
    assert Decimal(record["服务金额（元）"]) == session.charge
    assert Decimal(record["服务量（机时）"]) == Decimal("1.5")
    assert record["服务方式"] == "自主上机"
    assert record["课题名称"] == "绵碚协同创新项目"

    # The coordinators' dashboard counts the completed booking and its hours.
    sign_in(page, base, "coordinator_demo", "/dashboard/")
    page.wait_for_selector("h1:has-text('协调看板')")
    kpis = {
        page.locator(".kpi span").nth(i).inner_text(): page.locator(".kpi b").nth(i).inner_text()
        for i in range(page.locator(".kpi").count())
    }
    assert kpis["已完成预约"] == "1"
    assert Decimal(kpis["机时（小时）"]) == Decimal("1.5")
    page.screenshot(path=artifacts / "journey-dashboard.png", full_page=True)

    assert not [url for url in visited if "/admin/" in url]
    assert page.foreign_requests == []
