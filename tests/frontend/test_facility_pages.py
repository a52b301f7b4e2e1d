"""The pages of closures and problems: a manager adds a closure after a preview and takes one
back; a person who used an instrument reports a problem from its page; a manager resolves it.
Bad input keeps the form; people with nothing to do with the instrument get 403."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.accounts.models import Role
from portal.notifications.models import Notification
from sharing.bookings import services
from sharing.bookings.models import Blackout, Booking, Notice, ProblemReport
from sharing.bookings.services.problems import problem_report
from sharing.catalogue.models import Instrument
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def manager(db):
    regions()
    return person("manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def instrument(manager):
    return instrument_with_rules(managers=[manager], closed_on_holidays=False)


@pytest.fixture
def researcher(instrument):
    _bb, my = regions()
    return person("researcher", region=my)


@pytest.fixture
def outsider(db):
    regions()
    return person("outsider")


def used(instrument, user):
    start = timezone.now() - datetime.timedelta(days=3)
    Booking.objects.create(
        instrument=instrument,
        requester=user,
        period=(start, start + datetime.timedelta(hours=1)),
        blocked=(start, start + datetime.timedelta(hours=1)),
        status=Booking.Status.COMPLETED,
        purpose="测试",
        rate_category=Booking.RateCategory.OTHER_REGION,
    )


def day():
    return next_weekday(2)


def closures_url(instrument):
    return f"/manage/instruments/{instrument.pk}/closures/"


def form(start="08:00", end="12:00", **extra):
    return {
        "start": f"{day():%Y-%m-%d} {start}",
        "end": f"{day():%Y-%m-%d} {end}",
        "kind": "maintenance",
        "reason": "年度保养",
        **extra,
    }


# --- Closures -------------------------------------------------------------------------------


def test_a_manager_previews_then_confirms_a_closure_over_a_booking(
    client, instrument, manager, researcher
):
    booking = services.booking_create(
        requester=researcher,
        instrument=instrument,
        start=local(day(), "09:00"),
        end=local(day(), "10:00"),
        purpose="XRD",
    )
    client.force_login(manager)
    page = client.post(closures_url(instrument), form(action="preview"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-booking="{booking.pk}"' in html
    assert "将取消并退回创新券" in html
    assert 'value="年度保养"' in html  # the form kept
    assert not Blackout.objects.exists()

    page = client.post(closures_url(instrument), form(action="create"), follow=True)
    assert page.status_code == 200
    assert "已添加停用时段" in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Notification.objects.filter(user=researcher, kind=Notice.CLOSED).exists()


def test_bad_input_keeps_the_form_with_a_clear_message(client, instrument, manager):
    client.force_login(manager)
    page = client.post(closures_url(instrument), form("12:00", "08:00", action="preview"))
    assert page.status_code == 400
    html = page.content.decode()
    assert "结束时间须晚于开始时间。" in html
    assert 'value="年度保养"' in html
    page = client.post(closures_url(instrument), form(start="明天", action="preview"))
    assert page.status_code == 400
    assert not Blackout.objects.exists()


def test_a_manager_removes_a_future_closure(client, instrument, manager):
    closure = Blackout.objects.create(
        instrument=instrument,
        period=(local(day(), "08:00"), local(day(), "12:00")),
        kind=Blackout.Kind.BLACKOUT,
    )
    client.force_login(manager)
    page = client.post(
        closures_url(instrument), {"action": "delete", "closure": closure.pk}, follow=True
    )
    assert "已删除停用时段。" in page.content.decode()
    assert not Blackout.objects.exists()


def test_the_closures_page_is_the_managers_only(client, instrument, researcher):
    client.force_login(researcher)
    assert client.get(closures_url(instrument)).status_code == 403
    assert client.post(closures_url(instrument), form(action="create")).status_code == 403
    assert not Blackout.objects.exists()


def test_the_closures_page_in_english(client, instrument, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    html = client.get(closures_url(instrument)).content.decode()
    assert '<html lang="en">' in html
    assert "Closures and maintenance" in html
    assert "Preview the affected bookings" in html


# --- Problems -------------------------------------------------------------------------------


def test_the_instrument_page_offers_the_report_form_only_to_those_who_used_it(
    client, instrument, researcher, outsider
):
    used(instrument, researcher)
    client.force_login(outsider)
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert "问题记录" in html and "problem-form" not in html
    client.force_login(researcher)
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert "problem-form" in html


def test_a_researcher_reports_a_down_problem_from_the_page(client, instrument, researcher, manager):
    used(instrument, researcher)
    client.force_login(researcher)
    page = client.post(
        f"/instruments/{instrument.pk}/problems/report/",
        {"severity": "down", "description": "无法开机", "expected_end": ""},
        follow=True,
    )
    html = page.content.decode()
    assert "仪器已停机待修" in html
    assert "无法开机" in html  # the history
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.AWAITING_REPAIR
    assert Notification.objects.filter(user=manager, kind=Notice.PROBLEM).exists()


def test_a_fake_photo_keeps_the_report_form(client, instrument, researcher):
    used(instrument, researcher)
    client.force_login(researcher)
    page = client.post(
        f"/instruments/{instrument.pk}/problems/report/",
        {
            "severity": "minor",
            "description": "镜头有划痕",
            "photo": SimpleUploadedFile("a.png", b"not a png at all"),
        },
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "镜头有划痕" in html
    assert "文件类型不符" in html
    assert not ProblemReport.objects.exists()


def test_the_photo_link_shows_only_to_the_entitled(client, instrument, researcher, outsider):
    used(instrument, researcher)
    problem = problem_report(
        reporter=researcher,
        instrument=instrument,
        severity="minor",
        description="划痕",
        photo=SimpleUploadedFile("a.png", PNG),
    )
    link = f"/api/problems/{problem.pk}/photo/"
    assert link not in client.get(f"/instruments/{instrument.pk}/").content.decode()
    client.force_login(outsider)
    assert link not in client.get(f"/instruments/{instrument.pk}/").content.decode()
    client.force_login(researcher)
    assert link in client.get(f"/instruments/{instrument.pk}/").content.decode()


def test_a_manager_resolves_a_down_problem_and_the_instrument_is_bookable_again(
    client, instrument, researcher, manager
):
    used(instrument, researcher)
    problem = problem_report(
        reporter=researcher, instrument=instrument, severity="down", description="漏水"
    )
    client.force_login(manager)
    html = client.get("/manage/problems/").content.decode()
    assert f'data-problem="{problem.pk}"' in html
    page = client.post("/manage/problems/", {"problem": problem.pk, "resolution": ""})
    assert page.status_code == 400
    page = client.post(
        "/manage/problems/", {"problem": problem.pk, "resolution": "更换密封圈"}, follow=True
    )
    assert "已标记为已解决" in page.content.decode()
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.NORMAL
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert "更换密封圈" in html


def test_the_problems_page_is_for_managers(client, researcher):
    client.force_login(researcher)
    assert client.get("/manage/problems/").status_code == 403


def test_the_problem_pages_in_english(client, instrument, researcher, manager):
    used(instrument, researcher)
    client.cookies["django_language"] = "en"
    client.force_login(researcher)
    html = client.get(f"/instruments/{instrument.pk}/problems/report/").content.decode()
    assert "Report a problem" in html
    client.force_login(manager)
    html = client.get("/manage/problems/").content.decode()
    assert "Open problems" in html
