"""Navigation by role: each person's own entries, on the bar under the header, in Chinese and in
English; a link is shown exactly to those the page behind it lets in."""

import datetime
import re

import pytest
from django.utils import timezone

from portal.accounts.models import Role, Verification
from sharing.bookings.models import Booking
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, mianyang

pytestmark = pytest.mark.django_db

LABELS = {
    "zh-hans": {
        "bookings": "我的预约",
        "orders": "我的委托测试",
        "console": "管理台",
        "dashboard": "协调看板",
        "verifications": "认证审核",
        "members": "机构成员与认证",
        "applications": "创新券申请审批",
        "settlements": "创新券兑现",
        "projects": "课题经费",
        "statements": "费用结算单",
    },
    "en": {
        "bookings": "My bookings",
        "orders": "My test orders",
        "console": "Console",
        "dashboard": "Coordination dashboard",
        "verifications": "Verifications",
        "members": "Members and verification",
        "applications": "Voucher applications",
        "settlements": "Voucher settlement",
        "projects": "Projects",
        "statements": "Statement of charges",
    },
}


@pytest.fixture
def people():
    home = OrganisationFactory(name="西南科技大学", region=mianyang())
    provider = OrganisationFactory(name="西南大学")
    instrument = InstrumentFactory(organisation=provider)
    researcher = UserFactory(username="researcher", organisation=home)
    manager = UserFactory(
        username="manager", organisation=provider, roles=[Role.INSTRUMENT_MANAGER]
    )
    instrument.managers.add(manager)
    organisation_admin = UserFactory(
        username="orgadmin", organisation=home, roles=[Role.ORGANISATION_ADMIN]
    )
    coordinator = UserFactory(username="coordinator", roles=[Role.COORDINATOR])
    # One booking waiting for the manager, one sign-up waiting for the organisation admin.
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=2)
    end = start + datetime.timedelta(hours=1)
    Booking.objects.create(
        instrument=instrument,
        requester=researcher,
        period=(start, end),
        blocked=(start, end),
        status=Booking.Status.REQUESTED,
        purpose="看看样品",
        rate_category=Booking.RateCategory.OTHER_REGION,
    )
    newcomer = UserFactory(username="newcomer", organisation=home, roles=[])
    Verification.objects.create(
        kind=Verification.Kind.MEMBER,
        user=newcomer,
        organisation=home,
        requested_roles=[Role.RESEARCHER],
        email_confirmed_at=timezone.now(),
    )
    return {
        "researcher": researcher,
        "manager": manager,
        "organisation_admin": organisation_admin,
        "coordinator": coordinator,
    }


def role_nav(client, user, language) -> dict[str, str]:
    """The entries of the bar under the header: label (count and all) by address."""
    client.force_login(user)
    client.cookies["django_language"] = language
    html = client.get("/").content.decode()
    nav = re.search(r'<nav class="role-nav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return {
        href: re.sub(r"<[^>]+>", "", text).strip()
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', nav, re.S)
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_researcher_sees_only_their_own_bookings_orders_and_projects(client, people, language):
    words = LABELS[language]
    assert role_nav(client, people["researcher"], language) == {
        "/bookings/": words["bookings"],
        "/orders/": words["orders"],
        "/projects/": words["projects"],
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_manager_sees_the_console_with_what_waits_and_settlement(client, people, language):
    words = LABELS[language]
    entries = role_nav(client, people["manager"], language)
    assert entries["/manage/"] == f"{words['console']} 1"
    assert entries["/vouchers/settlements/"] == words["settlements"]
    assert "/dashboard/" not in entries and "/verifications/" not in entries
    assert "/vouchers/applications/" not in entries


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_organisation_admin_sees_members_and_the_sign_up_waiting(client, people, language):
    words = LABELS[language]
    entries = role_nav(client, people["organisation_admin"], language)
    assert entries["/verifications/"] == f"{words['members']} 1"
    assert entries["/statements/"] == words["statements"]
    assert "/manage/" not in entries and "/dashboard/" not in entries
    assert "/vouchers/applications/" not in entries
    assert "/vouchers/settlements/" not in entries


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_coordinator_sees_the_dashboard_verifications_and_vouchers(client, people, language):
    words = LABELS[language]
    entries = role_nav(client, people["coordinator"], language)
    assert entries["/dashboard/"] == words["dashboard"]
    # The sign-up is in 绵阳, the coordinator in 北碚: nothing of theirs waits.
    assert entries["/verifications/"] == words["verifications"]
    assert entries["/vouchers/applications/"] == words["applications"]
    assert entries["/vouchers/settlements/"] == words["settlements"]
    assert "/manage/" not in entries


def test_someone_not_signed_in_gets_no_role_bar(client, people):
    html = client.get("/").content.decode()
    assert 'class="role-nav"' not in html


def test_every_entry_of_a_role_opens_for_that_role(client, people):
    for who in ("researcher", "manager", "organisation_admin", "coordinator"):
        for href in role_nav(client, people[who], "zh-hans"):
            assert client.get(href).status_code == 200, (who, href)
