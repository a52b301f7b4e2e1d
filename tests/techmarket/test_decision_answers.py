"""A reviewer's decision is answered with the decision, also when it takes the object out of
the reviewer's sight (a returned draft is the owner's again)."""

import datetime

import pytest
from django.utils import timezone

from sharing.techmarket import services
from tests.techmarket.test_listing_workflow import COMPLETE
from tests.techmarket.test_needs_and_services import NEED

pytestmark = pytest.mark.django_db


def test_a_returned_listing_is_answered_with_the_decision(api, owner, reviewer):
    listing = services.listing_create(user=owner, data=COMPLETE)
    services.listing_submit(user=owner, listing=listing)
    services.listing_review_start(user=reviewer, listing=listing)
    api.force_authenticate(reviewer)
    response = api.post(
        f"/api/tech/listings/{listing.pk}/decide/",
        {"decision": "return", "reason": "请补充试验数据"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["listing"], body["status"]) == (listing.pk, "draft")
    assert (body["review"]["decision"], body["review"]["reason"]) == ("return", "请补充试验数据")


def test_a_published_listing_is_answered_with_the_decision_too(api, owner, reviewer):
    listing = services.listing_create(user=owner, data=COMPLETE)
    services.listing_submit(user=owner, listing=listing)
    services.listing_review_start(user=reviewer, listing=listing)
    api.force_authenticate(reviewer)
    response = api.post(
        f"/api/tech/listings/{listing.pk}/decide/",
        {
            "decision": "approve",
            "reason": "不涉密",
            "secrecy_checked": True,
            "export_control_checked": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["review"]["decision"]) == (
        "published",
        "approve",
    )


def test_a_returned_need_is_answered(api, firm, reviewer):
    expires = timezone.localdate() + datetime.timedelta(days=60)
    need = services.need_create(user=firm, data={**NEED, "expires_on": expires})
    services.need_submit(user=firm, need=need)
    api.force_authenticate(reviewer)
    response = api.post(
        f"/api/tech/needs/{need.pk}/decide/",
        {"approve": False, "note": "请写明预算来源"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "draft"
