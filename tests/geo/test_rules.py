"""geo's rules: who may see the coordinators' dashboard, as a refusal with its message."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from frontend.context_processors import can
from geo.rules import may_see_dashboard
from portal.accounts.models import Role
from portal.errors import Forbidden
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "roles, superuser",
    [([Role.COORDINATOR], False), ([Role.ADMINISTRATOR], False), ([], True)],
    ids=["coordinator", "administrator", "superuser"],
)
def test_coordinators_and_administrators_may_see_the_dashboard(roles, superuser):
    user = UserFactory(roles=roles, is_superuser=superuser)
    assert may_see_dashboard(user) is None


def test_a_researcher_is_refused_with_the_reason():
    manager = UserFactory(roles=[Role.RESEARCHER, Role.INSTRUMENT_MANAGER])
    with translation.override("zh-hans"):
        refusal = may_see_dashboard(manager)
    assert isinstance(refusal, Forbidden)
    assert refusal.rule == "may_see_dashboard"
    assert "协调看板" in refusal.message


def test_an_anonymous_visitor_is_refused():
    assert isinstance(may_see_dashboard(AnonymousUser()), Forbidden)


def test_templates_ask_the_same_rule():
    request = RequestFactory().get("/")
    request.user = UserFactory(roles=[Role.COORDINATOR])
    assert can(request)["can"].see_dashboard is True
    request.user = UserFactory(roles=[Role.RESEARCHER])
    assert can(request)["can"].see_dashboard is False
    del request.user  # a page rendered before the authentication middleware
    assert can(request)["can"].see_dashboard is False
