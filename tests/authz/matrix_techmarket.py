"""Rows for the technology exchange: listings by tier, needs, matches, inquiries, contracts,
the centre's services, and their pages.

Anyone sees published public listings as teasers; members the details; the owner, reviewers
(past draft), the inquiry's broker, a firm that accepted the NDA and administrators the
documents and contact. Drafts and submitted listings are absent (404) to everyone else.
Inquiries are seen by their parties, coordinators and administrators; only the assigned
broker (or an administrator) moves them on.
"""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from sharing.techmarket import search
from sharing.techmarket.models import (
    BrokerProfile,
    Inquiry,
    ListingFile,
    Match,
    ServiceRequest,
    TechContract,
    TechListing,
    TechNeed,
)
from tests.authz.matrix import ALL, LOGIN, ONLY, SIGNED, SIGNED_IN, Row

PHONE = "13900007777"  # the contact of the published listing
DRAFT_TITLE = "矩阵草稿成果"
INTERNAL_TITLE = "矩阵内部成果"
NEED_DRAFT_TITLE = "矩阵草稿需求"
MESSAGE = "矩阵意向说明"
REG_NO = "MATRIX-REG-0001"
SERVICE_TEXT = "矩阵服务申请说明"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

OWNERS = {"tech_owner", "admin"}
FULL_TIER = {"tech_owner", "broker_assigned", "reviewer", "firm", "admin"}
PARTIES = {"firm", "broker_assigned", "tech_owner", "coordinator", "admin"}
CARRIERS = {"broker_assigned", "admin"}
MATCH_READERS = {"broker_assigned", "broker_other", "coordinator", "admin"}
STAFF = {"broker_assigned", "broker_other", "admin"}


def _listing(w, title, status="published", **extra):
    published = status in ("published", "closed", "transferred")
    listing = TechListing.objects.create(
        title=title,
        abstract="授权矩阵测试成果。",
        organisation=w.people["tech_owner"].organisation,
        region=w.people["tech_owner"].organisation.region,
        created_by=w.people["tech_owner"],
        trl=6,
        trl_evidence="中试报告",
        hightech_field="materials",
        transfer_modes=["assignment"],
        price_negotiable=True,
        contact_name="矩阵联系人",
        contact_phone=PHONE,
        status=status,
        published_at=timezone.now() if published else None,
        submitted_at=timezone.now() if status != "draft" else None,
        **extra,
    )
    search.listing_refresh_search(listing)
    return listing


def _need(w, title, status="published"):
    need = TechNeed.objects.create(
        title=title,
        problem="授权矩阵测试需求。",
        organisation=w.org_firm,
        region=w.org_firm.region,
        created_by=w.people["firm"],
        expires_on=timezone.localdate() + datetime.timedelta(days=60),
        status=status,
        published_at=timezone.now() if status == "published" else None,
    )
    search.need_refresh_search(need)
    return need


def _inquiry(w, listing, stage="new", **extra):
    inquiry = Inquiry.objects.create(
        listing=listing,
        firm=w.org_firm,
        created_by=w.people["firm"],
        broker=w.people["broker_assigned"],
        stage=stage,
        **extra,
    )
    return inquiry


def _file(w, listing, kind, name, data):
    item = ListingFile(
        listing=listing,
        kind=kind,
        original_name=name,
        content_type="image/png" if kind == "image" else "application/pdf",
        size=len(data),
        uploaded_by=w.people["tech_owner"],
    )
    item.file.save(name, ContentFile(data), save=True)
    return item


def setup(w):
    BrokerProfile.objects.create(user=w.people["broker_assigned"], fields=["materials"])
    BrokerProfile.objects.create(user=w.people["broker_other"], fields=["electronics"])
    w.listing = _listing(w, "矩阵公开成果")
    w.listing_other = _listing(w, "矩阵第二成果")
    w.listing_draft = _listing(w, DRAFT_TITLE, status="draft")
    w.listing_submitted = _listing(w, "矩阵已提交成果", status="submitted")
    w.listing_review = _listing(w, "矩阵审查中成果", status="review")
    w.listing_internal = _listing(w, INTERNAL_TITLE, confidentiality="internal")
    w.document = _file(w, w.listing, "document", "matrix.pdf", b"%PDF-1.4\n%%EOF\n")
    w.image = _file(w, w.listing, "image", "matrix.png", PNG)
    w.need = _need(w, "矩阵公开需求")
    w.need_draft = _need(w, NEED_DRAFT_TITLE, status="draft")
    w.need_submitted = _need(w, "矩阵待审需求", status="submitted")
    w.match = Match.objects.create(listing=w.listing, need=w.need, score=0.5, reasons={})
    w.inquiry = _inquiry(w, w.listing, message=MESSAGE, nda_accepted_at=timezone.now())
    negotiating_listing = _listing(w, "矩阵洽谈成果")
    w.inquiry_negotiating = _inquiry(w, negotiating_listing, stage="negotiating")
    signed_listing = _listing(w, "矩阵签约成果")
    w.inquiry_signed = _inquiry(w, signed_listing, stage="contract_signed")
    TechContract.objects.create(
        inquiry=w.inquiry_signed,
        contract_type="license",
        amount=10,
        seller=signed_listing.organisation,
        buyer=w.org_firm,
        signed_on=timezone.localdate(),
        recorded_by=w.people["broker_assigned"],
    )
    registered_listing = _listing(w, "矩阵登记成果")
    registered = _inquiry(w, registered_listing, stage="contract_registered")
    TechContract.objects.create(
        inquiry=registered,
        contract_type="transfer",
        amount=20,
        seller=registered_listing.organisation,
        buyer=w.org_firm,
        signed_on=timezone.localdate(),
        registered_on=timezone.localdate(),
        registration_number=REG_NO,
        recorded_by=w.people["broker_assigned"],
    )
    w.service = ServiceRequest.objects.create(
        kind="evaluation",
        requester=w.people["firm"],
        organisation=w.org_firm,
        description=SERVICE_TEXT,
    )


def _status(model, attr):
    return lambda w: model.objects.values_list("status", flat=True).get(pk=getattr(w, attr).pk)


def _stage(attr):
    return lambda w: Inquiry.objects.values_list("stage", flat=True).get(pk=getattr(w, attr).pk)


def _png(w):
    return {"file": ContentFile(PNG, name="photo.png"), "kind": "image"}


def _listing_body(w):
    return {"title": "矩阵新成果", "abstract": "简介", "trl": 5}


def _need_body(w):
    expires = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    return {"title": "矩阵新需求", "problem": "问题", "expires_on": expires}


def _decision(w):
    return {
        "decision": "approve",
        "reason": "不涉密",
        "secrecy_checked": True,
        "export_control_checked": True,
    }


HIDDEN = ONLY(OWNERS, 200, else_=404, anon=404)
API = "/api/tech"

API_ROWS = [
    Row(
        "api:tech-listings",
        "GET",
        lambda w: f"{API}/listings/",
        ALL(200),
        secret=lambda w: DRAFT_TITLE,
    ),
    Row(
        "api:tech-listings",
        "GET",
        lambda w: f"{API}/listings/?q=矩阵公开成果",
        ALL(200),
        label="contact",
        secret=lambda w: PHONE,
        seen_by=frozenset(FULL_TIER),
    ),
    Row(
        "api:tech-listings",
        "GET",
        lambda w: f"{API}/listings/?q=矩阵",
        ALL(200),
        label="internal",
        secret=lambda w: INTERNAL_TITLE,
        seen_by=SIGNED,
    ),
    Row(
        "api:tech-listings",
        "GET",
        lambda w: f"{API}/listings/?mine=true",
        ONLY(SIGNED, 200, else_=200, anon=403),
        label="mine",
        secret=lambda w: DRAFT_TITLE,
        seen_by=frozenset({"tech_owner"}),
    ),
    Row(
        "api:tech-listings",
        "POST",
        lambda w: f"{API}/listings/",
        ONLY(OWNERS, 201, else_=403),
        body=_listing_body,
        effect=lambda w: TechListing.objects.count(),
    ),
    Row(
        "api:tech-listing",
        "GET",
        lambda w: f"{API}/listings/{w.listing.pk}/",
        ALL(200),
        secret=lambda w: PHONE,
        seen_by=frozenset(FULL_TIER),
    ),
    Row(
        "api:tech-listing",
        "GET",
        lambda w: f"{API}/listings/{w.listing_draft.pk}/",
        HIDDEN,
        label="draft",
    ),
    Row(
        "api:tech-listing",
        "GET",
        lambda w: f"{API}/listings/{w.listing_submitted.pk}/",
        ONLY(OWNERS | {"reviewer"}, 200, else_=404, anon=404),
        label="submitted",
    ),
    Row(
        "api:tech-listing",
        "GET",
        lambda w: f"{API}/listings/{w.listing_internal.pk}/",
        SIGNED_IN(200, anon=404),
        label="internal",
    ),
    Row(
        "api:tech-listing",
        "PATCH",
        lambda w: f"{API}/listings/{w.listing_draft.pk}/",
        ONLY(OWNERS, 200, else_=404),
        body=lambda w: {"title": "改名"},
        effect=lambda w: TechListing.objects.get(pk=w.listing_draft.pk).title,
    ),
    Row(
        "api:tech-listing-submit",
        "POST",
        lambda w: f"{API}/listings/{w.listing_draft.pk}/submit/",
        ONLY({"tech_owner"}, 200, else_=404) | {"admin": 403},
        effect=_status(TechListing, "listing_draft"),
    ),
    Row(
        "api:tech-listing-withdraw",
        "POST",
        lambda w: f"{API}/listings/{w.listing_submitted.pk}/withdraw/",
        ONLY({"tech_owner"}, 200, else_=404) | {"admin": 403, "reviewer": 403},
        effect=_status(TechListing, "listing_submitted"),
    ),
    Row(
        "api:tech-listing-review",
        "POST",
        lambda w: f"{API}/listings/{w.listing_submitted.pk}/review/",
        ONLY({"reviewer"}, 200, else_=404) | {"admin": 403, "tech_owner": 403},
        effect=_status(TechListing, "listing_submitted"),
    ),
    Row(
        "api:tech-listing-decide",
        "POST",
        lambda w: f"{API}/listings/{w.listing_review.pk}/decide/",
        ONLY({"reviewer"}, 200, else_=404) | {"admin": 403, "tech_owner": 403},
        body=_decision,
        effect=_status(TechListing, "listing_review"),
    ),
    Row(
        "api:tech-listing-close",
        "POST",
        lambda w: f"{API}/listings/{w.listing_other.pk}/close/",
        ONLY(OWNERS, 200, else_=403),
        body=lambda w: {"transferred": False},
        effect=_status(TechListing, "listing_other"),
    ),
    Row(
        "api:tech-listing-matches",
        "GET",
        lambda w: f"{API}/listings/{w.listing.pk}/matches/",
        ONLY(MATCH_READERS | {"tech_owner"}, 200, else_=403),
    ),
    Row(
        "api:tech-listing-files",
        "POST",
        lambda w: f"{API}/listings/{w.listing_draft.pk}/files/",
        ONLY({"tech_owner"}, 201, else_=404) | {"admin": 403},
        body=_png,
        fmt="multipart",
        effect=lambda w: ListingFile.objects.count(),
    ),
    Row(
        "api:tech-file",
        "GET",
        lambda w: f"{API}/files/{w.document.pk}/",
        ONLY(FULL_TIER, 200, else_=404, anon=404),
        label="document",
    ),
    Row(
        "api:tech-file",
        "GET",
        lambda w: f"{API}/files/{w.image.pk}/",
        SIGNED_IN(200, anon=404),
        label="image",
    ),
    Row(
        "api:tech-review-queue",
        "GET",
        lambda w: f"{API}/review-queue/",
        ONLY({"reviewer"}, 200, else_=403),
    ),
    Row(
        "api:tech-needs",
        "GET",
        lambda w: f"{API}/needs/",
        ALL(200),
        secret=lambda w: NEED_DRAFT_TITLE,
    ),
    Row(
        "api:tech-needs",
        "POST",
        lambda w: f"{API}/needs/",
        ONLY({"firm", "admin"}, 201, else_=403),
        body=_need_body,
        effect=lambda w: TechNeed.objects.count(),
    ),
    Row("api:tech-need", "GET", lambda w: f"{API}/needs/{w.need.pk}/", ALL(200)),
    Row(
        "api:tech-need",
        "GET",
        lambda w: f"{API}/needs/{w.need_draft.pk}/",
        ONLY({"firm", "admin"}, 200, else_=404, anon=404),
        label="draft",
    ),
    Row(
        "api:tech-need",
        "PATCH",
        lambda w: f"{API}/needs/{w.need_draft.pk}/",
        ONLY({"firm", "admin"}, 200, else_=404),
        body=lambda w: {"title": "改名"},
        effect=lambda w: TechNeed.objects.get(pk=w.need_draft.pk).title,
    ),
    Row(
        "api:tech-need-submit",
        "POST",
        lambda w: f"{API}/needs/{w.need_draft.pk}/submit/",
        ONLY({"firm"}, 200, else_=404) | {"admin": 403},
        effect=_status(TechNeed, "need_draft"),
    ),
    Row(
        "api:tech-need-decide",
        "POST",
        lambda w: f"{API}/needs/{w.need_submitted.pk}/decide/",
        ONLY({"reviewer"}, 200, else_=404) | {"admin": 403, "firm": 403},
        body=lambda w: {"approve": True},
        effect=_status(TechNeed, "need_submitted"),
    ),
    Row(
        "api:tech-need-close",
        "POST",
        lambda w: f"{API}/needs/{w.need.pk}/close/",
        ONLY({"firm", "admin"}, 200, else_=403),
        effect=_status(TechNeed, "need"),
    ),
    Row(
        "api:tech-need-matches",
        "GET",
        lambda w: f"{API}/needs/{w.need.pk}/matches/",
        ONLY(MATCH_READERS | {"firm"}, 200, else_=403),
    ),
    Row(
        "api:tech-inquiries",
        "GET",
        lambda w: f"{API}/inquiries/",
        SIGNED_IN(200),
        secret=lambda w: MESSAGE,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "api:tech-inquiries",
        "POST",
        lambda w: f"{API}/inquiries/",
        ONLY({"firm"}, 201, else_=403),
        body=lambda w: {"listing": w.listing_other.pk, "nda_accepted": True},
        effect=lambda w: Inquiry.objects.count(),
    ),
    Row(
        "api:tech-inquiries",
        "POST",
        lambda w: f"{API}/inquiries/",
        ONLY(STAFF, 201, else_=403),
        label="broker links a need",
        body=lambda w: {"listing": w.listing_other.pk, "need": w.need.pk},
        effect=lambda w: Inquiry.objects.count(),
    ),
    Row(
        "api:tech-inquiry",
        "GET",
        lambda w: f"{API}/inquiries/{w.inquiry.pk}/",
        ONLY(PARTIES, 200, else_=404),
        secret=lambda w: MESSAGE,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "api:tech-inquiry-advance",
        "POST",
        lambda w: f"{API}/inquiries/{w.inquiry.pk}/advance/",
        ONLY(CARRIERS, 200, else_=404) | dict.fromkeys(PARTIES - CARRIERS, 403),
        body=lambda w: {"to": "contacted"},
        effect=_stage("inquiry"),
    ),
    Row(
        "api:tech-inquiry-close",
        "POST",
        lambda w: f"{API}/inquiries/{w.inquiry.pk}/close/",
        ONLY(CARRIERS | {"firm"}, 200, else_=404) | {"tech_owner": 403, "coordinator": 403},
        body=lambda w: {"reason": "not_a_fit"},
        effect=_stage("inquiry"),
    ),
    Row(
        "api:tech-inquiry-contract",
        "POST",
        lambda w: f"{API}/inquiries/{w.inquiry_negotiating.pk}/contract/",
        ONLY(CARRIERS, 200, else_=404) | dict.fromkeys(PARTIES - CARRIERS, 403),
        body=lambda w: {
            "contract_type": "license",
            "amount": "12.00",
            "signed_on": timezone.localdate().isoformat(),
        },
        effect=_stage("inquiry_negotiating"),
    ),
    Row(
        "api:tech-inquiry-register",
        "POST",
        lambda w: f"{API}/inquiries/{w.inquiry_signed.pk}/register/",
        ONLY(CARRIERS, 200, else_=404) | dict.fromkeys(PARTIES - CARRIERS, 403),
        body=lambda w: {
            "registration_number": "MATRIX-REG-0002",
            "registered_on": timezone.localdate().isoformat(),
        },
        effect=_stage("inquiry_signed"),
    ),
    Row(
        "api:tech-contracts",
        "GET",
        lambda w: f"{API}/contracts/",
        SIGNED_IN(200),
        secret=lambda w: REG_NO,
        seen_by=frozenset(STAFF | {"coordinator", "firm", "tech_owner"}),
    ),
    Row(
        "api:tech-contract-turnover",
        "GET",
        lambda w: f"{API}/indicators/contracts/",
        SIGNED_IN(200),
    ),
    Row(
        "api:tech-services",
        "GET",
        lambda w: f"{API}/services/",
        SIGNED_IN(200),
        secret=lambda w: SERVICE_TEXT,
        seen_by=frozenset(STAFF | {"firm"}),
    ),
    Row(
        "api:tech-services",
        "POST",
        lambda w: f"{API}/services/",
        SIGNED_IN(201),
        body=lambda w: {"kind": "selection", "description": "遴选"},
        effect=lambda w: ServiceRequest.objects.count(),
    ),
    Row(
        "api:tech-service-advance",
        "POST",
        lambda w: f"{API}/services/{w.service.pk}/advance/",
        ONLY(STAFF, 200, else_=404) | {"firm": 403},
        body=lambda w: {"to": "accepted"},
        effect=_status(ServiceRequest, "service"),
    ),
]


def PAGE_ONLY(people, status=200, *, else_=403):
    return ONLY(people, status, else_=else_, anon=LOGIN)


PAGE_ROWS = [
    Row(
        "frontend:tech",
        "GET",
        lambda w: "/tech/?q=矩阵",
        ALL(200),
        secret=lambda w: (DRAFT_TITLE, PHONE),  # the browse page shows no contact to anyone
    ),
    Row(
        "frontend:tech-listing",
        "GET",
        lambda w: f"/tech/listings/{w.listing.pk}/",
        ALL(200),
        secret=lambda w: PHONE,
        seen_by=frozenset(FULL_TIER),
    ),
    Row(
        "frontend:tech-listing",
        "GET",
        lambda w: f"/tech/listings/{w.listing_draft.pk}/",
        HIDDEN,
        label="draft",
    ),
    Row(
        "frontend:tech-listing-new",
        "GET",
        lambda w: "/tech/listings/new/",
        PAGE_ONLY(OWNERS),
    ),
    Row(
        "frontend:tech-listing-edit",
        "GET",
        lambda w: f"/tech/listings/{w.listing_draft.pk}/edit/",
        PAGE_ONLY(OWNERS, else_=404),
    ),
    Row(
        "frontend:tech-listing-interest",
        "POST",
        lambda w: f"/tech/listings/{w.listing_other.pk}/interest/",
        ONLY({"firm"}, 302, else_=403, anon=LOGIN),
        body=lambda w: {"message": "", "nda": "accept"},
        fmt="form",
    ),
    Row(
        "frontend:tech-listing-action",
        "POST",
        lambda w: f"/tech/listings/{w.listing_draft.pk}/submit/",
        ONLY({"tech_owner"}, 302, else_=404, anon=LOGIN) | {"admin": 403},
        fmt="form",
    ),
    Row("frontend:tech-review", "GET", lambda w: "/tech/review/", PAGE_ONLY({"reviewer"})),
    Row(
        "frontend:tech-review-start",
        "POST",
        lambda w: f"/tech/review/{w.listing_submitted.pk}/start/",
        ONLY({"reviewer"}, 302, else_=404, anon=LOGIN) | {"tech_owner": 403, "admin": 403},
        fmt="form",
    ),
    Row(
        "frontend:tech-review-decide",
        "POST",
        lambda w: f"/tech/review/{w.listing_review.pk}/decide/",
        ONLY({"reviewer"}, 302, else_=404, anon=LOGIN) | {"tech_owner": 403, "admin": 403},
        body=lambda w: {
            "decision": "approve",
            "reason": "不涉密",
            "secrecy_checked": "on",
            "export_control_checked": "on",
        },
        fmt="form",
    ),
    Row(
        "frontend:tech-needs",
        "GET",
        lambda w: "/tech/needs/",
        PAGE_ONLY(STAFF | {"firm", "coordinator"}),
        secret=lambda w: NEED_DRAFT_TITLE,
        seen_by=frozenset({"firm"}),
    ),
    Row(
        "frontend:tech-need-new", "GET", lambda w: "/tech/needs/new/", PAGE_ONLY({"firm", "admin"})
    ),
    Row(
        "frontend:tech-need",
        "GET",
        lambda w: f"/tech/needs/{w.need_draft.pk}/",
        PAGE_ONLY({"firm", "admin"}, else_=404),
    ),
    Row(
        "frontend:tech-need-edit",
        "GET",
        lambda w: f"/tech/needs/{w.need_draft.pk}/edit/",
        PAGE_ONLY({"firm", "admin"}, else_=404),
    ),
    Row(
        "frontend:tech-need-action",
        "POST",
        lambda w: f"/tech/needs/{w.need_draft.pk}/submit/",
        ONLY({"firm"}, 302, else_=404, anon=LOGIN) | {"admin": 403},
        fmt="form",
    ),
    Row(
        "frontend:tech-pipeline",
        "GET",
        lambda w: "/tech/pipeline/",
        PAGE_ONLY(STAFF | {"coordinator"}),
        secret=lambda w: "矩阵公开成果",
        seen_by=frozenset({"broker_assigned", "admin", "coordinator"}),
    ),
    Row(
        "frontend:tech-inquiry",
        "GET",
        lambda w: f"/tech/inquiries/{w.inquiry.pk}/",
        PAGE_ONLY(PARTIES, else_=404),
        secret=lambda w: MESSAGE,
        seen_by=frozenset(PARTIES),
    ),
    Row(
        "frontend:tech-inquiry-action",
        "POST",
        lambda w: f"/tech/inquiries/{w.inquiry.pk}/advance/",
        ONLY(CARRIERS, 302, else_=404, anon=LOGIN) | dict.fromkeys(PARTIES - CARRIERS, 403),
        body=lambda w: {"to": "contacted"},
        fmt="form",
    ),
    Row(
        "frontend:tech-contracts",
        "GET",
        lambda w: "/tech/contracts/",
        SIGNED_IN(200, anon=LOGIN),
        secret=lambda w: REG_NO,
        seen_by=frozenset(STAFF | {"coordinator", "firm", "tech_owner"}),
    ),
    Row(
        "frontend:tech-contracts-csv",
        "GET",
        lambda w: "/tech/contracts/export.csv",
        SIGNED_IN(200, anon=LOGIN),
        secret=lambda w: REG_NO,
        seen_by=frozenset(STAFF | {"coordinator", "firm", "tech_owner"}),
    ),
    Row(
        "frontend:tech-services",
        "GET",
        lambda w: "/tech/services/",
        SIGNED_IN(200, anon=LOGIN),
        secret=lambda w: SERVICE_TEXT,
        seen_by=frozenset(STAFF | {"firm"}),
    ),
    Row(
        "frontend:tech-service-advance",
        "POST",
        lambda w: f"/tech/services/{w.service.pk}/advance/",
        ONLY(STAFF, 302, else_=404, anon=LOGIN) | {"firm": 403},
        body=lambda w: {"to": "accepted"},
        fmt="form",
    ),
]

ROWS = API_ROWS + PAGE_ROWS
