"""Projects (课题) in a real browser: a researcher books on a project above the organisation's
threshold, the manager cannot approve yet, the principal investigator approves on the approvals
page, the manager then approves; after the session the organisation administrator opens the
month's statement, downloads its XLSX, and reads the statement in English too."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role
from portal.accounts.services import user_verify
from sharing.bookings.models import Booking, ChargeApproval, ChargeThreshold, Project
from sharing.bookings.services import booking_check_in, booking_check_out
from tests.factories import UserFactory
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


def test_a_charge_waits_for_the_investigator_and_lands_on_the_statement(
    browser, page, live_server, artifacts
):
    world = booking_world(approval_required=True)
    swust = world["swust"]
    pi = UserFactory(
        username="pi", organisation=swust, first_name="王课题", roles=[Role.RESEARCHER]
    )
    orgadmin = UserFactory(username="orgadmin", organisation=swust, roles=[Role.ORGANISATION_ADMIN])
    for user in (pi, orgadmin):
        user_verify(user=user, region=swust.region)
    for user in (pi, orgadmin, world["researcher"], world["manager"]):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    project = Project.objects.create(
        organisation=swust,
        name="轻量化复合材料",
        number="KT-2026-01",
        funding_source=Project.FundingSource.NATIONAL,
        investigator=pi,
    )
    ChargeThreshold.objects.create(organisation=swust, amount=Decimal("300.00"))
    base = live_server.url
    tuesday = next_week_day(1)
    slot = f"button.slot-pick[data-start='{tuesday.isoformat()}T09:00:00+08:00']"

    # The researcher books 3 h (450 元) on the project.
    sign_in(page, base, "researcher", f"/instruments/{world['instrument'].pk}/book/?week={tuesday}")
    page.click(slot)
    page.wait_for_selector("#booking-section:not([hidden])")
    page.select_option("#id_end", f"{tuesday.isoformat()}T12:00:00+08:00")
    page.fill("#id_purpose", "复合材料断面观察")
    page.select_option("#id_project", str(project.pk))
    page.wait_for_selector("[data-fee=amount]:has-text('450.00 元')")
    page.select_option("#id_voucher", str(world["voucher"].pk))
    page.click("#booking-form button[type=submit]")
    page.wait_for_selector("#booking-message:has-text('预约已提交')")
    booking = Booking.objects.get(requester=world["researcher"])
    assert booking.project == project and booking.project_name == "轻量化复合材料"
    approval = ChargeApproval.objects.get(booking=booking)
    assert approval.status == "pending"

    # The manager cannot approve yet: the rule's own message.
    desk_context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    desk = desk_context.new_page()
    sign_in(desk, base, "manager", "/bookings/queue/")
    row = desk.locator(f"tr[data-booking='{booking.pk}']")
    row.wait_for()
    row.locator("button.booking-approve").click()
    desk.wait_for_selector("#bookings-message:has-text('须先经课题负责人同意')")

    # The principal investigator finds the charge waiting on the project page and approves it.
    pi_context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    lead = pi_context.new_page()
    sign_in(lead, base, "pi", "/")
    lead.click("nav.role-nav a[href='/projects/']")
    assert lead.inner_text("a.approvals-link .nav-count") == "1"
    lead.click("a.approvals-link")
    card = lead.locator(f"section[data-approval='{approval.pk}']")
    card.wait_for()
    assert "450.00" in card.inner_text() and "KT-2026-01" in card.inner_text()
    lead.screenshot(path=artifacts / "project-approvals.png", full_page=True)
    card.locator("button:has-text('同意')").click()
    lead.wait_for_selector("text=已同意该费用")
    approval.refresh_from_db()
    assert approval.status == "approved" and approval.decided_by == pi

    # Now the manager approves.
    desk.goto(f"{base}/bookings/queue/")
    row = desk.locator(f"tr[data-booking='{booking.pk}']")
    row.locator("button.booking-approve").click()
    row.locator("[data-status]:has-text('已批准')").wait_for()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED

    # The session happens; the voucher pays half of the charge.
    booking_check_in(booking=booking, by=world["researcher"], now=booking.start)
    booking_check_out(booking=booking, by=world["researcher"], now=booking.end)
    month = f"{tuesday:%Y-%m}"

    # The organisation administrator opens the statement from the role bar and downloads it.
    admin_context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    office = admin_context.new_page()
    sign_in(office, base, "orgadmin", "/projects/")
    office.click("nav.role-nav a[href='/statements/']")
    office.wait_for_selector("h1:has-text('费用结算单')")
    office.goto(f"{base}/statements/?month={month}&project={project.pk}")
    assert office.inner_text("[data-total=charge]") == "450.00"
    assert office.inner_text("[data-total=voucher]") == "225.00"
    assert office.inner_text("[data-total=due]") == "225.00"
    assert "王课题" in office.inner_text("body")
    office.screenshot(path=artifacts / "project-statement.png", full_page=True)
    with office.expect_download() as download:
        office.click("a.xlsx-link")
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[-1][0] == "合计"
    assert [Decimal(str(v)) for v in rows[-1][7:10]] == [450, 225, 225]

    # The same statement in English.
    office.goto(f"{base}/projects/")
    office.get_by_role("button", name="English").click()
    office.wait_for_selector("h1:has-text('Projects')")
    office.goto(f"{base}/statements/?month={month}&project={project.pk}")
    assert "Statement of charges" in office.inner_text("h1")
    assert "Amount due (CNY)" in office.inner_text("body")
    assert office.inner_text("[data-total=due]") == "225.00"
    for context in (desk_context, pi_context, admin_context):
        context.close()
    assert page.foreign_requests == []
