"""Needs pass a light review before anyone else sees them; the centre's services are followed
from request to completion."""

import datetime

import pytest
from django.utils import timezone

from portal.errors import Conflict, Forbidden, RuleBroken
from sharing.techmarket import services
from sharing.techmarket.models import ServiceRequest

pytestmark = pytest.mark.django_db

NEED = {
    "title": "寻求轻量化无人机机臂材料",
    "problem": "现有铝合金机臂过重，续航不足。",
    "target_specs": "密度低于 1.8 g/cm³，拉伸强度大于 1500 MPa",
    "keywords": ["碳纤维", "轻量化"],
    "hightech_field": "materials",
    "trl_min": 5,
    "trl_max": 8,
    "cooperation_modes": ["assignment", "license_ordinary"],
    "budget": "80.00",
}


def _expires():
    return timezone.localdate() + datetime.timedelta(days=60)


def test_a_need_is_published_after_review(api, firm, reviewer, django_capture_on_commit_callbacks):
    api.force_authenticate(firm)
    response = api.post("/api/tech/needs/", {**NEED, "expires_on": _expires()}, format="json")
    assert response.status_code == 201, response.content
    need_id = response.json()["id"]
    assert api.post(f"/api/tech/needs/{need_id}/submit/").json()["status"] == "submitted"
    api.force_authenticate(None)
    assert api.get(f"/api/tech/needs/{need_id}/").status_code == 404
    api.force_authenticate(reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        decided = api.post(f"/api/tech/needs/{need_id}/decide/", {"approve": True}, format="json")
    assert decided.json()["status"] == "published"
    api.force_authenticate(None)
    assert api.get(f"/api/tech/needs/{need_id}/").status_code == 200


def test_a_need_returned_needs_a_note(firm, reviewer):
    need = services.need_create(user=firm, data={**NEED, "expires_on": _expires()})
    services.need_submit(user=firm, need=need)
    with pytest.raises(RuleBroken):
        services.need_decide(user=reviewer, need=need, approve=False)
    need = services.need_decide(user=reviewer, need=need, approve=False, note="请写明预算来源")
    assert (need.status, need.review_note) == ("draft", "请写明预算来源")


def test_needs_refuse_wrong_people_and_states(firm, owner, reviewer):
    with pytest.raises(Forbidden):
        services.need_create(user=owner, data={**NEED, "expires_on": _expires()})
    need = services.need_create(user=firm, data={**NEED, "expires_on": _expires()})
    with pytest.raises(Forbidden):
        services.need_decide(user=firm, need=need, approve=True)
    with pytest.raises(Conflict):
        services.need_decide(user=reviewer, need=need, approve=True)
    with pytest.raises(RuleBroken):
        services.need_create(
            user=firm,
            data={**NEED, "expires_on": timezone.localdate() - datetime.timedelta(days=1)},
        )


def test_an_inverted_readiness_window_is_refused(api, firm):
    api.force_authenticate(firm)
    response = api.post(
        "/api/tech/needs/",
        {**NEED, "trl_min": 8, "trl_max": 3, "expires_on": _expires()},
        format="json",
    )
    assert response.status_code == 400


def test_a_service_is_followed_to_completion(firm, broker, other_broker):
    item = services.service_request_create(
        user=firm, kind=ServiceRequest.Kind.EVALUATION, description="请评估我方需求的技术可行性"
    )
    with pytest.raises(Forbidden):
        services.service_request_advance(user=firm, request=item, to="accepted")
    item = services.service_request_advance(user=broker, request=item, to="accepted")
    assert item.handler == broker
    with pytest.raises(Forbidden):
        services.service_request_advance(user=other_broker, request=item, to="in_progress")
    with pytest.raises(Conflict):
        services.service_request_advance(user=broker, request=item, to="completed", result="x")
    services.service_request_advance(user=broker, request=item, to="in_progress")
    with pytest.raises(RuleBroken):
        services.service_request_advance(user=broker, request=item, to="completed")
    item = services.service_request_advance(
        user=broker, request=item, to="completed", result="评估报告已出具"
    )
    assert item.status == "completed" and item.completed_at is not None
    with pytest.raises(Conflict):
        services.service_request_advance(user=firm, request=item, to="cancelled")


def test_service_requests_are_private_to_the_requester(api, firm, other_firm, broker):
    api.force_authenticate(firm)
    created = api.post(
        "/api/tech/services/", {"kind": "selection", "description": "成果遴选"}, format="json"
    )
    assert created.status_code == 201, created.content
    api.force_authenticate(other_firm)
    assert api.get("/api/tech/services/").json()["results"] == []
    response = api.post(
        f"/api/tech/services/{created.json()['id']}/advance/", {"to": "cancelled"}, format="json"
    )
    assert response.status_code == 404
    api.force_authenticate(broker)
    assert len(api.get("/api/tech/services/").json()["results"]) == 1


def _service(api, user, **extra):
    api.force_authenticate(user)
    body = {"kind": "evaluation", "description": "请评估", **extra}
    return api.post("/api/tech/services/", body, format="json")


@pytest.mark.parametrize("field", ["listing", "need"])
def test_a_service_for_a_missing_or_a_hidden_item_gets_the_same_answer(
    api, firm, other_firm, owner, field
):
    # A hidden draft's id must not be told apart from an id nobody has: same status, same body.
    from tests.techmarket.factories import TechListingFactory, TechNeedFactory

    if field == "listing":
        hidden = TechListingFactory(created_by=owner, status="draft")
    else:
        hidden = TechNeedFactory(created_by=other_firm, status="draft")
    missing = hidden.pk + 10_000
    for_hidden = _service(api, firm, **{field: hidden.pk})
    for_missing = _service(api, firm, **{field: missing})
    assert for_hidden.status_code == for_missing.status_code == 400, for_hidden.content
    assert for_hidden.json() == for_missing.json()
    assert field in for_hidden.json()["error"]["fields"]
    assert not ServiceRequest.objects.exists()


def test_a_service_for_ones_own_listing_or_need_is_accepted(api, firm, owner):
    from tests.techmarket.factories import TechListingFactory, TechNeedFactory

    draft = TechListingFactory(created_by=owner, status="draft")
    assert _service(api, owner, listing=draft.pk).status_code == 201
    need = TechNeedFactory(created_by=firm, status="draft")
    assert _service(api, firm, need=need.pk).status_code == 201
