"""The project pages with a plain client: a member registers a project they lead, the
organisation administrator sets the threshold and deactivates a project, the investigator
rejects a charge on the approvals page (booking rejected, voucher released), and the booking and
order forms offer the active projects of one's organisation only."""

from decimal import Decimal

import pytest
from django.test import Client

from portal.accounts.models import Role
from sharing.bookings.models import Booking, ChargeApproval, ChargeThreshold, Project, Voucher
from sharing.bookings.services import booking_create
from tests.bookings import person
from tests.orders import priced_instrument
from tests.projects import People, slot, threshold, voucher_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return People()


def client_of(user, language="zh-hans"):
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_member_registers_a_project_they_lead(people, language):
    client = client_of(people.member, language)
    page = client.get("/projects/")
    assert page.status_code == 200 and "KT-2026-01" in page.content.decode()
    assert 'name="threshold-amount"' not in page.content.decode()
    answer = client.post(
        "/projects/",
        {
            "action": "create",
            "new-name": "表面改性",
            "new-number": "KT-9",
            "new-funding_source": "own",
        },
    )
    assert answer.status_code == 302
    assert Project.objects.get(number="KT-9").investigator == people.member


def test_the_organisation_administrator_keeps_projects_and_the_threshold(people):
    client = client_of(people.orgadmin)
    client.post("/projects/", {"action": "threshold", "threshold-amount": "800.00"})
    assert ChargeThreshold.objects.get(organisation=people.university).amount == Decimal("800")
    client.post("/projects/", {"action": "deactivate", "project": people.project.pk})
    people.project.refresh_from_db()
    assert not people.project.active
    member_page = client_of(people.member).get("/projects/").content.decode()
    assert "KT-2026-01" not in member_page
    assert (
        client_of(people.member)
        .post("/projects/", {"action": "threshold", "threshold-amount": "1"})
        .status_code
        == 302
    )
    assert ChargeThreshold.objects.get(organisation=people.university).amount == Decimal("800")


def test_a_person_without_an_organisation_has_no_project_page(people):
    people.outsider.organisation = None
    people.outsider.save(update_fields=["organisation"])
    assert client_of(people.outsider).get("/projects/").status_code == 403


def test_the_investigator_rejects_a_charge_on_the_page(people):
    threshold(people.university, "100.00")
    voucher = voucher_for(people)
    start, end = slot(2)
    booking = booking_create(
        requester=people.member,
        instrument=people.instrument,
        start=start,
        end=end,
        purpose="形貌观察",
        project=people.project,
        voucher=voucher,
    )
    approval = ChargeApproval.objects.get(booking=booking)
    home = client_of(people.pi).get("/projects/").content.decode()
    assert 'class="approvals-link"' in home and 'class="nav-count"' in home
    page = client_of(people.pi).get("/projects/approvals/").content.decode()
    assert f'data-approval="{approval.pk}"' in page
    outsider = client_of(people.outsider).post(
        "/projects/approvals/", {"action": "approve", "approval": approval.pk}
    )
    assert outsider.status_code == 404
    client_of(people.pi).post(
        "/projects/approvals/", {"action": "reject", "approval": approval.pk, "reason": "预算不足"}
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REJECTED
    assert Voucher.objects.get(pk=voucher.pk).reserved == 0
    mine = client_of(people.member).get("/projects/approvals/").content.decode()
    assert "预算不足" in mine


def test_the_forms_offer_my_organisations_active_projects(people):
    inactive = Project.objects.create(
        organisation=people.university,
        name="旧课题",
        number="KT-OLD",
        funding_source="own",
        investigator=people.pi,
        active=False,
    )
    week = client_of(people.member).get(f"/instruments/{people.instrument.pk}/book/")
    text = week.content.decode()
    assert f'<option value="{people.project.pk}">' in text
    assert f'<option value="{inactive.pk}">' not in text
    assert (
        'id="id_project"'
        not in client_of(people.outsider)
        .get(f"/instruments/{people.instrument.pk}/book/")
        .content.decode()
    )
    instrument = priced_instrument(managers=[people.manager])
    order_page = client_of(people.member).get(f"/instruments/{instrument.pk}/order/")
    assert "KT-2026-01" in order_page.content.decode()
    assert "KT-OLD" not in order_page.content.decode()


def test_a_coordinator_chooses_an_organisation_of_their_region(people):
    coordinator = person("coordinator", region=people.mianyang, roles=[Role.COORDINATOR])
    client = client_of(coordinator)
    page = client.get(f"/statements/?organisation={people.university.pk}")
    assert page.status_code == 200
    assert f'<option value="{people.university.pk}" selected>' in page.content.decode()
    beibei = person("beibei_coordinator", region=people.beibei, roles=[Role.COORDINATOR])
    answer = client_of(beibei).get(f"/statements/?organisation={people.university.pk}")
    assert answer.status_code == 403
