import pytest
from django.db import IntegrityError

from portal.accounts.models import Organisation, Role
from portal.accounts.selectors import user_is_recognised_in
from portal.accounts.services import regions_recognise_each_other, user_verify
from tests.factories import OrganisationFactory, UserFactory, beibei, mianyang

pytestmark = pytest.mark.django_db


def test_a_person_verified_in_mianyang_is_recognised_in_beibei():
    home, other = mianyang(), beibei()
    regions_recognise_each_other(regions=[home, other])
    person = UserFactory(organisation=OrganisationFactory(region=home))
    user_verify(user=person, region=home)
    assert user_is_recognised_in(user=person, region=home)
    assert user_is_recognised_in(user=person, region=other)


def test_an_unverified_person_is_recognised_nowhere():
    person = UserFactory()
    assert not user_is_recognised_in(user=person, region=beibei())


def test_recognition_needs_an_agreement_between_the_regions():
    home, other = mianyang(), beibei()
    person = UserFactory(organisation=OrganisationFactory(region=home))
    user_verify(user=person, region=home)
    assert not user_is_recognised_in(user=person, region=other)


def test_the_database_rejects_an_unknown_role():
    person = UserFactory()
    person.roles = ["wizard"]
    with pytest.raises(IntegrityError):
        person.save()


def test_the_database_rejects_a_malformed_credit_code():
    with pytest.raises(IntegrityError):
        Organisation.objects.create(
            name="坏代码机构", kind="firm", region=beibei(), uscc="91350100M000100YO3"
        )


def test_roles_are_checked_by_has_role():
    person = UserFactory(roles=[Role.BROKER])
    assert person.has_role(Role.BROKER)
    assert not person.has_role(Role.REVIEWER)


def test_it_issues_a_token_for_username_and_password(api, member):
    response = api.post(
        "/api/auth/token/", {"username": "member", "password": "correct horse battery"}
    )
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


def test_a_wrong_password_gets_no_token_and_the_one_error_shape(api, member):
    response = api.post("/api/auth/token/", {"username": "member", "password": "nope"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_me_needs_a_signed_in_user(api, member):
    assert api.get("/api/me/").status_code in (401, 403)
    api.force_authenticate(member)
    body = api.get("/api/me/").json()
    assert body["username"] == "member"
    assert body["roles"] == ["researcher"]
