"""Training and qualification pages: the panel on the instrument page, my training on
"我的预约", the manager's training list and an instrument's qualifications; Chinese and
English, and bad input answered with its message and the form kept."""

import datetime

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from sharing.bookings.models import Qualification, TrainingRequest
from sharing.bookings.services.qualifications import qualification_grant
from sharing.bookings.services.training import training_request, training_schedule
from tests.bookings import instrument_with_rules, person, regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    regions()
    return person("manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def other_manager(db):
    regions()
    return person("other_manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def instrument(manager):
    return instrument_with_rules(
        managers=[manager], closed_on_holidays=False, qualification_required=True
    )


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


def signed_in(client, user, *, english=False):
    client.force_login(user)
    if english:
        client.cookies["django_language"] = "en"
    return client


def test_the_instrument_page_offers_training_to_a_person_without_a_qualification(
    client, instrument, researcher
):
    html = signed_in(client, researcher).get(f"/instruments/{instrument.pk}/").content.decode()
    assert "上机资格与培训" in html and "申请培训" in html
    answer = client.post(f"/instruments/{instrument.pk}/training/", {"message": "周三下午"})
    assert answer.status_code == 302
    html = client.get(answer["Location"]).content.decode()
    assert "已提交培训申请" in html and "已申请培训，状态：待安排" in html
    assert TrainingRequest.objects.get().message == "周三下午"


def test_the_instrument_page_in_english_says_until_when_one_is_qualified(
    client, instrument, researcher, manager
):
    qualification_grant(
        instrument=instrument,
        user=researcher,
        by=manager,
        valid_until=datetime.date(2090, 6, 30),
    )
    html = signed_in(client, researcher, english=True).get(f"/instruments/{instrument.pk}/")
    assert "You are qualified on this instrument until 2090-06-30." in html.content.decode()


def test_the_panel_is_absent_for_an_instrument_that_needs_none(client, manager, researcher):
    free = instrument_with_rules(managers=[manager])
    html = signed_in(client, researcher).get(f"/instruments/{free.pk}/").content.decode()
    assert "上机资格与培训" not in html


def test_asking_for_an_instrument_that_needs_none_says_so(client, manager, researcher):
    free = instrument_with_rules(managers=[manager])
    answer = signed_in(client, researcher).post(f"/instruments/{free.pk}/training/", follow=True)
    assert "该仪器无需上机资格" in answer.content.decode()
    assert not TrainingRequest.objects.exists()


def test_my_bookings_lists_my_training_and_lets_me_withdraw(client, instrument, researcher):
    training = training_request(user=researcher, instrument=instrument, message="")
    html = signed_in(client, researcher).get("/bookings/").content.decode()
    assert "培训与上机资格" in html and "取消申请" in html
    answer = client.post(f"/training/{training.pk}/cancel/", follow=True)
    assert "培训申请已取消。" in answer.content.decode()
    training.refresh_from_db()
    assert training.status == TrainingRequest.Status.CANCELLED


def test_the_manager_schedules_and_records_a_pass(client, instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    signed_in(client, manager)
    html = client.get("/manage/training/").content.decode()
    assert "researcher" in html and "安排培训" in html
    when = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        "/manage/training/",
        {"training": training.pk, "action": "schedule", "when": when, "place": "B 楼 101"},
        follow=True,
    )
    assert "培训已安排" in answer.content.decode()
    answer = client.post(
        "/manage/training/", {"training": training.pk, "action": "pass", "note": ""}, follow=True
    )
    assert "已记录通过" in answer.content.decode()
    assert Qualification.objects.get(user=researcher).revoked_at is None


def test_a_bad_training_time_keeps_the_form_and_says_why(client, instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    answer = signed_in(client, manager, english=True).post(
        "/manage/training/",
        {
            "training": training.pk,
            "action": "schedule",
            "when": "2001-01-01T09:00",
            "place": "Lab 7",
        },
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "The training time cannot be in the past." in html
    assert 'value="Lab 7"' in html and 'value="2001-01-01T09:00"' in html
    training.refresh_from_db()
    assert training.status == TrainingRequest.Status.REQUESTED


def test_recording_a_request_not_scheduled_is_refused_with_its_message(
    client, instrument, researcher, manager
):
    training = training_request(user=researcher, instrument=instrument, message="")
    answer = signed_in(client, manager).post(
        "/manage/training/", {"training": training.pk, "action": "pass"}
    )
    assert answer.status_code == 400
    assert "不能执行此操作" in answer.content.decode()


def test_the_training_page_is_for_managers_only(client, researcher):
    assert signed_in(client, researcher).get("/manage/training/").status_code == 403


def test_a_manager_cannot_act_on_another_instruments_request(
    client, instrument, researcher, other_manager
):
    training = training_request(user=researcher, instrument=instrument, message="")
    signed_in(client, other_manager)
    assert "researcher" not in client.get("/manage/training/").content.decode()
    answer = client.post("/manage/training/", {"training": training.pk, "action": "pass"})
    assert answer.status_code == 404


def test_the_manager_grants_renews_and_revokes(client, instrument, researcher, manager):
    url = f"/manage/instruments/{instrument.pk}/qualifications/"
    signed_in(client, manager)
    answer = client.post(
        url, {"action": "grant", "username": "researcher", "valid_until": "2090-01-31"}, follow=True
    )
    html = answer.content.decode()
    assert "已授予 researcher 上机资格。" in html and "2090-01-31" in html
    qualification = Qualification.objects.get()
    answer = client.post(
        url,
        {"action": "renew", "qualification": qualification.pk, "valid_until": "2091-02-28"},
        follow=True,
    )
    assert "已续期至 2091-02-28。" in answer.content.decode()
    answer = client.post(
        url, {"action": "revoke", "qualification": qualification.pk, "reason": "违规"}, follow=True
    )
    assert "上机资格已撤销。" in answer.content.decode()
    qualification.refresh_from_db()
    assert qualification.revoked_at is not None


def test_granting_to_an_unknown_username_says_so_in_english_and_keeps_the_form(
    client, instrument, manager
):
    answer = signed_in(client, manager, english=True).post(
        f"/manage/instruments/{instrument.pk}/qualifications/",
        {"action": "grant", "username": "nobody", "valid_until": "2090-01-31", "note": "after lab"},
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "There is no user named “nobody”" in html
    assert 'value="nobody"' in html and 'value="after lab"' in html
    assert not Qualification.objects.exists()


def test_revoking_without_a_reason_is_refused(client, instrument, researcher, manager):
    qualification = qualification_grant(instrument=instrument, user=researcher, by=manager)
    answer = signed_in(client, manager).post(
        f"/manage/instruments/{instrument.pk}/qualifications/",
        {"action": "revoke", "qualification": qualification.pk, "reason": " "},
    )
    assert answer.status_code == 400 and "请填写撤销理由。" in answer.content.decode()


def test_the_qualifications_page_is_the_instruments_managers_only(
    client, instrument, researcher, other_manager
):
    url = f"/manage/instruments/{instrument.pk}/qualifications/"
    assert signed_in(client, other_manager).get(url).status_code == 403
    assert signed_in(client, researcher).get(url).status_code == 403


def test_a_scheduled_training_shows_when_and_where_to_the_person(
    client, instrument, researcher, manager
):
    training = training_request(user=researcher, instrument=instrument, message="")
    training_schedule(
        request=training,
        by=manager,
        when=timezone.now() + datetime.timedelta(days=2),
        place="B 楼 101",
    )
    html = signed_in(client, researcher).get(f"/instruments/{instrument.pk}/").content.decode()
    assert "已申请培训，状态：已安排" in html and "B 楼 101" in html
