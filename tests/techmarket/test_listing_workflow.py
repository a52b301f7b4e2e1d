"""draft → submitted → review → published → closed/transferred, by the right people only."""

import pytest
from django.db import IntegrityError

from portal.audit.models import AuditEvent
from portal.errors import Conflict, Forbidden, RuleBroken
from sharing.techmarket import services
from sharing.techmarket.models import ListingReview, TechListing

COMPLETE = {
    "title": "激光熔覆修复再制造技术",
    "abstract": "用于航空发动机叶片的激光熔覆修复。",
    "key_points": ["同轴送粉", "闭环温控"],
    "keywords": ["激光熔覆", "再制造"],
    "hightech_field": "manufacturing",
    "industry_section": "C",
    "industry_division": "34",
    "trl": 6,
    "trl_evidence": "中试线运行报告",
    "transfer_modes": ["license_ordinary", "joint_development"],
    "price_negotiable": True,
    "contact_name": "李工",
    "contact_phone": "13900001111",
}

pytestmark = pytest.mark.django_db


def _submitted(owner) -> TechListing:
    listing = services.listing_create(user=owner, data=COMPLETE)
    return services.listing_submit(user=owner, listing=listing)


def _in_review(owner, reviewer) -> TechListing:
    return services.listing_review_start(user=reviewer, listing=_submitted(owner))


def test_it_publishes_through_review(owner, reviewer, django_capture_on_commit_callbacks):
    listing = _in_review(owner, reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        listing = services.listing_decide(
            user=reviewer,
            listing=listing,
            decision="approve",
            reason="不涉密，非出口管制物项。",
            secrecy_checked=True,
            export_control_checked=True,
        )
    assert listing.status == "published"
    assert listing.published_at is not None
    review = listing.reviews.get()
    assert review.reason == "不涉密，非出口管制物项。"
    assert review.reviewer == reviewer
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"tech.listing.create", "tech.listing.submit", "tech.listing.publish"} <= actions


def test_it_returns_with_a_reason_to_draft(owner, reviewer):
    listing = services.listing_decide(
        user=reviewer,
        listing=_in_review(owner, reviewer),
        decision="return",
        reason="请补充解密文号。",
        secrecy_checked=False,
        export_control_checked=False,
    )
    assert listing.status == "draft"
    assert listing.reviews.get().decision == "return"


def test_it_refuses_a_decision_without_reason(owner, reviewer):
    listing = _in_review(owner, reviewer)
    with pytest.raises(RuleBroken) as caught:
        services.listing_decide(
            user=reviewer,
            listing=listing,
            decision="approve",
            reason="  ",
            secrecy_checked=True,
            export_control_checked=True,
        )
    assert caught.value.rule == "reason_required"


def test_it_refuses_approval_without_both_checks(owner, reviewer):
    listing = _in_review(owner, reviewer)
    with pytest.raises(RuleBroken) as caught:
        services.listing_decide(
            user=reviewer,
            listing=listing,
            decision="approve",
            reason="可以发布",
            secrecy_checked=True,
            export_control_checked=False,
        )
    assert caught.value.rule == "checks_required"


def test_it_keeps_export_controlled_technology_from_the_public(owner, reviewer):
    listing = services.listing_create(user=owner, data={**COMPLETE, "export_controlled": True})
    services.listing_submit(user=owner, listing=listing)
    services.listing_review_start(user=reviewer, listing=listing)
    with pytest.raises(RuleBroken) as caught:
        services.listing_decide(
            user=reviewer,
            listing=listing,
            decision="approve",
            reason="出口管制物项",
            secrecy_checked=True,
            export_control_checked=True,
        )
    assert caught.value.rule == "export_controlled_public"
    listing = services.listing_decide(
        user=reviewer,
        listing=listing,
        decision="approve",
        reason="出口管制物项，仅会员可见",
        secrecy_checked=True,
        export_control_checked=True,
        confidentiality="internal",
    )
    assert (listing.status, listing.confidentiality) == ("published", "internal")


def test_the_database_refuses_export_controlled_public_listings(published):
    with pytest.raises(IntegrityError):
        TechListing.objects.filter(pk=published.pk).update(export_controlled=True)


def test_the_database_refuses_a_fourth_key_point(published):
    with pytest.raises(IntegrityError):
        TechListing.objects.filter(pk=published.pk).update(key_points=["a", "b", "c", "d"])


def test_the_database_refuses_an_approval_without_checks(published, reviewer):
    with pytest.raises(IntegrityError):
        ListingReview.objects.create(
            listing=published,
            reviewer=reviewer,
            decision="approve",
            secrecy_checked=False,
            export_control_checked=True,
            reason="x",
        )


def test_it_refuses_submitting_an_incomplete_draft(owner):
    listing = services.listing_create(
        user=owner, data={"title": "未完成", "abstract": "简介", "trl": 3}
    )
    with pytest.raises(RuleBroken) as caught:
        services.listing_submit(user=owner, listing=listing)
    assert caught.value.rule == "incomplete"
    assert {"transfer_modes", "price", "trl_evidence", "contact_name"} <= set(caught.value.fields)


def test_it_needs_declassification_provenance(owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.listing_create(user=owner, data={**COMPLETE, "declassified": True})
    listing = services.listing_create(
        user=owner,
        data={
            **COMPLETE,
            "declassified": True,
            "declassification_authority": "国防科工局",
            "declassification_ref": "科工密〔2025〕12号",
            "declassified_on": "2025-06-30",
        },
    )
    assert listing.declassified


def test_it_refuses_a_division_outside_its_section(owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.listing_create(
            user=owner, data={**COMPLETE, "industry_section": "A", "industry_division": "34"}
        )


@pytest.mark.parametrize("step", ["review_start", "decide", "close"])
def test_it_refuses_transitions_from_the_wrong_state(owner, reviewer, step):
    draft = services.listing_create(user=owner, data=COMPLETE)
    with pytest.raises(Conflict) as caught:
        if step == "review_start":
            services.listing_review_start(user=reviewer, listing=draft)
        elif step == "decide":
            services.listing_decide(
                user=reviewer,
                listing=draft,
                decision="approve",
                reason="x",
                secrecy_checked=True,
                export_control_checked=True,
            )
        else:
            services.listing_close(user=owner, listing=draft)
    assert caught.value.rule == "wrong_state"


def test_it_refuses_editing_a_submitted_listing(owner):
    listing = _submitted(owner)
    with pytest.raises(Conflict):
        services.listing_update(user=owner, listing=listing, data={"title": "改名"})


def test_it_refuses_the_wrong_roles(owner, reviewer, firm):
    with pytest.raises(Forbidden):
        services.listing_create(user=firm, data=COMPLETE)
    listing = services.listing_create(user=owner, data=COMPLETE)
    with pytest.raises(Forbidden):
        services.listing_submit(user=firm, listing=listing)
    services.listing_submit(user=owner, listing=listing)
    with pytest.raises(Forbidden):
        services.listing_review_start(user=owner, listing=listing)
    with pytest.raises(Forbidden):
        services.listing_review_start(user=firm, listing=listing)


def test_a_reviewer_does_not_review_their_own_organisation(owner, reviewer):
    reviewer.organisation = owner.organisation
    reviewer.save()
    listing = _submitted(owner)
    with pytest.raises(Forbidden) as caught:
        services.listing_review_start(user=reviewer, listing=listing)
    assert caught.value.rule == "conflict_of_interest"


def test_the_owner_closes_or_marks_transferred(owner, published):
    closed = services.listing_close(user=owner, listing=published, transferred=True)
    assert closed.status == "transferred"
