"""Training and qualifications: the services and the API, good input and bad.

The people: ``manager`` manages ``instrument`` (which requires a qualification),
``researcher`` asks for training on it, ``other_manager`` manages another instrument, and
``outsider`` has nothing to do with it.
"""

import datetime

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.errors import Conflict, Forbidden, RuleBroken
from portal.notifications.models import Notification
from sharing.bookings import services, times
from sharing.bookings.models import Booking, Notice, Qualification, TrainingRequest
from sharing.bookings.services.qualifications import (
    qualification_grant,
    qualification_renew,
    qualification_revoke,
)
from sharing.bookings.services.training import (
    training_cancel,
    training_record,
    training_request,
    training_schedule,
)
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

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
def free_instrument(manager):
    return instrument_with_rules(managers=[manager], closed_on_holidays=False)


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


@pytest.fixture
def outsider(db):
    regions()
    return person("outsider")


def soon(days=3):
    return timezone.now() + datetime.timedelta(days=days)


def scheduled(instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="下周方便")
    return training_schedule(request=training, by=manager, when=soon(), place="B 楼 101")


# --- Services -------------------------------------------------------------------------------


def test_a_request_is_open_audited_and_told_to_the_managers(instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="下周方便")
    assert training.status == TrainingRequest.Status.REQUESTED
    assert AuditEvent.objects.filter(action="training.requested", target_id=str(training.pk))
    notice = Notification.objects.get(kind=Notice.TRAINING_REQUESTED)
    assert notice.user == manager
    assert "researcher" in notice.body and "下周方便" in notice.body


def test_it_refuses_training_for_an_instrument_that_needs_none(free_instrument, researcher):
    with pytest.raises(RuleBroken) as caught:
        training_request(user=researcher, instrument=free_instrument, message="")
    assert caught.value.rule == "training_not_needed"
    assert not TrainingRequest.objects.exists()


def test_it_refuses_a_second_open_request(instrument, researcher):
    training_request(user=researcher, instrument=instrument, message="")
    with pytest.raises(Conflict) as caught:
        training_request(user=researcher, instrument=instrument, message="")
    assert caught.value.rule == "training_open"


def test_it_refuses_training_to_someone_already_qualified(instrument, researcher, manager):
    qualification_grant(instrument=instrument, user=researcher, by=manager)
    with pytest.raises(Conflict) as caught:
        training_request(user=researcher, instrument=instrument, message="")
    assert caught.value.rule == "already_qualified"


def test_scheduling_tells_the_person_the_time_and_place(instrument, researcher, manager):
    training = scheduled(instrument, researcher, manager)
    assert training.status == TrainingRequest.Status.SCHEDULED
    notice = Notification.objects.get(kind=Notice.TRAINING_SCHEDULED)
    assert notice.user == researcher and "B 楼 101" in notice.body


def test_only_a_manager_of_the_instrument_schedules(instrument, researcher, other_manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    with pytest.raises(Forbidden):
        training_schedule(request=training, by=other_manager, when=soon(), place="B 楼")
    with pytest.raises(Forbidden):
        training_schedule(request=training, by=researcher, when=soon(), place="B 楼")


def test_it_refuses_a_training_time_in_the_past(instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    with pytest.raises(RuleBroken) as caught:
        training_schedule(request=training, by=manager, when=soon(-1), place="B 楼")
    assert caught.value.rule == "in_the_past"
    training.refresh_from_db()
    assert training.status == TrainingRequest.Status.REQUESTED


def test_a_pass_grants_a_qualification_for_a_year_and_lets_a_booking_through(
    instrument, researcher, manager
):
    training = scheduled(instrument, researcher, manager)
    day = next_weekday(2)
    start, end = local(day, "09:00"), local(day, "10:00")
    refusal = times.may_book(
        user=researcher, instrument=instrument, start=start, end=end, now=timezone.now()
    )
    assert refusal is not None and refusal.rule == "qualification"

    training, qualification = training_record(request=training, by=manager, passed=True, note="")
    assert training.status == TrainingRequest.Status.PASSED
    assert qualification.valid_until == timezone.localdate() + datetime.timedelta(days=365)
    assert qualification.granted_by == manager
    assert {n.kind for n in Notification.objects.filter(user=researcher)} >= {
        Notice.TRAINING_RESULT,
        Notice.QUALIFIED,
    }
    booking = services.booking_create(
        requester=researcher, instrument=instrument, start=start, end=end, purpose="XRD"
    )
    assert booking.status == Booking.Status.APPROVED


def test_a_fail_records_it_grants_nothing_and_the_person_may_ask_again(
    instrument, researcher, manager
):
    training = scheduled(instrument, researcher, manager)
    training, qualification = training_record(
        request=training, by=manager, passed=False, note="操作不熟练"
    )
    assert training.status == TrainingRequest.Status.FAILED and qualification is None
    assert not Qualification.objects.exists()
    assert training_request(user=researcher, instrument=instrument, message="再试一次")


def test_it_refuses_to_record_a_request_not_scheduled(instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    with pytest.raises(Conflict) as caught:
        training_record(request=training, by=manager, passed=True)
    assert caught.value.rule == "wrong_status"
    assert not Qualification.objects.exists()


def test_a_pass_renews_a_revoked_qualification(instrument, researcher, manager):
    qualification = qualification_grant(instrument=instrument, user=researcher, by=manager)
    qualification_revoke(qualification=qualification, by=manager, reason="违规操作")
    training = scheduled(instrument, researcher, manager)
    _training, renewed = training_record(request=training, by=manager, passed=True)
    assert renewed.pk == qualification.pk and renewed.revoked_at is None


def test_the_requester_cancels_an_open_request_and_nobody_else(instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    with pytest.raises(Forbidden):
        training_cancel(request=training, by=manager)
    training = training_cancel(request=training, by=researcher)
    assert training.status == TrainingRequest.Status.CANCELLED
    with pytest.raises(Conflict):
        training_cancel(request=training, by=researcher)


def test_a_revoked_qualification_no_longer_lets_a_booking_through(instrument, researcher, manager):
    qualification = qualification_grant(instrument=instrument, user=researcher, by=manager)
    day = next_weekday(2)
    kept = services.booking_create(
        requester=researcher,
        instrument=instrument,
        start=local(day, "09:00"),
        end=local(day, "10:00"),
        purpose="XRD",
    )
    _qualification, left = qualification_revoke(
        qualification=qualification, by=manager, reason="违规操作"
    )
    assert left == [kept]  # left for the manager to judge, not cancelled
    kept.refresh_from_db()
    assert kept.status == Booking.Status.APPROVED
    with pytest.raises(RuleBroken) as caught:
        services.booking_create(
            requester=researcher,
            instrument=instrument,
            start=local(day, "11:00"),
            end=local(day, "12:00"),
            purpose="XRD",
        )
    assert caught.value.rule == "qualification"
    notice = Notification.objects.get(kind=Notice.QUALIFICATION_REVOKED)
    assert notice.user == researcher and "违规操作" in notice.body


def test_it_refuses_a_grant_with_an_expiry_in_the_past_or_absurd(instrument, researcher, manager):
    for day in (timezone.localdate() - datetime.timedelta(days=1), datetime.date(2300, 1, 1)):
        with pytest.raises(RuleBroken):
            qualification_grant(instrument=instrument, user=researcher, by=manager, valid_until=day)
    assert not Qualification.objects.exists()


def test_a_grant_to_someone_qualified_is_a_conflict_and_a_renewal_moves_the_date(
    instrument, researcher, manager
):
    qualification = qualification_grant(instrument=instrument, user=researcher, by=manager)
    with pytest.raises(Conflict):
        qualification_grant(instrument=instrument, user=researcher, by=manager)
    later = timezone.localdate() + datetime.timedelta(days=700)
    renewed = qualification_renew(qualification=qualification, by=manager, valid_until=later)
    assert renewed.valid_until == later
    assert AuditEvent.objects.filter(action="qualification.renewed").exists()


def test_revoking_twice_is_a_conflict_and_needs_a_reason(instrument, researcher, manager):
    qualification = qualification_grant(instrument=instrument, user=researcher, by=manager)
    with pytest.raises(RuleBroken):
        qualification_revoke(qualification=qualification, by=manager, reason="  ")
    qualification_revoke(qualification=qualification, by=manager, reason="违规")
    with pytest.raises(Conflict):
        qualification_revoke(qualification=qualification, by=manager, reason="违规")


def test_only_the_instruments_managers_grant(instrument, researcher, other_manager):
    with pytest.raises(Forbidden):
        qualification_grant(instrument=instrument, user=researcher, by=other_manager)
    with pytest.raises(Forbidden):
        qualification_grant(instrument=instrument, user=researcher, by=researcher)


# --- API ------------------------------------------------------------------------------------


def as_(api, user):
    api.force_authenticate(user)
    return api


def test_api_the_whole_journey(api, instrument, researcher, manager):
    answer = as_(api, researcher).post(
        "/api/training-requests/", {"instrument": instrument.pk, "message": "周三"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    pk = answer.json()["id"]
    when = (timezone.localtime() + datetime.timedelta(days=2)).replace(microsecond=0)
    answer = as_(api, manager).post(
        f"/api/training-requests/{pk}/schedule/",
        {"when": when.isoformat(), "place": "B 楼 101"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "scheduled"
    answer = as_(api, manager).post(
        f"/api/training-requests/{pk}/record/", {"passed": True}, format="json"
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["training"]["status"] == "passed" and body["qualification"]["valid"] is True
    mine = as_(api, researcher).get("/api/qualifications/?role=mine").json()["results"]
    assert [q["instrument"]["id"] for q in mine] == [instrument.pk]


def test_api_training_for_an_instrument_that_needs_none_is_400(api, free_instrument, researcher):
    answer = as_(api, researcher).post(
        "/api/training-requests/", {"instrument": free_instrument.pk}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["rule"] == "training_not_needed"


def test_api_a_double_request_is_409(api, instrument, researcher):
    as_(api, researcher).post(
        "/api/training-requests/", {"instrument": instrument.pk}, format="json"
    )
    answer = api.post("/api/training-requests/", {"instrument": instrument.pk}, format="json")
    assert answer.status_code == 409
    assert answer.json()["error"]["rule"] == "training_open"
    assert TrainingRequest.objects.count() == 1


def test_api_record_on_a_request_not_scheduled_is_409(api, instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    answer = as_(api, manager).post(
        f"/api/training-requests/{training.pk}/record/", {"passed": True}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"


def test_api_bad_input_is_400_in_the_one_shape(api, instrument, researcher, manager):
    training = training_request(user=researcher, instrument=instrument, message="")
    answers = [
        as_(api, manager).post(
            f"/api/training-requests/{training.pk}/schedule/",
            {"when": "9999-12-31T10:00:00", "place": "B"},
            format="json",
        ),
        api.post(
            f"/api/training-requests/{training.pk}/schedule/",
            {"when": "2030-01-01T10:00:00", "place": "line\nbreak"},
            format="json",
        ),
        api.post(
            "/api/qualifications/",
            {"instrument": instrument.pk, "username": "nobody-here"},
            format="json",
        ),
        api.post(
            "/api/qualifications/",
            {"instrument": instrument.pk, "username": "researcher", "valid_until": "2001-01-01"},
            format="json",
        ),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.content
        assert set(answer.json()["error"]) >= {"code", "message"}
    assert not Qualification.objects.exists()
    training.refresh_from_db()
    assert training.status == TrainingRequest.Status.REQUESTED


def test_api_a_manager_sees_only_the_people_of_their_own_instruments(
    api, instrument, researcher, manager, other_manager, outsider
):
    training = training_request(user=researcher, instrument=instrument, message="")
    qualification = qualification_grant(instrument=instrument, user=outsider, by=manager)
    listed = as_(api, manager).get("/api/training-requests/").json()["results"]
    assert [t["user"]["username"] for t in listed] == ["researcher"]
    for url in (
        "/api/training-requests/",
        "/api/qualifications/",
    ):
        assert as_(api, other_manager).get(url).json()["results"] == []
    assert api.get(f"/api/training-requests/{training.pk}/").status_code == 404
    assert api.get(f"/api/qualifications/{qualification.pk}/").status_code == 404
    assert as_(api, researcher).get(f"/api/qualifications/{qualification.pk}/").status_code == 404


def test_api_revoke_and_renew(api, instrument, researcher, manager):
    qualification = qualification_grant(instrument=instrument, user=researcher, by=manager)
    answer = as_(api, manager).post(
        f"/api/qualifications/{qualification.pk}/revoke/", {"reason": "违规"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["qualification"]["valid"] is False
    assert answer.json()["bookings_left"] == []
    answer = api.post(f"/api/qualifications/{qualification.pk}/renew/", {}, format="json")
    assert answer.status_code == 200 and answer.json()["valid"] is True
    answer = as_(api, researcher).post(
        f"/api/qualifications/{qualification.pk}/revoke/", {"reason": "x"}, format="json"
    )
    assert answer.status_code == 403


def test_a_manager_does_not_train_or_qualify_themselves(instrument, manager):
    training = training_request(user=manager, instrument=instrument, message="")
    with pytest.raises(Forbidden) as caught:
        training_schedule(request=training, by=manager, when=soon(), place="B 楼")
    assert caught.value.rule == "self_approval"
    with pytest.raises(Forbidden):
        qualification_grant(instrument=instrument, user=manager, by=manager)
