"""The manager's console in the pages: /manage/ for managers (researchers 403), and one
instrument's hours, rules and rates as forms that keep what was typed and say what is wrong."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from sharing.bookings.models import (
    Booking,
    BookingPolicy,
    OpeningHours,
    ProblemReport,
    TrainingRequest,
)
from tests.bookings import instrument_with_rules, person, regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    _bb, my = regions()
    manager = person("manager", roles=(Role.INSTRUMENT_MANAGER,))
    researcher = person("researcher", region=my)
    instrument = instrument_with_rules(managers=[manager], approval_required=True)
    other = instrument_with_rules(managers=[person("other_manager")])
    return {"manager": manager, "researcher": researcher, "instrument": instrument, "other": other}


def signed_in(client, user, language="zh-hans"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def request_now(world, status=Booking.Status.REQUESTED, **extra):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=30)
    end = start + datetime.timedelta(hours=1)
    return Booking.objects.create(
        instrument=world["instrument"],
        requester=world["researcher"],
        period=(start, end),
        blocked=(start, end),
        status=status,
        purpose="看看样品",
        rate_category=Booking.RateCategory.OTHER_REGION,
        hourly_rate=Decimal("150"),
        fee_estimate=Decimal("150"),
        **extra,
    )


def test_the_console_lists_my_instruments_todays_bookings_and_what_waits(client, world):
    booking = request_now(world)
    ProblemReport.objects.create(
        instrument=world["instrument"],
        reporter=world["researcher"],
        severity="degraded",
        description="真空泵异响",
    )
    TrainingRequest.objects.create(instrument=world["instrument"], user=world["researcher"])
    html = signed_in(client, world["manager"]).get("/manage/").content.decode()
    assert f'href="/manage/instruments/{world["instrument"].pk}/"' in html
    assert f'href="/manage/instruments/{world["other"].pk}/"' not in html
    assert f'href="/bookings/{booking.pk}/"' in html
    assert "真空泵异响" in html
    assert 'href="/bookings/queue/"' in html
    # The navigation counts the request waiting, with a link to the console.
    assert '<a href="/manage/">管理台 <span class="nav-count"' in html


def test_the_console_speaks_english(client, world):
    html = signed_in(client, world["manager"], "en").get("/manage/").content.decode()
    assert "Console" in html and "Instruments I manage" in html


def test_a_researcher_gets_403_and_no_console_link(client, world):
    client = signed_in(client, world["researcher"])
    assert client.get("/manage/").status_code == 403
    assert 'href="/manage/"' not in client.get("/").content.decode()
    url = f"/manage/instruments/{world['instrument'].pk}/"
    assert client.get(url).status_code == 403


def test_a_manager_cannot_open_another_managers_instrument(client, world):
    client = signed_in(client, world["manager"])
    assert client.get(f"/manage/instruments/{world['other'].pk}/").status_code == 403
    assert client.get("/manage/instruments/99999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    assert client.get("/manage/").status_code == 302
    assert client.get(f"/manage/instruments/{world['instrument'].pk}/").status_code == 302


def hours_form(week: dict[int, list[tuple[str, str]]]) -> dict:
    data = {"section": "hours"}
    for weekday in range(7):
        spans = week.get(weekday, [])
        data[f"opens_{weekday}"] = [o for o, _c in spans] or [""]
        data[f"closes_{weekday}"] = [c for _o, c in spans] or [""]
    return data


def test_the_instrument_console_saves_a_week_of_hours(client, world):
    client = signed_in(client, world["manager"])
    url = f"/manage/instruments/{world['instrument'].pk}/"
    page = client.get(url).content.decode()
    assert 'value="08:00"' in page and 'name="opens_6"' in page
    response = client.post(url, hours_form({1: [("09:00", "12:00"), ("13:00", "17:00")]}))
    assert response.status_code == 302
    assert response["Location"].endswith("#hours")
    assert list(
        OpeningHours.objects.filter(instrument=world["instrument"])
        .order_by("opens")
        .values_list("weekday", "opens", "closes")
    ) == [
        (1, datetime.time(9), datetime.time(12)),
        (1, datetime.time(13), datetime.time(17)),
    ]
    page = client.get(url).content.decode()
    assert "开放时间已保存" in page
    assert 'class="hours-block"' in page and "09:00–12:00" in page


def test_contradictory_hours_keep_the_input_and_say_what_is_wrong(client, world):
    client = signed_in(client, world["manager"])
    url = f"/manage/instruments/{world['instrument'].pk}/"
    response = client.post(url, hours_form({2: [("09:00", "12:00"), ("11:00", "14:00")]}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "与第 1 行的时段重叠" in page
    assert 'value="11:00"' in page and 'value="14:00"' in page
    assert OpeningHours.objects.filter(instrument=world["instrument"]).count() == 5


def test_half_an_interval_is_refused(client, world):
    client = signed_in(client, world["manager"])
    url = f"/manage/instruments/{world['instrument'].pk}/"
    response = client.post(url, hours_form({3: [("09:00", "")]}))
    assert response.status_code == 400
    assert "请同时填写开放和关闭时间" in response.content.decode()


def policy_form(**overrides):
    data = {
        "section": "policy",
        "slot_minutes": "30",
        "min_minutes": "30",
        "max_minutes": "480",
        "min_notice_minutes": "60",
        "max_advance_days": "90",
        "buffer_minutes": "0",
        "weekly_quota_minutes": "",
        "approval_required": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_policy_form_saves_and_unticked_boxes_are_off(client, world):
    client = signed_in(client, world["manager"])
    url = f"/manage/instruments/{world['instrument'].pk}/"
    response = client.post(url, policy_form(walk_up_allowed="on", min_notice_minutes="120"))
    assert response.status_code == 302
    policy = BookingPolicy.objects.get(instrument=world["instrument"])
    assert policy.walk_up_allowed is True and policy.min_notice_minutes == 120
    assert policy.closed_on_holidays is False and policy.weekly_quota_minutes is None


def test_a_bad_policy_keeps_the_input_with_the_message_by_the_field(client, world):
    client = signed_in(client, world["manager"])
    url = f"/manage/instruments/{world['instrument'].pk}/"
    response = client.post(url, policy_form(min_minutes="600", max_minutes="60"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "最短预约不能长于最长预约" in page
    assert 'value="600"' in page
    assert BookingPolicy.objects.get(instrument=world["instrument"]).min_minutes == 30


def test_rates_are_saved_and_a_negative_rate_is_refused(client, world):
    client = signed_in(client, world["manager"])
    url = f"/manage/instruments/{world['instrument'].pk}/"
    data = {"section": "rates", "internal": "45", "same_region": "90", "other_region": "-3"}
    response = client.post(url, {**data, "firm": ""})
    assert response.status_code == 400
    assert "费率不能为负数" in response.content.decode()
    assert 'value="-3"' in response.content.decode()
    response = client.post(url, {**data, "other_region": "140", "firm": ""})
    assert response.status_code == 302
    world["instrument"].refresh_from_db()
    assert world["instrument"].rate_other_region == Decimal("140.00")
    assert world["instrument"].rate_firm is None


def test_the_instrument_console_shows_the_usage_log_and_its_exports(client, world):
    booking = request_now(
        world,
        status=Booking.Status.COMPLETED,
        checked_in_at=timezone.now(),
        checked_out_at=timezone.now() + datetime.timedelta(minutes=42),
        charge=Decimal("105.00"),
        checkout_forgotten=True,
    )
    client = signed_in(client, world["manager"], "en")
    page = client.get(f"/manage/instruments/{world['instrument'].pk}/").content.decode()
    assert f'href="/bookings/{booking.pk}/"' in page
    assert "105.00" in page and ">42<" in page
    assert f"/api/instruments/{world['instrument'].pk}/usage/export.csv" in page
    assert "Opening hours" in page and "Save the booking rules" in page


def test_the_console_counts_each_instrument_without_multiplying(world):
    from sharing.bookings.console import instruments_with_today

    request_now(world)
    request_now(world, status=Booking.Status.CANCELLED)
    for _n in range(2):
        ProblemReport.objects.create(
            instrument=world["instrument"],
            reporter=world["researcher"],
            severity="minor",
            description="灯不亮",
        )
    (row,) = instruments_with_today(user=world["manager"], today=timezone.localdate())
    assert (row.today_bookings, row.waiting, row.open_problems, row.hours_rows) == (1, 1, 2, 5)
