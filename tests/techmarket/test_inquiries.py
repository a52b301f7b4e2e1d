"""Inquiries from interest to a registered contract, assigned to brokers by field then load."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.errors import Conflict, Forbidden, RuleBroken
from portal.notifications.models import Notification
from sharing.techmarket import selectors, services
from sharing.techmarket.models import Inquiry, TechContract
from tests.factories import UserFactory, mianyang
from tests.techmarket.factories import FirmUserFactory, TechListingFactory, TechNeedFactory

pytestmark = pytest.mark.django_db
St = Inquiry.Stage


def _negotiating(broker, inquiry):
    for stage in (St.CONTACTED, St.NDA_SIGNED, St.NEGOTIATING):
        inquiry = services.inquiry_advance(user=broker, inquiry=inquiry, to=stage)
    return inquiry


def test_a_firm_inquiry_goes_to_the_broker_of_its_field(published, firm, broker, other_broker):
    inquiry = services.inquiry_create(user=firm, listing=published, nda_accepted=True)
    assert inquiry.broker == broker
    assert inquiry.stage == St.NEW
    assert inquiry.nda_accepted_at is not None
    told = set(Notification.objects.filter(kind="tech_inquiry").values_list("user", flat=True))
    assert told == {published.created_by_id, firm.pk, broker.pk}


def test_assignment_goes_by_load_within_a_field(owner, broker, other_broker):
    second = UserFactory(username="second_broker", roles=["broker"])
    from sharing.techmarket.models import BrokerProfile

    BrokerProfile.objects.create(user=second, fields=["materials"])
    assigned = []
    for _n in range(4):
        listing = TechListingFactory(created_by=owner, hightech_field="materials")
        assigned.append(services.inquiry_create(user=FirmUserFactory(), listing=listing).broker)
    assert sorted(b.username for b in assigned) == [
        "broker",
        "broker",
        "second_broker",
        "second_broker",
    ]


def test_a_field_nobody_covers_goes_to_the_least_loaded_broker(owner, firm, broker, other_broker):
    listing = TechListingFactory(created_by=owner, hightech_field="aerospace")
    inquiry = services.inquiry_create(user=firm, listing=listing)
    assert inquiry.broker == broker  # both carry 0; the longer-registered one


def test_a_second_inquiry_is_the_same_inquiry(published, firm, broker):
    first = services.inquiry_create(user=firm, listing=published)
    again = services.inquiry_create(user=firm, listing=published, nda_accepted=True)
    assert again.pk == first.pk
    assert Inquiry.objects.count() == 1
    assert again.nda_accepted_at is not None


def test_it_carries_a_deal_to_a_registered_contract(published, firm, broker):
    inquiry = _negotiating(broker, services.inquiry_create(user=firm, listing=published))
    contract = services.contract_record(
        user=broker,
        inquiry=inquiry,
        contract_type=TechContract.Type.TRANSFER,
        amount=Decimal("120.00"),
        signed_on=timezone.localdate(),
    )
    assert (contract.seller, contract.buyer) == (published.organisation, firm.organisation)
    services.contract_register(
        user=broker,
        inquiry=inquiry,
        registration_number="5101072026000123",
        registered_on=timezone.localdate(),
    )
    inquiry.refresh_from_db()
    published.refresh_from_db()
    assert inquiry.stage == St.CONTRACT_REGISTERED
    assert published.status == "transferred"
    stages = list(inquiry.transitions.values_list("to_stage", flat=True))
    assert stages == [
        "new",
        "contacted",
        "nda_signed",
        "negotiating",
        "contract_signed",
        "contract_registered",
    ]
    rows = {r["region"]: r for r in selectors.contract_turnover_by_region()}
    assert rows["mianyang"]["output_amount"] == Decimal("120.00")
    assert rows["beibei"]["absorbed_amount"] == Decimal("120.00")


def test_only_registered_contracts_count(published, firm, broker):
    inquiry = _negotiating(broker, services.inquiry_create(user=firm, listing=published))
    services.contract_record(
        user=broker,
        inquiry=inquiry,
        contract_type="license",
        amount=Decimal("50"),
        signed_on=timezone.localdate(),
    )
    assert selectors.contract_turnover_by_region() == []


def test_it_refuses_skipping_stages(published, firm, broker):
    inquiry = services.inquiry_create(user=firm, listing=published)
    with pytest.raises(Conflict) as caught:
        services.inquiry_advance(user=broker, inquiry=inquiry, to=St.NEGOTIATING)
    assert caught.value.rule == "wrong_state"
    with pytest.raises(Conflict):
        services.contract_record(
            user=broker,
            inquiry=inquiry,
            contract_type="license",
            amount=Decimal("1"),
            signed_on=timezone.localdate(),
        )
    with pytest.raises(Conflict):
        services.contract_register(
            user=broker,
            inquiry=inquiry,
            registration_number="1",
            registered_on=timezone.localdate(),
        )


def test_only_the_assigned_broker_carries_it(published, firm, broker, other_broker):
    inquiry = services.inquiry_create(user=firm, listing=published)
    for wrong in (other_broker, firm, published.created_by):
        with pytest.raises(Forbidden):
            services.inquiry_advance(user=wrong, inquiry=inquiry, to=St.CONTACTED)


def test_closing_needs_a_structured_reason(published, firm, broker):
    inquiry = services.inquiry_create(user=firm, listing=published)
    with pytest.raises(RuleBroken):
        services.inquiry_close(user=broker, inquiry=inquiry, reason="bored")
    with pytest.raises(RuleBroken):
        services.inquiry_close(user=broker, inquiry=inquiry, reason="other", note=" ")
    closed = services.inquiry_close(user=firm, inquiry=inquiry, reason="price_gap")
    assert (closed.stage, closed.close_reason) == ("closed", "price_gap")
    with pytest.raises(Conflict):
        services.inquiry_close(user=firm, inquiry=inquiry, reason="price_gap")
    # Closed, so the firm may ask again.
    assert services.inquiry_create(user=firm, listing=published).pk != inquiry.pk


def test_a_firm_cannot_inquire_about_a_draft_or_its_own(owner, firm, broker):
    draft = TechListingFactory(created_by=owner, status="draft")
    with pytest.raises(Conflict):
        services.inquiry_create(user=firm, listing=draft)
    own = TechListingFactory(created_by=owner)
    owner_firm = UserFactory(roles=["firm"], organisation=owner.organisation)
    with pytest.raises(RuleBroken):
        services.inquiry_create(user=owner_firm, listing=own)
    with pytest.raises(Forbidden):
        services.inquiry_create(user=owner, listing=own)


def test_a_broker_links_a_need_to_a_listing(published, broker):
    need = TechNeedFactory()
    inquiry = services.inquiry_link(user=broker, listing=published, need=need)
    assert (inquiry.firm, inquiry.broker, inquiry.need) == (need.organisation, broker, need)
    with pytest.raises(Conflict):
        services.inquiry_link(user=broker, listing=published, need=need)


def test_contract_dates_are_checked(published, firm, broker):
    inquiry = _negotiating(broker, services.inquiry_create(user=firm, listing=published))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(RuleBroken):
        services.contract_record(
            user=broker, inquiry=inquiry, contract_type="license", amount=1, signed_on=tomorrow
        )


def test_inquiries_are_visible_to_parties_only(api, published, firm, broker, other_broker):
    inquiry = services.inquiry_create(user=firm, listing=published)
    url = f"/api/tech/inquiries/{inquiry.pk}/"
    for person, code in (
        (firm, 200),
        (broker, 200),
        (published.created_by, 200),
        (other_broker, 404),
        (FirmUserFactory(), 404),
        (UserFactory(organisation__region=mianyang()), 404),
    ):
        api.force_authenticate(person)
        assert api.get(url).status_code == code, person.username
    api.force_authenticate(None)
    assert api.get(url).status_code in (401, 403)


def test_the_api_carries_a_deal(api, published, firm, broker):
    api.force_authenticate(firm)
    inquiry = api.post("/api/tech/inquiries/", {"listing": published.pk}, format="json").json()
    api.force_authenticate(broker)
    base = f"/api/tech/inquiries/{inquiry['id']}"
    wrong = api.post(f"{base}/advance/", {"to": "negotiating"}, format="json")
    assert wrong.status_code == 409
    assert wrong.json()["error"]["rule"] == "wrong_state"
    for stage in ("contacted", "nda_signed", "negotiating"):
        assert api.post(f"{base}/advance/", {"to": stage}, format="json").status_code == 200
    today = timezone.localdate().isoformat()
    response = api.post(
        f"{base}/contract/",
        {"contract_type": "development", "amount": "88.50", "signed_on": today},
        format="json",
    )
    assert response.status_code == 200, response.content
    response = api.post(
        f"{base}/register/",
        {"registration_number": "5001092026000001", "registered_on": today},
        format="json",
    )
    assert response.json()["stage"] == "contract_registered"
    assert response.json()["contract"]["amount"] == "88.50"
    register = api.get("/api/tech/contracts/").json()["results"]
    assert [row["registration_number"] for row in register] == ["5001092026000001"]
    api.force_authenticate(firm)
    turnover = api.get("/api/tech/indicators/contracts/").json()
    assert {row["region"] for row in turnover} == {"mianyang", "beibei"}
