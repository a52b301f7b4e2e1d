"""The exchange's rules answer with a refusal (not raised) that services raise, the API answers
and pages show; the pages and the services ask the same function."""

from django.contrib.auth.models import AnonymousUser

from portal.errors import Conflict, Forbidden, RuleBroken
from sharing.techmarket import rules, services
from sharing.techmarket.models import ServiceRequest, TechListing
from tests.techmarket.factories import FirmUserFactory, OwnerFactory, TechListingFactory


def test_a_firm_may_inquire_about_a_published_listing_of_another_organisation(firm, published):
    assert rules.may_inquire(user=firm, listing=published) is None


def test_a_firm_user_of_the_owning_organisation_is_refused_with_its_rule(owner, published):
    colleague = FirmUserFactory(organisation=owner.organisation)
    refusal = rules.may_inquire(user=colleague, listing=published)
    assert isinstance(refusal, RuleBroken) and refusal.rule == "own_listing"


def test_a_draft_or_an_unseen_listing_is_a_wrong_state_and_an_outsider_is_forbidden(firm, owner):
    draft = TechListingFactory(created_by=owner, status=TechListing.Status.DRAFT)
    assert isinstance(rules.may_inquire(user=firm, listing=draft), Conflict)
    assert rules.may_inquire(user=firm, listing=None).rule == "wrong_state"
    assert isinstance(rules.may_inquire(user=AnonymousUser(), listing=draft), Forbidden)


def test_a_reviewer_of_the_owning_organisation_is_recused(reviewer):
    colleague = OwnerFactory(organisation=reviewer.organisation)
    listing = TechListingFactory(created_by=colleague, status=TechListing.Status.SUBMITTED)
    refusal = rules.may_review(user=reviewer, listing=listing)
    assert isinstance(refusal, Forbidden) and refusal.rule == "conflict_of_interest"


def test_the_service_advances_by_the_same_next_step_the_page_offers(firm, broker):
    item = services.service_request_create(user=firm, kind="evaluation", description="评估")
    assert rules.service_next(item) == ServiceRequest.Status.ACCEPTED
    assert rules.may_handle_service_request(user=broker, request=item, to="accepted") is None
    refusal = rules.may_handle_service_request(user=broker, request=item, to="completed")
    assert isinstance(refusal, Conflict) and refusal.rule == "wrong_state"


def test_only_the_requester_or_an_administrator_may_cancel(firm, other_firm, admin_user):
    item = services.service_request_create(user=firm, kind="evaluation", description="评估")
    assert rules.may_cancel_service_request(user=firm, request=item) is None
    assert rules.may_cancel_service_request(user=admin_user, request=item) is None
    assert isinstance(rules.may_cancel_service_request(user=other_firm, request=item), Forbidden)
    services.service_request_advance(user=firm, request=item, to="cancelled")
    item.refresh_from_db()
    assert isinstance(rules.may_cancel_service_request(user=firm, request=item), Conflict)


def test_anonymous_visitors_see_a_teaser_and_may_edit_nothing(published):
    anonymous = AnonymousUser()
    assert rules.listing_tier(user=anonymous, listing=published) == rules.TEASER
    assert isinstance(rules.may_edit_listing(user=anonymous, listing=published), Forbidden)
    assert not rules.may_see_matches(user=anonymous, owner=False)
