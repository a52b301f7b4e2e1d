"""Problem reports: who may report, the photo checked by its bytes and shown only to the entitled,
a "down" problem taking the instrument out of service as a closure does, and its resolution."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.accounts.models import Role
from portal.errors import Conflict, Forbidden, RuleBroken
from portal.notifications.models import Notification
from sharing.bookings import services
from sharing.bookings.availability import availability
from sharing.bookings.models import Blackout, Booking, Notice, ProblemReport, Qualification
from sharing.bookings.services.problems import problem_report, problem_resolve
from sharing.catalogue.models import Instrument
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


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
    """Used the instrument last week (a completed booking)."""
    _bb, my = regions()
    user = person("researcher", region=my)
    start = timezone.now() - datetime.timedelta(days=7)
    Booking.objects.create(
        instrument=instrument,
        requester=user,
        period=(start, start + datetime.timedelta(hours=1)),
        blocked=(start, start + datetime.timedelta(hours=1)),
        status=Booking.Status.COMPLETED,
        purpose="测试",
        rate_category=Booking.RateCategory.OTHER_REGION,
    )
    return user


@pytest.fixture
def outsider(db):
    regions()
    return person("outsider")


def report(instrument, reporter, severity="minor", **extra):
    return problem_report(
        reporter=reporter,
        instrument=instrument,
        severity=severity,
        description=extra.pop("description", "样品台无法复位"),
        **extra,
    )


# --- Who may report ---------------------------------------------------------------------------


def test_a_person_who_used_the_instrument_may_report_and_the_managers_are_told(
    instrument, researcher, manager
):
    problem = report(instrument, researcher)
    assert problem.status == ProblemReport.Status.OPEN
    note = Notification.objects.get(user=manager, kind=Notice.PROBLEM)
    assert "样品台无法复位" in note.body


def test_a_qualified_person_may_report(instrument, outsider):
    Qualification.objects.create(
        user=outsider,
        instrument=instrument,
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    assert report(instrument, outsider).pk


def test_it_refuses_a_report_from_someone_who_never_used_the_instrument(instrument, outsider):
    with pytest.raises(Forbidden) as excinfo:
        report(instrument, outsider)
    assert excinfo.value.rule == "not_a_user_of_instrument"
    assert not ProblemReport.objects.exists()


# --- The photo --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), [("a.jpg", JPEG), ("a.png", PNG), ("a.webp", WEBP)])
def test_a_photo_is_kept_when_its_bytes_are_an_image(instrument, researcher, name, data):
    problem = report(instrument, researcher, photo=SimpleUploadedFile(name, data))
    assert problem.photo.name.startswith("problems/")


@pytest.mark.parametrize(
    ("name", "data", "rule"),
    [
        ("a.jpg", b"MZ\x90\x00 not an image", "upload_type"),
        ("a.exe", JPEG, "upload_type"),
        ("a.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "upload_size"),
    ],
)
def test_it_refuses_a_photo_that_is_not_an_image_or_too_large(
    instrument, researcher, name, data, rule
):
    with pytest.raises(RuleBroken) as excinfo:
        report(instrument, researcher, photo=SimpleUploadedFile(name, data))
    assert excinfo.value.rule == rule
    assert not ProblemReport.objects.exists()


def test_the_photo_is_served_only_to_the_reporter_and_the_managers(
    api, instrument, researcher, manager, outsider
):
    problem = report(instrument, researcher, photo=SimpleUploadedFile("a.png", PNG))
    url = f"/api/problems/{problem.pk}/photo/"
    for user, status in ((researcher, 200), (manager, 200), (outsider, 404)):
        api.force_authenticate(user)
        answer = api.get(url)
        assert answer.status_code == status
        if status == 200:
            assert answer["Content-Type"] == "image/png"
            assert answer["X-Content-Type-Options"] == "nosniff"
            assert "attachment" in answer["Content-Disposition"]


# --- Down and back ----------------------------------------------------------------------------


def test_a_down_problem_takes_the_instrument_out_of_service_and_cancels_the_bookings(
    instrument, researcher, manager
):
    day = next_weekday(2)
    booking = services.booking_create(
        requester=researcher,
        instrument=instrument,
        start=local(day, "09:00"),
        end=local(day, "10:00"),
        purpose="测试",
    )
    problem = report(instrument, researcher, severity="down")
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.AWAITING_REPAIR
    assert problem.running_status_before == Instrument.RunningStatus.NORMAL
    assert problem.closure.kind == Blackout.Kind.BREAKDOWN
    assert problem.closure.period.upper - problem.closure.period.lower == datetime.timedelta(days=7)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    # Cancelled in the portal's name: the history does not name the reporter.
    assert booking.transitions.last().by is None
    assert Notification.objects.filter(user=researcher, kind=Notice.CLOSED).exists()
    assert (
        availability(instrument=instrument, start=local(day, "00:00"), end=local(day, "23:00"))
        == []
    )


def test_resolving_a_down_problem_ends_the_breakdown_and_restores_the_status(
    instrument, researcher, manager
):
    instrument.running_status = Instrument.RunningStatus.STANDBY
    instrument.save(update_fields=["running_status"])
    problem = report(instrument, researcher, severity="down")
    later = timezone.now() + datetime.timedelta(hours=2)
    problem = problem_resolve(problem=problem, by=manager, resolution="更换电源模块", now=later)
    assert problem.status == ProblemReport.Status.RESOLVED
    assert problem.resolved_by == manager
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.STANDBY
    closure = Blackout.objects.get(pk=problem.closure_id)
    assert closure.period.upper == later


def test_a_second_down_report_keeps_the_instrument_down_until_both_are_resolved(
    instrument, researcher, manager
):
    first = report(instrument, researcher, severity="down")
    second = report(instrument, manager, severity="down", description="仍然无法开机")
    assert second.closure is None
    assert Blackout.objects.count() == 1
    problem_resolve(problem=first, by=manager, resolution="临时处理")
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.AWAITING_REPAIR
    problem_resolve(problem=second, by=manager, resolution="已修复")
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.NORMAL


def test_only_a_manager_resolves_and_only_once(instrument, researcher, manager):
    problem = report(instrument, researcher)
    with pytest.raises(Forbidden):
        problem_resolve(problem=problem, by=researcher, resolution="自己修好了")
    problem_resolve(problem=problem, by=manager, resolution="已处理")
    with pytest.raises(Conflict):
        problem_resolve(problem=problem, by=manager, resolution="再次")


def test_the_search_shows_a_down_instrument_as_awaiting_repair(client, instrument, researcher):
    report(instrument, researcher, severity="down")
    page = client.get("/instruments/", {"q": instrument.name})
    assert page.status_code == 200
    assert '<span class="status status-awaiting_repair">待修</span>' in page.content.decode()


# --- API ----------------------------------------------------------------------------------------


def test_the_api_creates_a_report_with_a_photo_by_multipart(api, instrument, researcher):
    api.force_authenticate(researcher)
    answer = api.post(
        "/api/problems/",
        {
            "instrument": instrument.pk,
            "severity": "degraded",
            "description": "真空度达不到",
            "photo": SimpleUploadedFile("p.jpg", JPEG),
        },
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["photo"].endswith("/photo/")


def test_the_api_refuses_a_fake_photo_and_writes_nothing(api, instrument, researcher):
    api.force_authenticate(researcher)
    answer = api.post(
        "/api/problems/",
        {
            "instrument": instrument.pk,
            "severity": "down",
            "description": "x",
            "photo": SimpleUploadedFile("p.jpg", b"<html>not a photo</html>"),
        },
        format="multipart",
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["rule"] == "upload_type"
    assert not ProblemReport.objects.exists()
    assert not Blackout.objects.exists()
    instrument.refresh_from_db()
    assert instrument.running_status == Instrument.RunningStatus.NORMAL


def test_the_api_lists_to_the_reporter_and_managers_and_resolves(
    api, instrument, researcher, manager, outsider
):
    problem = report(instrument, researcher)
    for user, count in ((researcher, 1), (manager, 1), (outsider, 0)):
        api.force_authenticate(user)
        assert len(api.get("/api/problems/").json()["results"]) == count
    api.force_authenticate(researcher)
    assert (
        api.post(f"/api/problems/{problem.pk}/resolve/", {"resolution": "好了"}).status_code == 403
    )
    api.force_authenticate(outsider)
    assert (
        api.post(f"/api/problems/{problem.pk}/resolve/", {"resolution": "好了"}).status_code == 404
    )
    api.force_authenticate(manager)
    answer = api.post(f"/api/problems/{problem.pk}/resolve/", {"resolution": "已调整"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "resolved"
    open_only = api.get("/api/problems/", {"status": "open", "instrument": instrument.pk})
    assert open_only.json()["results"] == []
