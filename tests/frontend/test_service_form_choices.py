"""The services page offers only the listings and needs the person may request a service for,
so a colleague without the owner's role never reads a draft title there."""

import pytest

from portal.accounts.models import Role
from sharing.techmarket.models import ServiceRequest
from tests.factories import UserFactory
from tests.techmarket.factories import (
    FirmUserFactory,
    OwnerFactory,
    TechListingFactory,
    TechNeedFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return OwnerFactory(username="owner")


def test_a_colleague_without_the_owners_role_sees_no_draft_titles(client, owner):
    TechListingFactory(created_by=owner, status="draft", title="未经保密审查的草稿成果")
    TechListingFactory(created_by=owner, status="submitted", title="送审中的成果")
    colleague = UserFactory(roles=[Role.RESEARCHER], organisation=owner.organisation)
    client.force_login(colleague)
    page = client.get("/tech/services/").content.decode()
    assert "未经保密审查的草稿成果" not in page
    assert "送审中的成果" not in page


def test_a_firms_colleague_without_the_firm_role_sees_no_draft_needs(client):
    firm = FirmUserFactory()
    TechNeedFactory(
        created_by=firm, organisation=firm.organisation, status="draft", title="草稿需求"
    )
    colleague = UserFactory(roles=[Role.RESEARCHER], organisation=firm.organisation)
    client.force_login(colleague)
    assert "草稿需求" not in client.get("/tech/services/").content.decode()


def test_the_owner_may_still_choose_their_own_listings(client, owner):
    TechListingFactory(created_by=owner, status="draft", title="我的草稿成果")
    client.force_login(owner)
    assert "我的草稿成果" in client.get("/tech/services/").content.decode()


def test_a_forged_choice_of_someone_elses_draft_is_refused(client, owner):
    draft = TechListingFactory(created_by=owner, status="draft", title="别人的草稿")
    colleague = UserFactory(roles=[Role.RESEARCHER], organisation=owner.organisation)
    client.force_login(colleague)
    response = client.post(
        "/tech/services/", {"kind": "evaluation", "description": "评估", "listing": draft.pk}
    )
    assert response.status_code == 400
    assert "别人的草稿" not in response.content.decode()
    assert not ServiceRequest.objects.exists()
