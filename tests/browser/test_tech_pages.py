"""The technology exchange in a real browser: a firm finds a listing, expresses interest with
the NDA accepted and sees the contact; the broker sees the card on the board and moves it on.
Screenshots of the listing, the board and the inquiry go to tests/artifacts/."""

import pytest

from portal.accounts.models import Role
from sharing.techmarket import services
from sharing.techmarket.models import Inquiry
from tests.factories import OrganisationFactory, beibei
from tests.frontend.test_tech_pages import PHONE, tech_world
from tests.techmarket.factories import FirmUserFactory, TechListingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


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


def other_deals(world):
    """Two more firms' inquiries, one moved on to 洽谈中, so the board has several columns."""
    for n, stages in enumerate([["contacted", "nda_signed", "negotiating"], ["contacted"]]):
        firm = FirmUserFactory(
            organisation=OrganisationFactory(name=f"北碚测试企业{n}", region=beibei(), kind="firm"),
            roles=[Role.FIRM],
        )
        listing = TechListingFactory(created_by=world["owner"], title=f"碳纤维复合材料成型工艺{n}")
        inquiry = services.inquiry_create(user=firm, listing=listing, message="了解")
        for stage in stages:
            services.inquiry_advance(user=world["broker"], inquiry=inquiry, to=stage)


def test_firm_expresses_interest_and_broker_moves_it_on_the_board(page, live_server, artifacts):
    world = tech_world()
    other_deals(world)
    listing = world["listing"]
    base = live_server.url
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Anonymous visitors get teaser cards with the way to sign in.
    page.goto(f"{base}/tech/")
    page.wait_for_selector(".listing-card .teaser-note")
    assert PHONE not in page.content()
    page.screenshot(path=artifacts / "tech-browse-anonymous.png", full_page=True)

    sign_in(page, base, "firm", "/tech/")
    page.wait_for_selector(".listing-card")
    page.fill("#id_q", "钛合金")
    page.click(".search-actions button[type=submit]")
    page.click(f"a[href='/tech/listings/{listing.pk}/']")
    page.wait_for_selector("#interest-form")
    assert PHONE not in page.content()
    page.fill("#id_message", "希望了解批量化成本")
    page.check("#id_nda_0")
    page.click("#interest-form button[type=submit]")
    page.wait_for_selector("#contact")
    assert PHONE in page.inner_text("#contact")
    assert "技术说明.pdf" in page.inner_text("#documents")
    assert "新意向" in page.inner_text(".inquiry-state")
    page.screenshot(path=artifacts / "tech-listing-full.png", full_page=True)
    inquiry = Inquiry.objects.get(listing=listing, firm=world["firm"].organisation)
    assert inquiry.broker == world["broker"] and inquiry.nda_accepted_at is not None

    page.context.clear_cookies()
    sign_in(page, base, "broker", "/tech/pipeline/")
    card = f".board-column[data-stage=new] a[data-inquiry='{inquiry.pk}']"
    page.wait_for_selector(card)
    assert page.locator(".board-column[data-stage=negotiating] .board-card").count() == 1
    assert page.locator(".board-column[data-stage=contacted] .board-card").count() == 1
    page.screenshot(path=artifacts / "tech-board.png", full_page=True)
    page.click(card)
    page.wait_for_selector("#advance-form")
    page.click("#advance-form button[type=submit]")
    page.wait_for_selector(".messages li:has-text('已推进到')")
    inquiry.refresh_from_db()
    assert inquiry.stage == Inquiry.Stage.CONTACTED
    page.screenshot(path=artifacts / "tech-inquiry.png", full_page=True)
    page.goto(f"{base}/tech/pipeline/")
    page.wait_for_selector(f".board-column[data-stage=contacted] a[data-inquiry='{inquiry.pk}']")
    page.screenshot(path=artifacts / "tech-board-after.png", full_page=True)

    # The owner's editor: submitting an incomplete draft keeps the input and marks the fields.
    page.context.clear_cookies()
    sign_in(page, base, "owner", "/tech/listings/new/")
    page.wait_for_selector("#listing-form")
    page.fill("#id_title", "一种陶瓷基复合材料")
    page.fill("#id_abstract", "耐高温陶瓷基复合材料制备方法。")
    page.fill("#id_key_point_1", "耐温 1600 ℃")
    page.select_option("#id_hightech_field", "materials")
    page.fill("#id_patent-0-number", "ZL202310000001.X")
    page.select_option("#id_patent-0-legal_status", "granted")
    page.fill("#id_patent-0-holder", "中国工程物理研究院某所")
    page.click("#listing-form button[name=submit]")
    page.wait_for_selector("[data-field=transfer_modes] .errors")
    assert page.input_value("#id_title") == "一种陶瓷基复合材料"
    assert page.input_value("#id_patent-0-number") == "ZL202310000001.X"
    page.screenshot(path=artifacts / "tech-editor-errors.png", full_page=True)

    assert page.foreign_requests == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
