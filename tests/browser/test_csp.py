"""The Content Security Policy in Chromium: the portal's pages run under it with no violation.

A violation shows up twice in Chromium: as a console message ("Refused to ... because it
violates the following Content Security Policy directive") and as a `securitypolicyviolation`
event in the document (and in the map's frame). Both are collected; both must stay empty.
"""

import pytest
from django.contrib.gis.geos import Point

from portal.accounts.models import Role, User
from tests.browser.test_map import built_map  # noqa: F401 (a fixture)
from tests.factories import InstrumentFactory, beibei, mianyang

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def watched(page, live_server):
    """The page, with every CSP report collected and every request off the portal refused
    (tile servers: the pages must work without them)."""
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.console_csp = []
    page.on(
        "console",
        lambda message: (
            page.console_csp.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: page.console_csp.append(f"page error: {exc}"))

    def route(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    return page


def violations(page) -> list[str]:
    found = list(page.console_csp)
    for frame in page.frames:
        try:
            found.extend(frame.evaluate("window.__cspViolations || []"))
        except Exception as exc:  # a frame that went away while we looked
            found.append(f"frame {frame.url}: {exc}")
    return found


def sign_in(page, base, username, next_path):
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


def visit(page, url, ready: str):
    response = page.goto(url)
    assert response.status == 200, url
    assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")


def test_the_pages_run_under_the_policy_without_a_violation(
    watched,
    live_server,
    built_map,  # noqa: F811
):
    page, base = watched, live_server.url
    mianyang(), beibei()
    instrument = InstrumentFactory(name="场发射扫描电子显微镜", location=Point(106.42, 29.82))
    User.objects.create_superuser(
        "coordinator",
        "coordinator@example.cn",
        PASSWORD,
        roles=[Role.COORDINATOR, Role.ADMINISTRATOR],
    )

    visit(page, f"{base}/", "h1")
    visit(page, f"{base}/instruments/?q=电镜", "h1")
    visit(page, f"{base}/instruments/{instrument.pk}/", "[data-minimap].leaflet-container")
    visit(page, f"{base}/map/", "#layout-map")
    frame = page.frame_locator("#layout-map")
    frame.locator(".leaflet-container").wait_for()
    frame.locator("path.leaflet-interactive").first.wait_for()
    frame.locator(".mb-legend").wait_for()
    # A popup: Leaflet writes its HTML (with style attributes) when it opens.
    frame.locator("path.leaflet-interactive").first.click(force=True)
    visit(page, f"{base}/api/docs/", ".swagger-ui .info")
    visit(page, f"{base}/admin/login/", "#id_username")
    assert violations(page) == []

    sign_in(page, base, "coordinator", "/dashboard/")
    visit(page, f"{base}/dashboard/", "img.chart")
    visit(page, f"{base}/admin/", "#content")
    visit(page, f"{base}/admin/catalogue/platform/add/", ".ol-viewport")
    assert violations(page) == []


def test_the_recorder_does_see_a_violation(watched, live_server):
    """The check above is only worth something if a violation would be caught."""
    page = watched
    page.goto(live_server.url + "/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any("script-src" in text for text in violations(page))
