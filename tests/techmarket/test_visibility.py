"""Tiers: anyone sees a teaser; members the details; NDA firms, owners, reviewers and the
broker the documents and contact. Hidden listings answer 404."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sharing.techmarket.models import Inquiry, ListingFile
from tests.factories import UserFactory
from tests.techmarket.factories import FirmUserFactory, TechListingFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CONTACT = ("contact_name", "contact_phone", "contact_email")


@pytest.fixture
def hidden(owner):
    return {
        "draft": TechListingFactory(created_by=owner, status="draft"),
        "submitted": TechListingFactory(created_by=owner, status="submitted"),
        "review": TechListingFactory(created_by=owner, status="review"),
        "internal": TechListingFactory(created_by=owner, confidentiality="internal"),
    }


def _with_files(listing, owner, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    for kind, name, data in (("document", "spec.pdf", PDF), ("image", "photo.png", PNG)):
        item = ListingFile(
            listing=listing,
            kind=kind,
            original_name=name,
            content_type="application/pdf" if kind == "document" else "image/png",
            size=len(data),
            uploaded_by=owner,
        )
        item.file.save(name, io.BytesIO(data), save=False)
        item.save()
    return {f.kind: f for f in listing.files.all()}


def test_anonymous_never_sees_hidden_listings(api, hidden, published):
    listed = api.get("/api/tech/listings/").json()["results"]
    assert [row["id"] for row in listed] == [published.pk]
    for listing in hidden.values():
        assert api.get(f"/api/tech/listings/{listing.pk}/").status_code == 404
    for status in ("draft", "submitted", "review"):
        rows = api.get("/api/tech/listings/", {"status": status}).json()["results"]
        assert rows == []


def test_anonymous_sees_a_teaser_only(api, published):
    body = api.get(f"/api/tech/listings/{published.pk}/").json()
    assert body["tier"] == "teaser"
    assert set(body) == {
        "id",
        "tier",
        "title",
        "abstract",
        "hightech_field",
        "industry_section",
        "trl",
        "region",
    }


def test_anonymous_gets_no_document_or_contact(api, published, owner, settings, tmp_path):
    files = _with_files(published, owner, settings, tmp_path)
    body = api.get(f"/api/tech/listings/{published.pk}/").json()
    assert not set(CONTACT) & set(body)
    assert "files" not in body
    for item in files.values():
        assert api.get(f"/api/tech/files/{item.pk}/").status_code == 404


def test_a_member_sees_details_and_images_but_no_documents(
    api, published, owner, settings, tmp_path
):
    files = _with_files(published, owner, settings, tmp_path)
    api.force_authenticate(UserFactory(username="member"))
    body = api.get(f"/api/tech/listings/{published.pk}/").json()
    assert body["tier"] == "member"
    assert body["transfer_modes"] == ["assignment"]
    assert not set(CONTACT) & set(body)
    assert [f["kind"] for f in body["files"]] == ["image"]
    assert api.get(f"/api/tech/files/{files['image'].pk}/").status_code == 200
    assert api.get(f"/api/tech/files/{files['document'].pk}/").status_code == 404


def test_a_member_sees_internal_listings(api, hidden):
    api.force_authenticate(UserFactory(username="member"))
    assert api.get(f"/api/tech/listings/{hidden['internal'].pk}/").status_code == 200
    assert api.get(f"/api/tech/listings/{hidden['draft'].pk}/").status_code == 404


def test_a_firm_that_accepted_the_nda_sees_documents_and_contact(
    api, published, owner, firm, broker, settings, tmp_path
):
    files = _with_files(published, owner, settings, tmp_path)
    api.force_authenticate(firm)
    response = api.post(
        "/api/tech/inquiries/", {"listing": published.pk, "nda_accepted": True}, format="json"
    )
    assert response.status_code == 201, response.content
    body = api.get(f"/api/tech/listings/{published.pk}/").json()
    assert body["tier"] == "full"
    assert body["contact_phone"] == "13800001234"
    download = api.get(f"/api/tech/files/{files['document'].pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]


def test_a_firm_without_the_nda_stays_at_member_tier(api, published, firm, broker):
    api.force_authenticate(firm)
    api.post("/api/tech/inquiries/", {"listing": published.pk}, format="json")
    assert Inquiry.objects.get().nda_accepted_at is None
    assert api.get(f"/api/tech/listings/{published.pk}/").json()["tier"] == "member"


def test_the_owner_and_the_reviewer_see_everything(api, hidden, owner, reviewer):
    api.force_authenticate(owner)
    body = api.get(f"/api/tech/listings/{hidden['draft'].pk}/").json()
    assert body["tier"] == "full"
    mine = api.get("/api/tech/listings/", {"mine": "true"}).json()["results"]
    assert len(mine) == 4
    api.force_authenticate(reviewer)
    assert api.get(f"/api/tech/listings/{hidden['draft'].pk}/").status_code == 404
    body = api.get(f"/api/tech/listings/{hidden['submitted'].pk}/").json()
    assert body["tier"] == "full"
    queue = api.get("/api/tech/review-queue/").json()["results"]
    assert {row["id"] for row in queue} == {hidden["submitted"].pk, hidden["review"].pk}


def test_outsiders_cannot_see_the_review_queue(api, firm):
    api.force_authenticate(firm)
    assert api.get("/api/tech/review-queue/").status_code == 403
    api.force_authenticate(None)
    assert api.get("/api/tech/review-queue/").status_code in (401, 403)


def test_a_closed_inquiry_no_longer_opens_documents(api, published, firm, broker):
    api.force_authenticate(firm)
    inquiry_id = api.post(
        "/api/tech/inquiries/", {"listing": published.pk, "nda_accepted": True}, format="json"
    ).json()["id"]
    api.post(f"/api/tech/inquiries/{inquiry_id}/close/", {"reason": "not_a_fit"}, format="json")
    assert api.get(f"/api/tech/listings/{published.pk}/").json()["tier"] == "member"


def test_uploads_are_checked_and_stored_under_generated_names(api, owner, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    draft = TechListingFactory(created_by=owner, status="draft")
    api.force_authenticate(owner)
    url = f"/api/tech/listings/{draft.pk}/files/"
    fake = SimpleUploadedFile("../../etc/evil.pdf", b"MZ\x90\x00 not a pdf")
    response = api.post(url, {"file": fake, "kind": "document"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "upload_type"
    good = SimpleUploadedFile("../../规格书.pdf", PDF)
    response = api.post(url, {"file": good, "kind": "document"}, format="multipart")
    assert response.status_code == 201, response.content
    item = ListingFile.objects.get()
    assert item.original_name == "规格书.pdf"
    assert ".." not in item.file.name and "规格书" not in item.file.name
    assert item.file.name.startswith(f"tech/{timezone.localdate():%Y}/")


def test_ticking_the_nda_does_not_open_an_export_controlled_listing_until_the_broker_records_it(
    api, owner, firm, broker
):
    from sharing.techmarket import services

    controlled = TechListingFactory(
        created_by=owner,
        export_controlled=True,
        confidentiality="internal",
        hightech_field="materials",
    )
    api.force_authenticate(firm)
    response = api.post(
        "/api/tech/inquiries/", {"listing": controlled.pk, "nda_accepted": True}, format="json"
    )
    assert response.status_code == 201, response.content
    inquiry = Inquiry.objects.get()
    colleague = FirmUserFactory(organisation=firm.organisation)
    for person in (firm, colleague):
        api.force_authenticate(person)
        body = api.get(f"/api/tech/listings/{controlled.pk}/").json()
        assert body["tier"] == "member"
        assert "contact_phone" not in body or not body["contact_phone"]
    services.inquiry_advance(user=inquiry.broker, inquiry=inquiry, to="contacted")
    api.force_authenticate(firm)
    assert api.get(f"/api/tech/listings/{controlled.pk}/").json()["tier"] == "member"
    services.inquiry_advance(user=inquiry.broker, inquiry=inquiry, to="nda_signed")
    assert api.get(f"/api/tech/listings/{controlled.pk}/").json()["tier"] == "full"


def test_a_page_of_listings_costs_the_same_queries_however_many_listings_it_holds(
    api, owner, firm, django_assert_max_num_queries
):
    for _ in range(3):
        TechListingFactory(created_by=owner)
    api.force_authenticate(firm)
    with django_assert_max_num_queries(12) as few:
        assert len(api.get("/api/tech/listings/").json()["results"]) == 3
    for _ in range(12):
        TechListingFactory(created_by=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/tech/listings/").json()["results"]) == 15


def test_tiers_decided_for_a_page_agree_with_each_listing_alone(owner, firm, broker):
    from sharing.techmarket import rules

    listings = [TechListingFactory(created_by=owner) for _ in range(3)]
    Inquiry.objects.create(
        listing=listings[0], firm=firm.organisation, created_by=firm, nda_accepted_at=timezone.now()
    )
    for person in (owner, firm, broker, UserFactory()):
        page = rules.listing_tiers(user=person, listings=listings)
        alone = {x.pk: rules.listing_tier(user=person, listing=x) for x in listings}
        assert page == alone
    assert rules.listing_tiers(user=firm, listings=listings)[listings[0].pk] == rules.FULL
    assert rules.listing_tiers(user=firm, listings=listings)[listings[1].pk] == rules.MEMBER
