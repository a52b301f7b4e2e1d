"""The manager's console in a real browser: the manager sets a week of opening hours in the grid
(adding an interval with the page's own script), and the booking week shows the new hours at
once; a contradictory interval comes back with its message and the input kept."""

import pytest

from sharing.bookings.models import OpeningHours
from tests.browser.test_booking_pages import sign_in
from tests.frontend.test_booking_pages import booking_world, next_week_day

pytestmark = pytest.mark.browser


def test_a_manager_sets_hours_in_the_grid_and_the_week_shows_them_at_once(
    page, live_server, artifacts
):
    world = booking_world()
    instrument = world["instrument"]
    console = f"/manage/instruments/{instrument.pk}/"
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, live_server.url, "manager", "/manage/")
    page.wait_for_selector("h1:has-text('管理台')")
    page.click(f"a[href='{console}']")
    page.wait_for_selector("#hours-form")

    saturday = page.locator("fieldset.hours-column[data-weekday='5']")
    saturday.locator("input[name='opens_5']").first.fill("13:00")
    saturday.locator("input[name='closes_5']").first.fill("15:00")
    sunday = page.locator("fieldset.hours-column[data-weekday='6']")
    sunday.locator("input[name='opens_6']").first.fill("08:00")
    sunday.locator("input[name='closes_6']").first.fill("10:00")
    # The script adds an interval to the day; it is saved with the rest of the week.
    sunday.locator("button.hours-add").click()
    sunday.locator("input[name='opens_6']").last.fill("14:00")
    sunday.locator("input[name='closes_6']").last.fill("16:00")
    page.click("#hours-form button[type=submit]")
    page.wait_for_selector(".messages li:has-text('开放时间已保存')")
    assert page.locator(".hours-block[title='14:00–16:00']").count() == 1
    page.screenshot(path=artifacts / "manage-instrument.png", full_page=True)
    assert [
        (w, o.strftime("%H:%M"), c.strftime("%H:%M"))
        for w, o, c in OpeningHours.objects.filter(instrument=instrument, weekday__gte=5)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    ] == [(5, "13:00", "15:00"), (6, "08:00", "10:00"), (6, "14:00", "16:00")]

    sat, sun = next_week_day(5), next_week_day(6)
    page.goto(f"{live_server.url}/instruments/{instrument.pk}/book/?week={sat.isoformat()}")
    page.wait_for_selector("table.week")
    assert page.locator(f"button.slot-pick[data-start='{sat}T13:00:00+08:00']").count() == 1
    assert page.locator(f"button.slot-pick[data-start='{sat}T09:00:00+08:00']").count() == 0
    assert page.locator(f"button.slot-pick[data-start='{sun}T14:00:00+08:00']").count() == 1
    assert page.locator(f"button.slot-pick[data-start='{sun}T12:00:00+08:00']").count() == 0

    # A contradictory week: overlapping intervals on Monday. Refused, input kept, message shown.
    page.goto(live_server.url + console)
    monday = page.locator("fieldset.hours-column[data-weekday='0']")
    monday.locator("button.hours-add").click()
    monday.locator("input[name='opens_0']").last.fill("19:00")
    monday.locator("input[name='closes_0']").last.fill("21:00")
    page.click("#hours-form button[type=submit]")
    page.wait_for_selector(".hours-interval.invalid .errors:has-text('与第 1 行的时段重叠')")
    assert page.locator("input[name='opens_0'][value='19:00']").count() == 1
    assert OpeningHours.objects.filter(instrument=instrument, weekday=0).count() == 1
    assert page.foreign_requests == []
    assert not [e for e in errors if "Content Security Policy" in e], errors
