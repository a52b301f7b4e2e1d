"""Sign-up, e-mail confirmation, verification by the home organisation, recognition agreements.

The people: ``orgadmin`` administers 西南科技大学 (Mianyang), ``other_orgadmin`` another
Mianyang university, ``coordinator`` works in Mianyang; a newcomer signs up."""

import datetime
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.accounts.models import (
    Organisation,
    RecognitionAgreement,
    RecognitionScope,
    Role,
    User,
    Verification,
)
from portal.accounts.selectors import user_is_recognised_in
from portal.accounts.services import regions_recognise_each_other, user_verify
from portal.audit.models import AuditEvent
from sharing.bookings import rules as booking_rules
from tests.bookings import instrument_with_rules
from tests.factories import OrganisationFactory, UserFactory, beibei, mianyang

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough pass phrase"


@pytest.fixture
def swust():
    return OrganisationFactory(name="西南科技大学", region=mianyang())


@pytest.fixture
def orgadmin(swust):
    user = UserFactory(username="orgadmin", organisation=swust, roles=[Role.ORGANISATION_ADMIN])
    return user_verify(user=user, region=swust.region)


@pytest.fixture
def coordinator(swust):
    user = UserFactory(
        username="coord",
        organisation=OrganisationFactory(region=swust.region),
        roles=[Role.COORDINATOR],
    )
    return user_verify(user=user, region=swust.region)


def body(swust, **changes):
    data = {
        "username": "newcomer",
        "password": PASSWORD,
        "real_name": "张三",
        "mobile": "13812345678",
        "email": "newcomer@example.com",
        "region": swust.region.code,
        "role": "researcher",
        "organisation": swust.pk,
        "staff_number": "2026001",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def register(api, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return api.post("/api/auth/register/", data, format="multipart")


def link_token(message) -> str:
    return re.search(r"/register/confirm/([^/\s]+)/", message.body).group(1)


@pytest.fixture
def signed_up(api, swust, django_capture_on_commit_callbacks):
    response = register(api, body(swust), django_capture_on_commit_callbacks)
    assert response.status_code == 202
    return User.objects.get(username="newcomer")


# --- Sign-up ----------------------------------------------------------------------------------


def test_it_signs_up_an_inactive_account_and_mails_a_confirmation_link(signed_up, swust):
    assert not signed_up.is_active and signed_up.roles == []
    assert signed_up.phone == "13812345678" and signed_up.first_name == "张三"
    verification = Verification.objects.get(user=signed_up)
    assert verification.kind == "member" and verification.requested_roles == ["researcher"]
    assert len(mail.outbox) == 1 and "/register/confirm/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="account.signed_up").exists()


@pytest.mark.parametrize("username", ["NEWCOMER", "ｎｅｗｃｏｍｅｒ", "Ｎewcomer"])
def test_it_refuses_a_username_differing_only_in_case_or_width(
    api, swust, signed_up, username, django_capture_on_commit_callbacks
):
    data = body(swust, username=username, email="another@example.com")
    response = register(api, data, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]
    assert list(User.objects.values_list("username", flat=True)) == ["newcomer"]


@pytest.mark.parametrize(
    "email", ["newcomer@example.com", "NEWCOMER@Example.com", "ｎｅｗｃｏｍｅｒ@example.com"]
)
def test_a_known_email_answers_the_same_creates_nothing_and_mails_its_owner(
    api, swust, signed_up, email, django_capture_on_commit_callbacks
):
    first = mail.outbox[0].body
    response = register(
        api, body(swust, username="someoneelse", email=email), django_capture_on_commit_callbacks
    )
    assert response.status_code == 202
    assert not User.objects.filter(username="someoneelse").exists()
    assert Verification.objects.count() == 1
    # The owner never confirmed: they get a fresh link, to their own address.
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["newcomer@example.com"]
    assert "/register/confirm/" in mail.outbox[1].body and first


def test_a_known_confirmed_email_mails_the_owner_a_note_not_a_link(
    api, swust, django_capture_on_commit_callbacks
):
    UserFactory(username="old", email="old@example.com", organisation=swust)
    response = register(
        api, body(swust, email="OLD@example.com"), django_capture_on_commit_callbacks
    )
    assert response.status_code == 202
    assert mail.outbox[0].to == ["old@example.com"]
    assert "/register/confirm/" not in mail.outbox[0].body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mobile": "12345678901"}, "mobile"),
        ({"mobile": "1381234567"}, "mobile"),
        ({"email": "not-an-address"}, "email"),
        ({"role": "administrator"}, "role"),
        ({"password": "123"}, "password"),
        (
            {
                "organisation": None,
                "new_organisation_name": "新机构",
                "new_organisation_uscc": "91500109MA61B3C7WX",
                "new_organisation_kind": "firm",
            },
            "new_organisation_uscc",
        ),
        ({"organisation": None}, "organisation"),
    ],
)
def test_it_refuses_bad_input_with_a_message_and_creates_nothing(
    api, swust, changes, field, django_capture_on_commit_callbacks
):
    response = register(api, body(swust, **changes), django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not User.objects.filter(username="newcomer").exists()
    assert Organisation.objects.count() == 1
    assert mail.outbox == []


def test_a_proof_must_be_a_pdf_jpeg_or_png_by_its_bytes(
    api, swust, django_capture_on_commit_callbacks
):
    fake = SimpleUploadedFile("proof.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = register(api, body(swust, proof=fake), django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "proof" in response.json()["error"]["fields"]
    assert not User.objects.filter(username="newcomer").exists()


def test_a_new_organisation_with_a_valid_credit_code_waits_for_the_coordinator(
    api, swust, coordinator, django_capture_on_commit_callbacks
):
    from portal.accounts import uscc

    code = uscc.make("91510700MA62X1Y3K")
    data = body(
        swust,
        organisation=None,
        new_organisation_name="绵阳新材料公司",
        new_organisation_uscc=code.lower(),
        new_organisation_kind="firm",
    )
    assert register(api, data, django_capture_on_commit_callbacks).status_code == 202
    org = Organisation.objects.get(uscc=code)
    assert org.awaiting_verification
    verification = Verification.objects.get(organisation=org)
    assert verification.kind == "organisation"
    verification.email_confirmed_at = datetime.datetime.now(datetime.UTC)
    verification.save()
    api.force_authenticate(coordinator)
    assert api.post(f"/api/verifications/{verification.pk}/approve/").status_code == 200
    org.refresh_from_db()
    proposer = User.objects.get(username="newcomer")
    assert not org.awaiting_verification
    assert Role.ORGANISATION_ADMIN in proposer.roles and proposer.verified_region_id


# --- Confirmation -----------------------------------------------------------------------------


def test_the_link_confirms_once_and_a_second_use_says_so(api, signed_up):
    token = link_token(mail.outbox[0])
    assert api.post("/api/auth/confirm-email/", {"token": token}).status_code == 200
    signed_up.refresh_from_db()
    assert signed_up.is_active
    again = api.post("/api/auth/confirm-email/", {"token": token})
    assert again.status_code == 400 and again.json()["error"]["rule"] == "link_used"


def test_an_expired_link_is_refused_with_what_to_do(api, signed_up, settings):
    settings.EMAIL_CONFIRM_MAX_AGE = datetime.timedelta(seconds=-1)
    response = api.post("/api/auth/confirm-email/", {"token": link_token(mail.outbox[0])})
    assert response.status_code == 400 and response.json()["error"]["rule"] == "link_expired"
    signed_up.refresh_from_db()
    assert not signed_up.is_active


def test_the_confirmation_page_confirms_on_post_not_on_get(client, signed_up):
    url = f"/register/confirm/{link_token(mail.outbox[0])}/"
    assert client.get(url).status_code == 200
    signed_up.refresh_from_db()
    assert not signed_up.is_active
    assert client.post(url).status_code == 302
    signed_up.refresh_from_db()
    assert signed_up.is_active
    used = client.post(url)
    assert used.status_code == 400 and "已经使用过" in used.content.decode()


# --- Verification -----------------------------------------------------------------------------


@pytest.fixture
def confirmed(api, signed_up):
    api.post("/api/auth/confirm-email/", {"token": link_token(mail.outbox[0])})
    signed_up.refresh_from_db()
    return signed_up


def test_an_unverified_account_cannot_book_and_is_told_why(confirmed):
    regions_recognise_each_other(regions=[beibei(), mianyang()])
    instrument = instrument_with_rules()
    refusal = booking_rules.may_use(user=confirmed, instrument=instrument)
    assert refusal.rule == "unverified" and "机构管理员" in refusal.message


def test_the_booking_page_says_why_it_refuses_before_verification(client, confirmed):
    instrument = instrument_with_rules()
    client.force_login(confirmed)
    page = client.get(f"/instruments/{instrument.pk}/book/").content.decode()
    assert "尚待所属机构的机构管理员认证" in page


def test_the_organisation_administrator_approves_and_the_member_is_verified(
    api, confirmed, orgadmin
):
    verification = Verification.objects.get(user=confirmed)
    api.force_authenticate(orgadmin)
    listed = api.get("/api/verifications/").json()["results"]
    assert [v["username"] for v in listed] == ["newcomer"]
    response = api.post(f"/api/verifications/{verification.pk}/approve/")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    confirmed.refresh_from_db()
    assert confirmed.roles == ["researcher"] and confirmed.verified_region == orgadmin.region
    assert AuditEvent.objects.filter(action="verification.approved").exists()
    assert api.post(f"/api/verifications/{verification.pk}/approve/").status_code == 400


def test_an_organisation_administrator_of_another_organisation_cannot_verify(api, confirmed):
    stranger = UserFactory(
        username="other_orgadmin",
        organisation=OrganisationFactory(region=mianyang()),
        roles=[Role.ORGANISATION_ADMIN],
    )
    verification = Verification.objects.get(user=confirmed)
    api.force_authenticate(stranger)
    assert api.get("/api/verifications/").json()["results"] == []
    assert api.post(f"/api/verifications/{verification.pk}/approve/").status_code == 404
    verification.refresh_from_db()
    confirmed.refresh_from_db()
    assert verification.status == "pending" and confirmed.verified_region_id is None
    assert not AuditEvent.objects.filter(action="verification.approved").exists()


def test_a_rejection_needs_a_reason_and_is_shown_to_the_person(api, confirmed, orgadmin):
    verification = Verification.objects.get(user=confirmed)
    api.force_authenticate(orgadmin)
    assert (
        api.post(f"/api/verifications/{verification.pk}/reject/", {"reason": "  "}).status_code
        == 400
    )
    verification.refresh_from_db()
    assert verification.status == "pending"
    assert (
        api.post(
            f"/api/verifications/{verification.pk}/reject/", {"reason": "查无此人"}
        ).status_code
        == 200
    )
    api.force_authenticate(confirmed)
    assert "查无此人" in api.get("/api/me/").json()["verification"]


def test_the_organisation_administrator_deactivates_a_leaver_and_ends_their_token(
    api, orgadmin, swust
):
    from rest_framework.authtoken.models import Token

    from portal.accounts.services import api_token_issue

    leaver = UserFactory(username="leaver", organisation=swust)
    api_token_issue(user=leaver)
    api.force_authenticate(orgadmin)
    assert api.post(f"/api/members/{leaver.pk}/deactivate/").status_code == 200
    leaver.refresh_from_db()
    assert not leaver.is_active and not Token.objects.filter(user=leaver).exists()


def test_the_manager_role_is_asked_by_the_organisation_and_granted_by_the_coordinator(
    api, orgadmin, coordinator, swust
):
    member = user_verify(user=UserFactory(username="m", organisation=swust), region=swust.region)
    api.force_authenticate(orgadmin)
    asked = api.post(f"/api/members/{member.pk}/manager-role/")
    assert asked.status_code == 201
    assert api.post(f"/api/verifications/{asked.json()['id']}/approve/").status_code == 404
    api.force_authenticate(coordinator)
    assert api.post(f"/api/verifications/{asked.json()['id']}/approve/").status_code == 200
    member.refresh_from_db()
    assert Role.INSTRUMENT_MANAGER in member.roles


# --- Recognition agreements -------------------------------------------------------------------


def test_recognition_follows_the_agreement_dates_and_scope():
    home, other = mianyang(), beibei()
    person = user_verify(
        user=UserFactory(organisation=OrganisationFactory(region=home)), region=home
    )
    today = datetime.date.today()
    agreement = RecognitionAgreement.objects.create(
        region_a=home,
        region_b=other,
        title="测试协议",
        starts_on=today + datetime.timedelta(days=1),
        scopes=[RecognitionScope.INSTRUMENT_BOOKING],
    )
    assert not user_is_recognised_in(user=person, region=other)  # not yet in force
    agreement.starts_on = today - datetime.timedelta(days=10)
    agreement.save()
    assert user_is_recognised_in(user=person, region=other)
    assert not user_is_recognised_in(
        user=person, region=other, scope=RecognitionScope.TECHNOLOGY_EXCHANGE
    )
    agreement.ends_on = today - datetime.timedelta(days=1)
    agreement.save()
    assert not user_is_recognised_in(user=person, region=other)  # ended


def test_a_coordinator_keeps_agreements_and_me_shows_where_i_am_recognised(api, coordinator):
    my, bb = mianyang(), beibei()
    researcher = UserFactory(username="r", organisation=OrganisationFactory(region=my))
    api.force_authenticate(researcher)
    payload = {
        "title": "绵碚身份互认协议",
        "region_a": my.code,
        "region_b": bb.code,
        "starts_on": "2024-01-01",
        "scopes": ["instrument_booking", "vouchers"],
    }
    assert api.post("/api/recognition-agreements/", payload, format="json").status_code == 403
    api.force_authenticate(coordinator)
    created = api.post("/api/recognition-agreements/", payload, format="json")
    assert created.status_code == 201
    bad = api.patch(
        f"/api/recognition-agreements/{created.json()['id']}/",
        {"ends_on": "2023-01-01"},
        format="json",
    )
    assert bad.status_code == 400 and "ends_on" in bad.json()["error"]["fields"]
    assert AuditEvent.objects.filter(action="recognition.created").count() == 1
    user_verify(user=researcher, region=my)
    api.force_authenticate(researcher)
    me = api.get("/api/me/").json()
    assert me["verified"] and me["home_region"] == my.code
    assert [(p["region"], (p["agreement"] or {}).get("title")) for p in me["recognition"]] == [
        (my.code, None),
        (bb.code, "绵碚身份互认协议"),
    ]


def test_the_profile_page_names_the_agreement(client):
    my, bb = mianyang(), beibei()
    regions_recognise_each_other(regions=[my, bb])
    person = user_verify(user=UserFactory(organisation=OrganisationFactory(region=my)), region=my)
    client.force_login(person)
    page = client.get("/me/").content.decode()
    assert "身份互认协议" in page and bb.name in page


def test_the_register_page_keeps_the_form_and_names_the_mistake(client, swust):
    data = body(swust, mobile="123")
    response = client.post("/register/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "11 位中国大陆手机号码" in page and 'value="newcomer"' in page
    assert not User.objects.filter(username="newcomer").exists()
