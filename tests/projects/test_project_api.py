"""The project API with named people: who registers and changes projects, who charges to them
(a clear 4xx otherwise), and who decides a waiting charge."""

import pytest
from rest_framework.test import APIClient

from sharing.bookings.models import Project
from tests.projects import People, slot, threshold

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return People()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _booking_body(people, hours=3, project=None):
    start, end = slot(hours)
    return {
        "instrument": people.instrument.pk,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "purpose": "形貌观察",
        "project": project or people.project.pk,
    }


def test_who_registers_projects(people):
    body = {"name": "新课题", "number": "KT-5", "funding_source": "municipal"}
    mine = api(people.member).post("/api/projects/", body, format="json")
    assert mine.status_code == 201 and mine.json()["investigator"]["username"] == "member"
    for_other = api(people.member).post(
        "/api/projects/", {**body, "number": "KT-6", "investigator": people.pi.pk}, format="json"
    )
    assert for_other.status_code == 403
    by_admin = api(people.orgadmin).post(
        "/api/projects/", {**body, "number": "KT-6", "investigator": people.pi.pk}, format="json"
    )
    assert by_admin.status_code == 201
    outsider_pi = api(people.orgadmin).post(
        "/api/projects/",
        {**body, "number": "KT-7", "investigator": people.outsider.pk},
        format="json",
    )
    assert outsider_pi.status_code == 400
    again = api(people.orgadmin).post("/api/projects/", {**body, "number": "KT-6"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["rule"] == "project_number_taken"


def test_who_changes_a_project(people):
    url = f"/api/projects/{people.project.pk}/"
    assert api(people.outsider).get(url).status_code == 404
    assert api(people.member).patch(url, {"name": "改名"}, format="json").status_code == 403
    assert api(people.pi).patch(url, {"name": "改名"}, format="json").status_code == 200
    answer = api(people.orgadmin).patch(url, {"active": False}, format="json")
    assert answer.status_code == 200 and answer.json()["active"] is False
    listed = api(people.member).get("/api/projects/").json()
    assert [p["number"] for p in listed] == []


def test_charging_someone_elses_project_is_refused(people):
    answer = api(people.outsider).post(
        "/api/bookings/", _booking_body(people, hours=2), format="json"
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["rule"] == "project_not_yours"
    missing = api(people.member).post(
        "/api/bookings/", _booking_body(people, project=999999), format="json"
    )
    assert missing.status_code == 400


def test_a_waiting_charge_is_decided_by_the_investigator(people):
    threshold(people.university, "300.00")
    booked = api(people.member).post("/api/bookings/", _booking_body(people), format="json")
    assert booked.status_code == 201
    assert booked.json()["charge_approval"] == "pending"
    assert booked.json()["project"] == people.project.pk
    approvals = api(people.pi).get("/api/projects/approvals/").json()
    assert len(approvals) == 1 and approvals[0]["amount"] == "450.00"
    pk = approvals[0]["id"]
    manager_try = api(people.manager).post(
        f"/api/bookings/{booked.json()['id']}/approve/", {}, format="json"
    )
    assert manager_try.status_code == 409
    assert manager_try.json()["error"]["rule"] == "charge_awaits_investigator"
    assert api(people.outsider).post(f"/api/projects/approvals/{pk}/approve/").status_code == 404
    assert api(people.member).post(f"/api/projects/approvals/{pk}/approve/").status_code == 403
    no_reason = api(people.pi).post(f"/api/projects/approvals/{pk}/reject/", {}, format="json")
    assert no_reason.status_code == 400
    done = api(people.pi).post(f"/api/projects/approvals/{pk}/approve/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert done.json()["decided_by"]["username"] == "pi"
    assert api(people.pi).post(f"/api/projects/approvals/{pk}/approve/").status_code == 409
    approved = api(people.manager).post(
        f"/api/bookings/{booked.json()['id']}/approve/", {}, format="json"
    )
    assert approved.status_code == 200


def test_the_threshold_is_set_by_the_organisation_administrator(people):
    assert api(people.member).get("/api/projects/threshold/").json()["amount"] is None
    refused = api(people.member).put("/api/projects/threshold/", {"amount": "5"}, format="json")
    assert refused.status_code == 403
    answer = api(people.orgadmin).put(
        "/api/projects/threshold/", {"amount": "500.00"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["amount"] == "500.00"
    assert Project.objects.count() == 1
