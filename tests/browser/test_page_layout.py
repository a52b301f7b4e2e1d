"""Every page of the README's address table at 1366 px, in Chinese and in English, with the demo
data and the people who use each page: no text squeezed to a character per line, a header of one
row, and on English pages no Chinese outside the data (which is marked lang="zh-Hans")."""

import re

import pytest
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1366, 900

# A text squeezed into a column a character or two wide: three lines or more, each line box
# narrower than 2.5 of its characters, for a text longer than its line count allows otherwise.
SQUEEZED = """
() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, '');
    if (text.length < 4) continue;
    const element = node.parentElement;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden') continue;
    if (element.closest('[hidden], script, style, option')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    const lines = new Set(rects.map(r => Math.round(r.top))).size;
    if (lines < 3) continue;
    const size = parseFloat(style.fontSize);
    const widest = Math.max(...rects.map(r => r.width));
    if (widest < 2.5 * size && lines >= 0.5 * Math.min(text.length, 20)) {
      found.push(`${element.tagName.toLowerCase()}.${element.className}: ${text.slice(0, 40)}`
        + ` (${lines} lines, ${Math.round(widest)} px wide)`);
    }
  }
  return found;
}
"""

# The header is one row: brand, menu and tools side by side, and no menu item on two lines.
HEADER = """
() => {
  const header = document.querySelector('.site-header');
  const parts = [...header.children].filter(e => e.offsetParent !== null)
    .map(e => e.getBoundingClientRect());
  // One row: every part of the header overlaps every other vertically.
  const oneRow = Math.max(...parts.map(r => r.top)) < Math.min(...parts.map(r => r.bottom));
  const wrapped = [...header.querySelectorAll('a, button, .who')].filter(e => {
    const range = document.createRange();
    range.selectNodeContents(e);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    return new Set(rects.map(r => Math.round(r.top))).size > 1;
  }).map(e => e.textContent.trim());
  return {rows: oneRow ? 1 : 2, wrapped, height: Math.round(header.getBoundingClientRect().height)};
}
"""

# Chinese characters in the text of an English page, outside what is marked as Chinese data.
CHINESE = """
() => {
  const found = [];
  const cjk = /[\\u3000-\\u303f\\u3400-\\u9fff\\uff00-\\uffef]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!cjk.test(node.textContent)) continue;
    if (element.closest('[lang^="zh"], script, style, textarea, [data-data]')) continue;
    if (element.closest('[hidden]') || element.offsetParent === null
        && getComputedStyle(element).position !== 'fixed') continue;
    found.push(`${element.tagName.toLowerCase()}: ${node.textContent.trim().slice(0, 60)}`);
  }
  for (const option of document.querySelectorAll('option')) {
    if (cjk.test(option.textContent) && !option.closest('[lang^="zh"]')) {
      found.push(`option: ${option.textContent.trim().slice(0, 60)}`);
    }
  }
  return found;
}
"""


@pytest.fixture
def demo():
    from demo.loader import demo_load
    from portal.accounts.models import Organisation, User
    from sharing.bookings.models import Booking
    from sharing.catalogue.models import Instrument, Platform
    from sharing.techmarket.models import TechListing

    demo_load()
    instrument = Instrument.objects.filter(withdrawn_at__isnull=True).order_by("pk").first()
    listing = TechListing.objects.filter(status="published").order_by("pk").first()
    # An approved booking shows the most (its buttons); any of researcher_mianyang's will do.
    mine = Booking.objects.filter(requester__username="researcher_mianyang")
    booking = (
        mine.filter(status=Booking.Status.APPROVED).order_by("pk").first()
        or mine.order_by("pk").first()
    )
    return {
        "users": {user.username: user for user in User.objects.all()},
        "instrument": instrument,
        "organisation": Organisation.objects.get(pk=instrument.organisation_id),
        "platform": Platform.objects.order_by("pk").first(),
        "listing": listing,
        "booking": booking,
        "managed": Instrument.objects.filter(managers__username="manager_swu")
        .order_by("pk")
        .first(),
    }


def pages(demo) -> list[tuple[str | None, str]]:
    """(who is signed in, path): every page of the README's table a person reads."""
    i, o, p, listing = demo["instrument"], demo["organisation"], demo["platform"], demo["listing"]
    return [
        (None, "/"),
        (None, "/platforms/"),
        (None, "/instruments/"),
        (None, f"/instruments/{i.pk}/"),
        (None, f"/organisations/{o.pk}/"),
        (None, f"/platforms/{p.pk}/"),
        (None, f"/instruments/{i.pk}/book/"),
        (None, "/tech/"),
        (None, "/map/"),
        ("researcher_mianyang", "/"),
        ("researcher_mianyang", "/instruments/"),
        ("researcher_mianyang", f"/instruments/{i.pk}/"),
        ("researcher_mianyang", f"/instruments/{i.pk}/book/"),
        ("researcher_mianyang", "/bookings/"),
        ("researcher_mianyang", "/vouchers/"),
        ("researcher_mianyang", f"/bookings/{demo['booking'].pk}/"),
        ("researcher_mianyang", "/projects/"),
        ("pi_swust", "/projects/approvals/"),
        ("orgadmin_swust", "/projects/"),
        ("manager_swu", "/bookings/queue/"),
        ("manager_swu", "/instruments/import/"),
        ("manager_swu", "/manage/"),
        ("manager_swu", f"/manage/instruments/{demo['managed'].pk}/"),
        ("firm_demo", "/tech/"),
        ("firm_demo", f"/tech/listings/{listing.pk}/"),
        ("firm_demo", "/tech/needs/"),
        ("owner_demo", f"/tech/listings/{listing.pk}/"),
        ("broker_demo", "/tech/pipeline/"),
        ("broker_demo", "/tech/contracts/"),
        ("broker_demo", "/tech/services/"),
        ("reviewer_demo", "/tech/review/"),
        ("coordinator_demo", "/dashboard/"),
        ("coordinator_demo", "/map/"),
    ]


def _sign_in(context, live_server, user) -> None:
    context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user)
    host = re.sub(r"^https?://", "", live_server.url).split(":")[0]
    session = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])


def _walk(browser, live_server, demo, language: str, artifacts):
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": WIDTH, "height": HEIGHT}
    )
    page = context.new_page()
    squeezed, headers, chinese = [], [], []
    host = re.sub(r"^https?://", "", live_server.url).split(":")[0]
    try:
        for who, path in pages(demo):
            _sign_in(context, live_server, demo["users"][who] if who else None)
            context.add_cookies(
                [{"name": "django_language", "value": language, "domain": host, "path": "/"}]
            )
            response = page.goto(live_server.url + path)
            assert response.status == 200, (who, path, response.status)
            page.wait_for_load_state("load")
            where = f"{language} {who or 'anonymous'} {path}"
            found = page.evaluate(SQUEEZED)
            if found:
                squeezed.append((where, found))
                name = re.sub(r"\W+", "-", where)
                page.screenshot(path=artifacts / f"layout-{name}.png", full_page=True)
            header = page.evaluate(HEADER)
            if header["rows"] > 1 or header["wrapped"]:
                headers.append((where, header))
            if language == "en":
                text = [t for t in page.evaluate(CHINESE) if t not in KNOWN_CHINESE]
                if text:
                    chinese.append((where, text))
    finally:
        context.close()
    return squeezed, headers, chinese


# Known and owned elsewhere in the same issue: the dashboard's "导出：" keeps its full-width colon
# in English (frontend/templates/frontend/dashboard.html is being reworked by the dashboard change).
# Remove this entry when that lands.
KNOWN_CHINESE: set[str] = set()


def _lines(found) -> str:
    return "\n".join(f"{where}: {what}" for where, what in found)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_page_squeezes_text_or_breaks_the_header(
    browser, live_server, demo, language, artifacts
):
    squeezed, headers, _chinese = _walk(browser, live_server, demo, language, artifacts)
    assert squeezed == [], "text wrapped a character per line:\n" + _lines(squeezed)
    assert headers == [], "header taller than one row:\n" + _lines(headers)


def test_english_pages_show_no_chinese_interface_text(browser, live_server, demo, artifacts):
    _squeezed, _headers, chinese = _walk(browser, live_server, demo, "en", artifacts)
    assert chinese == [], "Chinese interface text on English pages:\n" + _lines(chinese)
