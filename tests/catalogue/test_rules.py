"""The catalogue's rules answer with a refusal and its message, and the site may do everything."""

import pytest
from django.contrib.auth.models import AnonymousUser

from portal.accounts.models import Role
from portal.errors import Forbidden
from sharing.catalogue import rules
from tests.factories import OrganisationFactory, UserFactory, mianyang

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    mianyang()
    return UserFactory(username="manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def researcher(db):
    mianyang()
    return UserFactory(username="researcher", roles=[Role.RESEARCHER])


@pytest.fixture
def administrator(db):
    mianyang()
    return UserFactory(username="administrator", roles=[Role.ADMINISTRATOR])


def test_it_refuses_an_import_to_a_researcher_with_its_message(researcher):
    refusal = rules.may_import(researcher)
    assert isinstance(refusal, Forbidden)
    assert refusal.rule == "import_managers_only"
    assert refusal.message


def test_it_lets_managers_and_administrators_import(manager, administrator):
    assert rules.may_import(manager) is None
    assert rules.may_import(administrator) is None


def test_it_refuses_an_import_by_source_to_a_manager(manager, administrator):
    refusal = rules.may_import_by_source(manager)
    assert isinstance(refusal, Forbidden)
    assert refusal.rule == "source_admin_only"
    assert rules.may_import_by_source(administrator) is None
    assert rules.may_import_by_source(None) is None  # the scheduler, the command line


def test_a_manager_writes_only_into_their_own_organisation(manager):
    scope = rules.import_scope(manager)
    assert scope == rules.ImportScope(organisation=manager.organisation)
    own = manager.organisation
    assert rules.may_write_row(scope, uscc="", match=lambda: own.pk)
    assert not rules.may_write_row(scope, uscc="", match=lambda: own.pk + 1)
    other = OrganisationFactory()
    assert not rules.may_write_row(scope, uscc=other.uscc, match=lambda: own.pk)


def test_a_manager_without_an_organisation_writes_no_row(db):
    mianyang()
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER], organisation=None)
    scope = rules.import_scope(manager)
    assert not rules.may_write_row(scope, uscc="", match=lambda: None)


def test_administrators_and_the_site_write_everywhere(administrator):
    assert rules.import_scope(administrator) == rules.EVERYWHERE
    assert rules.import_scope(None) == rules.EVERYWHERE


def test_only_signed_in_readers_see_contacts_in_full(researcher):
    assert rules.may_see_contacts(researcher)
    assert not rules.may_see_contacts(AnonymousUser())
