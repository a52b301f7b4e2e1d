"""Issue 16's "done means", walked end to end in a real browser with no /admin/ at any point.

A Mianyang firm applies on the vouchers page for a voucher from 绵阳科技局; Mianyang's
coordinator approves it with an amount, a validity and the regions it is good in. The firm
orders a test at 西南大学's diffractometer paying with it, the manager quotes, the firm accepts,
the manager receives the samples, tests and uploads the report, and the firm downloads the PDF.
西南大学's manager asks Mianyang to settle that redemption; the coordinator approves the line and
marks it paid, and the coordinators' dashboard shows exactly that amount flowing Mianyang →
Beibei. ``vouchers_reconcile`` then agrees with the ledger, and after one ledger row is
tampered with it exits non-zero naming the difference.

Walked in Chinese and, the same steps, in English, where the pages show no Chinese interface
text (the check of tests/browser/test_page_layout.py).
"""

import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from portal.accounts.models import Organisation, Role
from sharing.bookings.models import (
    SampleOrder,
    SettlementRequest,
    TestItem,
    Voucher,
    VoucherApplication,
    VoucherEntry,
)
from tests.bookings import instrument_with_rules, person, regions
from tests.browser.test_page_layout import CHINESE
from tests.factories import OrganisationFactory
from tests.orders import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"

# What the pages say, per language (the .po's English for each message).
WORDS = {
    "zh-hans": {
        "sign_in": "登录",
        "applied": "申请已提交，等待发放地区协调员审批。",
        "waiting": "等待审批",
        "approved": "已批准，发放创新券",
        "submitted": "委托已提交",
        "quoted": "已报价，委托人会收到通知。",
        "accepted": "已确认报价",
        "received": "已登记收样。",
        "testing": "已开始检测。",
        "reported": "检测报告已上传",
        "requested": "兑现申请已提交",
        "decided": "已审核该明细。",
        "paid": "已标记兑付。",
        "paid_status": "已兑付",
        "dashboard": "协调看板",
    },
    "en": {
        "sign_in": "Sign in",
        "applied": "The application was submitted",
        "waiting": "Awaiting a decision",
        "approved": "Approved; voucher",
        "submitted": "Order submitted",
        "quoted": "Quoted; the customer is told.",
        "accepted": "Quote accepted",
        "received": "Samples recorded as received.",
        "testing": "Testing started.",
        "reported": "Report uploaded",
        "requested": "The settlement request was submitted.",
        "decided": "The line was decided.",
        "paid": "Marked as paid.",
        "paid_status": "Paid",
        "dashboard": "Coordination dashboard",
    },
}


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


@pytest.fixture(autouse=True)
def own_cache(settings):
    # The dashboard keeps its figures in the Redis other test runs share: a cache of this
    # test's own, so the figures are this test's.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "m"}
    }


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def world():
    """Beibei and Mianyang; 西南大学 (Beibei) with a diffractometer and its price list and its
    manager; a Mianyang firm's member; Mianyang's coordinator (at 绵阳市科技局)."""
    bb, my = regions()
    swu = OrganisationFactory(
        name="西南大学",
        name_en="Southwest University",
        region=bb,
        kind=Organisation.Kind.UNIVERSITY,
    )
    manager = person("manager_swu", organisation=swu, roles=[Role.INSTRUMENT_MANAGER])
    instrument = instrument_with_rules(
        organisation=swu, managers=[manager], closed_on_holidays=False
    )
    instrument.name, instrument.name_en = "X射线衍射仪", "X-ray diffractometer"
    instrument.save(update_fields=["name", "name_en"])
    TestItem.objects.create(
        instrument=instrument,
        name="物相分析",
        unit=TestItem.Unit.PER_SAMPLE,
        price=Decimal("80.00"),
        minimum_charge=Decimal("200.00"),
        urgent_surcharge_percent=Decimal("50"),
    )
    firm_org = OrganisationFactory(
        name="绵阳某科技公司",
        name_en="Mianyang Tech Co.",
        region=my,
        kind=Organisation.Kind.FIRM,
    )
    firm = person("firm_mianyang", organisation=firm_org, roles=[Role.FIRM])
    bureau = OrganisationFactory(
        name="绵阳市科学技术局",
        name_en="Mianyang Science and Technology Bureau",
        region=my,
        kind=Organisation.Kind.GOVERNMENT,
    )
    coordinator = person("coordinator_mianyang", organisation=bureau, roles=[Role.COORDINATOR])
    return instrument, manager, firm, coordinator


class Walk:
    """One browser tab, signed in as one person at a time, in one language; every page it opens
    in English is checked for Chinese interface text."""

    def __init__(self, page, base, language, artifacts):
        self.page, self.base, self.language, self.artifacts = page, base, language, artifacts
        self.words = WORDS[language]
        self.chinese = []
        self.visited = []
        page.on("request", lambda r: self.visited.append(r.url))

    def sign_in(self, username, next_path):
        page = self.page
        page.context.clear_cookies()
        host = self.base.split("://")[1].split(":")[0]
        page.context.add_cookies(
            [{"name": "django_language", "value": self.language, "domain": host, "path": "/"}]
        )
        page.goto(f"{self.base}/login/?next={next_path}")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click(f"button[type=submit]:has-text('{self.words['sign_in']}')")
        page.wait_for_url(f"{self.base}{next_path}")
        self.check()

    def goto(self, path):
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        self.check()

    def said(self, key, *, tag="success"):
        self.page.wait_for_selector(f'.messages li.{tag}:has-text("{self.words[key]}")')
        self.check()

    def check(self):
        """On English pages: no Chinese outside what is marked as Chinese data."""
        self.page.wait_for_load_state("load")
        if self.language == "en":
            found = self.page.evaluate(CHINESE)
            if found:
                self.chinese.append((self.page.url, found))

    def shot(self, name):
        self.page.screenshot(
            path=self.artifacts / f"money-{name}-{self.language}.png", full_page=True
        )


def reconcile() -> tuple[int, str, str]:
    """manage.py vouchers_reconcile: (exit status, stdout, stderr); it exits 1 on a difference
    and returns normally when the columns and the ledger agree."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("vouchers_reconcile", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_voucher_money_goes_from_mianyang_to_beibei_through_the_pages(
    page, live_server, artifacts, tmp_path, language
):
    started = time.monotonic()
    instrument, manager, firm, coordinator = world()
    walk = Walk(page, live_server.url, language, artifacts)
    words = walk.words
    today = timezone.localdate()

    # 1. The firm applies for a voucher from Mianyang on the vouchers page.
    walk.sign_in(firm.username, "/vouchers/")
    page.select_option("#id_issuing_region", "mianyang")
    page.fill("#id_amount", "5000")
    page.fill("#id_purpose", "委托西南大学做X射线衍射物相分析")
    page.click(".apply-form button[type=submit]")
    walk.said("applied")
    application = VoucherApplication.objects.get(organisation=firm.organisation)
    row = page.locator(f"tr[data-application='{application.pk}']")
    assert words["waiting"] in row.inner_text()
    assert "5000.00" in row.inner_text()

    # 2. Mianyang's coordinator approves it: 3000 元, valid a year, good in both regions.
    walk.sign_in(coordinator.username, "/vouchers/")
    page.click("a[href='/vouchers/applications/']")
    card = page.locator(f"section[data-application='{application.pk}']")
    card.wait_for()
    walk.check()
    prefix = f"#id_a{application.pk}"
    page.fill(f"{prefix}-amount", "3000")
    page.fill(f"{prefix}-valid_from", today.isoformat())
    page.fill(f"{prefix}-valid_until", (today + datetime.timedelta(days=365)).isoformat())
    for box in card.locator("input[name$='accepted_in']").all():
        box.check()
    card.locator("button[value=approve]").click()
    walk.said("approved")
    application.refresh_from_db()
    voucher = application.voucher
    assert voucher.amount == Decimal("3000.00") and voucher.issuing_region.code == "mianyang"
    assert {r.code for r in voucher.accepted_in.all()} == {"mianyang", "beibei"}
    walk.shot("approved")

    # 3. The firm orders a test at 西南大学's diffractometer, paying with the voucher.
    walk.sign_in(firm.username, f"/instruments/{instrument.pk}/")
    page.click(f"a[href='/instruments/{instrument.pk}/order/']")
    page.wait_for_selector("form.order-form")
    walk.check()
    page.fill("#id_samples-0-name", "钛合金粉末")
    page.fill("#id_samples-0-count", "3")
    page.select_option("#id_samples-0-form", "powder")
    item = instrument.test_items.get()
    page.fill(f"#id_qty_{item.pk}", "3")
    page.fill("#id_project_name", "轻量化材料")
    page.select_option("#id_voucher", str(voucher.pk))
    page.click("form.order-form button[type=submit]")
    walk.said("submitted")
    order = SampleOrder.objects.get(customer=firm)
    assert order.voucher_id == voucher.pk and order.estimate == Decimal("240.00")
    reserved = VoucherEntry.objects.get(order=order, kind="reservation").amount
    assert reserved == Decimal("120.00")
    assert voucher.code in page.inner_text("main")
    assert "120.00" in page.inner_text(".order-voucher")

    # 4. The manager quotes 250 元 on the orders list; the firm accepts.
    walk.sign_in(manager.username, "/manage/orders/")
    page.fill(f"#quote-price-{order.pk}", "250.00")
    page.fill(f"#quote-date-{order.pk}", (today + datetime.timedelta(days=5)).isoformat())
    page.click(f"tr[data-order='{order.pk}'] form:has(input[value=quote]) button")
    walk.said("quoted")

    walk.sign_in(firm.username, f"/orders/{order.pk}/")
    assert "250.00" in page.inner_text("main")
    page.click("button[value=accept]")
    walk.said("accepted")

    # 5. The manager receives the samples, starts testing and uploads the report.
    walk.sign_in(manager.username, f"/orders/{order.pk}/")
    page.click("button[value=receive]")
    walk.said("received")
    page.click("button[value=start]")
    walk.said("testing")
    report = tmp_path / "报告.pdf"
    report.write_bytes(PDF)
    page.set_input_files(f"#report-file-{order.pk}", str(report))
    page.click("form:has(input[value=report]) button[type=submit]")
    walk.said("reported")
    order.refresh_from_db()
    assert order.status == SampleOrder.Status.REPORTED
    redeemed = order.voucher_part
    # Half of the 250 元 fee is 125 元, but the voucher pays at most what it reserved on the
    # 240 元 estimate (sharing/bookings/orders/vouchers.py).
    assert redeemed == Decimal("120.00")

    # 6. The firm sees what the voucher paid and downloads the report.
    walk.sign_in(firm.username, f"/orders/{order.pk}/")
    assert "120.00" in page.inner_text(".order-voucher")
    with page.expect_download() as download_info:
        page.click("a.report-download")
    saved = tmp_path / "downloaded.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == PDF
    response = page.request.get(live_server.url + page.get_attribute("a.report-download", "href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    walk.goto("/vouchers/")
    assert f"{Decimal('3000.00') - redeemed}" in page.inner_text(
        f"[data-voucher='{voucher.code}'] .voucher-balance"
    )
    walk.shot("firm-vouchers")

    # 7. 西南大学's manager asks Mianyang to settle the month's redemptions: this one.
    walk.sign_in(manager.username, "/vouchers/")
    page.click("a[href='/vouchers/settlements/']")
    page.wait_for_selector("section.settlement-new")
    walk.check()
    page.select_option("#id_issuing_region", "mianyang")
    page.fill("#id_period_from", today.replace(day=1).isoformat())
    page.fill("#id_period_until", today.isoformat())
    page.click("section.settlement-new form[method=get] button[type=submit]")
    entry = VoucherEntry.objects.get(order=order, kind="redemption")
    page.wait_for_selector(f"tr[data-redemption='{entry.pk}']")
    walk.check()
    assert "120.00" in page.inner_text("table.eligible tfoot")
    page.click("table.eligible ~ button[type=submit]")
    walk.said("requested")
    made = SettlementRequest.objects.get()
    assert made.total == redeemed and made.issuing_region.code == "mianyang"
    walk.shot("settlement-requested")
    # The two papers to print, sign and stamp.
    for paper in ("form", "commitment"):
        page.click(f"a[href='/vouchers/settlements/{made.pk}/{paper}/']")
        page.wait_for_selector("body")
        walk.check()
        assert "120.00" in page.inner_text("body")
        page.go_back()

    # 8. The coordinator approves the line and marks the request paid.
    walk.sign_in(coordinator.username, "/vouchers/settlements/")
    page.click(f"tr[data-settlement='{made.pk}'] a")
    page.wait_for_selector("table.settlement-lines")
    walk.check()
    line = made.lines.get()
    page.click(f"tr[data-line='{line.pk}'] button[value=approve]")
    walk.said("decided")
    page.click("button[value=paid]")
    walk.said("paid")
    assert words["paid_status"] in page.inner_text("h1")
    made.refresh_from_db()
    voucher.refresh_from_db()
    assert made.status == SettlementRequest.Status.PAID
    assert voucher.settled == redeemed
    walk.shot("settlement-paid")

    # 9. The coordinators' dashboard: exactly that amount from Mianyang to Beibei.
    walk.goto(f"/dashboard/?year={today.year}")
    page.wait_for_selector(f"h1:has-text('{words['dashboard']}')")
    flow = page.locator("tr[data-voucher-flow='mianyang-beibei'] td.num")
    assert flow.all_inner_texts() == ["0.00", "120.00", "120.00", "120.00"]
    assert page.locator("tr[data-voucher-flow]").count() == 1
    walk.shot("dashboard")

    # 10. The ledger reconciles, and no longer does once a ledger row is tampered with.
    assert reconcile() == (0, "vouchers: columns and ledger agree\n", "")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_voucherentry SET amount = amount + 1 WHERE id = %s", [entry.pk]
        )
    code, out, err = reconcile()
    assert code == 1
    assert f"voucher {voucher.code}: redeemed recorded 120.00, ledger 121.00" in out
    assert f"line {line.pk} (voucher {voucher.code}): amount 120.00, redemption 121.00" in out
    assert "difference(s)" in err
    assert Voucher.objects.get(pk=voucher.pk).redeemed == Decimal("120.00")

    assert not [url for url in walk.visited if "/admin/" in url]
    assert page.foreign_requests == []
    assert walk.chinese == [], "Chinese interface text on English pages:\n" + "\n".join(
        f"{url}: {found}" for url, found in walk.chinese
    )
    print(f"money journey ({language}): {time.monotonic() - started:.1f} s")
