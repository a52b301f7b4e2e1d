"""Control characters in the technology exchange's free text: the API and the pages refuse them
with the field named; line breaks and tabs stay welcome in a text of several lines. (Bookings:
tests/hostile/test_text_and_json.py; every field carries the rule: tests/hostile/
test_control_characters.py; text stored before the rule is guarded on export.)"""

import datetime

import pytest
from django.utils import timezone

from sharing.techmarket.models import Inquiry, ServiceRequest, TechListing, TechNeed
from tests.techmarket.factories import TechNeedFactory
from tests.techmarket.test_listing_workflow import COMPLETE
from tests.techmarket.test_needs_and_services import NEED

pytestmark = pytest.mark.django_db

SEVERAL_LINES = "第一行\n\t第二行\r\n第三行"


def refused(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert field in error["fields"], error
    return error["fields"][field]


def need_body(**changes) -> dict:
    expires = timezone.localdate() + datetime.timedelta(days=60)
    return {**NEED, "expires_on": expires.isoformat(), **changes}


# --- Listings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "激光熔覆\x07修复"),
        ("abstract", "\x1b[31m简介"),
        ("key_points", ["同轴送粉", "闭环\x02温控"]),
        ("keywords", ["激光\x00熔覆"]),
        ("contact_name", "李工\x7f"),
        ("declassification_ref", "解密\x0c文号"),
        ("title", "激光熔覆\n修复技术"),
    ],
)
def test_the_api_refuses_a_listing_with_control_characters(api, owner, field, value):
    api.force_authenticate(owner)
    response = api.post("/api/tech/listings/", {**COMPLETE, field: value}, format="json")
    refused(response, field)
    assert not TechListing.objects.exists()


def test_a_listing_keeps_its_line_breaks_and_tabs(api, owner):
    api.force_authenticate(owner)
    body = {**COMPLETE, "abstract": SEVERAL_LINES, "specifications": SEVERAL_LINES}
    response = api.post("/api/tech/listings/", body, format="json")
    assert response.status_code == 201, response.content
    assert TechListing.objects.get().abstract == SEVERAL_LINES


def test_the_review_reason_refuses_control_characters(api, owner, reviewer):
    from sharing.techmarket import services

    listing = services.listing_submit(
        user=owner, listing=services.listing_create(user=owner, data=COMPLETE)
    )
    services.listing_review_start(user=reviewer, listing=listing)
    api.force_authenticate(reviewer)
    body = {
        "decision": "approve",
        "reason": "同意\x01发布",
        "secrecy_checked": True,
        "export_control_checked": True,
    }
    refused(api.post(f"/api/tech/listings/{listing.pk}/decide/", body, format="json"), "reason")


# --- Needs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("problem", "机臂过重\x00"), ("title", "轻量\x1f化"), ("target_specs", "密度\x08")],
)
def test_the_api_refuses_a_need_with_control_characters(api, firm, field, value):
    api.force_authenticate(firm)
    refused(api.post("/api/tech/needs/", need_body(**{field: value}), format="json"), field)
    assert not TechNeed.objects.exists()


def test_a_need_keeps_its_line_breaks_and_tabs(api, firm):
    api.force_authenticate(firm)
    response = api.post("/api/tech/needs/", need_body(problem=SEVERAL_LINES), format="json")
    assert response.status_code == 201, response.content
    assert TechNeed.objects.get().problem == SEVERAL_LINES


def test_a_need_returned_with_a_hidden_note_is_refused(api, firm, reviewer):
    need = TechNeedFactory(created_by=firm, status=TechNeed.Status.SUBMITTED)
    api.force_authenticate(reviewer)
    body = {"approve": False, "note": "预算\x15来源"}
    refused(api.post(f"/api/tech/needs/{need.pk}/decide/", body, format="json"), "note")


# --- Inquiries and contracts ----------------------------------------------------------------


def test_the_api_refuses_an_inquiry_message_with_control_characters(api, firm, published):
    api.force_authenticate(firm)
    body = {"listing": published.pk, "message": "有意向\x01=HYPERLINK()"}
    refused(api.post("/api/tech/inquiries/", body, format="json"), "message")
    assert not Inquiry.objects.exists()
    body["message"] = SEVERAL_LINES
    assert api.post("/api/tech/inquiries/", body, format="json").status_code == 201


def test_a_broker_note_and_a_registration_number_refuse_control_characters(
    api, firm, broker, published
):
    from sharing.techmarket import services

    inquiry = services.inquiry_create(user=firm, listing=published)
    base = f"/api/tech/inquiries/{inquiry.pk}"
    api.force_authenticate(broker)
    advance = {"to": "contacted", "note": "已\x04联系"}
    refused(api.post(f"{base}/advance/", advance, format="json"), "note")
    close = {"reason": "other", "note": "\x1a"}
    refused(api.post(f"{base}/close/", close, format="json"), "note")
    for stage in ("contacted", "nda_signed", "negotiating"):
        assert api.post(f"{base}/advance/", {"to": stage}, format="json").status_code == 200
    today = timezone.localdate().isoformat()
    contract = {"contract_type": "license", "amount": "10.00", "signed_on": today}
    assert api.post(f"{base}/contract/", contract, format="json").status_code == 200
    register = {"registration_number": "5107\x0b0726", "registered_on": today}
    refused(api.post(f"{base}/register/", register, format="json"), "registration_number")


# --- The centre's services ------------------------------------------------------------------


def test_the_api_refuses_a_service_request_with_control_characters(api, firm, broker):
    api.force_authenticate(firm)
    body = {"kind": "selection", "description": "成果\x01遴选"}
    refused(api.post("/api/tech/services/", body, format="json"), "description")
    assert not ServiceRequest.objects.exists()
    body["description"] = SEVERAL_LINES
    created = api.post("/api/tech/services/", body, format="json")
    assert created.status_code == 201, created.content
    api.force_authenticate(broker)
    path = f"/api/tech/services/{created.json()['id']}/advance/"
    assert api.post(path, {"to": "accepted"}, format="json").status_code == 200
    refused(api.post(path, {"to": "in_progress", "result": "\x06"}, format="json"), "result")


# --- Pages ----------------------------------------------------------------------------------


def test_the_listing_editor_shows_the_refusal_next_to_the_field(client, owner):
    from tests.frontend.test_tech_pages import editor_post

    client.force_login(owner)
    answer = client.post("/tech/listings/new/", editor_post(save="1", title="陶瓷\x07复合材料"))
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "含有不可见的控制字符 U+0007" in text
    assert not TechListing.objects.exists()
    answer = client.post(
        "/tech/listings/new/", editor_post(save="1", abstract=SEVERAL_LINES, key_point_2="\x02")
    )
    assert answer.status_code == 400 and "U+0002" in answer.content.decode()
    assert client.post("/tech/listings/new/", editor_post(save="1", abstract=SEVERAL_LINES))
    assert TechListing.objects.get().abstract == SEVERAL_LINES


def test_the_service_page_refuses_control_characters(client, firm):
    client.force_login(firm)
    answer = client.post("/tech/services/", {"kind": "evaluation", "description": "评估\x01"})
    assert answer.status_code == 400 and "U+0001" in answer.content.decode()
    assert not ServiceRequest.objects.exists()
