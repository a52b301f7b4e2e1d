"""Rows for onboarding: sign-up and e-mail confirmation, verifications, an organisation
administrator's members, recognition agreements, and their pages.

setup(w) adds: a pending sign-up at orgadmin's organisation (w.sign_up, with a proof PDF), a
verified member there (w.member), and a pending organisation-administrator request at a Beibei
organisation (w.admin_request: the Beibei coordinator decides it)."""

from django.core.files.base import ContentFile
from django.utils import timezone

from portal.accounts.models import RecognitionAgreement, Role, User, Verification
from tests.authz.matrix import ALL, LOGIN, ONLY, PAGE, SIGNED_IN, Row
from tests.factories import OrganisationFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def setup(w) -> None:
    orgadmin = w.people["orgadmin"]
    organisation = orgadmin.organisation
    newcomer = UserFactory(
        username="newcomer", organisation=organisation, roles=[], first_name="matrix-newcomer"
    )
    w.sign_up = Verification(
        kind=Verification.Kind.MEMBER,
        user=newcomer,
        organisation=organisation,
        requested_roles=[Role.RESEARCHER],
        staff_number="S001",
        email_confirmed_at=timezone.now(),
        proof_content_type="application/pdf",
    )
    w.sign_up.proof.save("matrix-proof.pdf", ContentFile(PDF), save=False)
    w.sign_up.save()
    w.member = UserFactory(username="member_of_orgadmin", organisation=organisation, roles=[])
    w.member.verified_region = organisation.region
    w.member.verified_at = timezone.now()
    w.member.save()
    hopeful = UserFactory(
        username="hopeful_admin",
        organisation=OrganisationFactory(name="北碚申请机构", region=w.beibei),
        roles=[],
        first_name="matrix-hopeful",
    )
    w.admin_request = Verification.objects.create(
        kind=Verification.Kind.ORGANISATION_ADMIN,
        user=hopeful,
        organisation=hopeful.organisation,
        requested_roles=[Role.RESEARCHER],
        email_confirmed_at=timezone.now(),
    )
    w.agreement = RecognitionAgreement.objects.order_by("pk").first()


def _status(verification_attr):
    return lambda w: Verification.objects.get(pk=getattr(w, verification_attr).pk).status


def _member_state(w):
    member = User.objects.get(pk=w.member.pk)
    pending = Verification.objects.filter(user=member, kind="manager_role").count()
    return member.is_active, pending


def _agreements(w):
    return list(RecognitionAgreement.objects.values_list("pk", "title", "ends_on"))


def _sign_up_body(w, mobile="13812345678"):
    return {
        "username": "matrix_signup",
        "password": "a long enough pass phrase",
        "real_name": "注册测试",
        "mobile": mobile,
        "email": "matrix_signup@example.com",
        "region": w.mianyang.code,
        "role": "researcher",
        "organisation": w.org_mianyang.pk,
    }


DECIDERS = {"orgadmin", "coordinator", "admin"}


def _decide(status: int, deciders: set[str]):
    """Deciders of the request get ``status``; other deciders 404; everyone else 404 too (the
    API answers an unseen request as missing before asking who they are)."""
    return ONLY(deciders, status, else_=404)


ROWS = [
    # --- Sign-up and confirmation: anyone; the answer never depends on who asks.
    Row(
        "api:register",
        "POST",
        lambda w: "/api/auth/register/",
        ALL(202),
        body=_sign_up_body,
        effect=lambda w: User.objects.filter(username="matrix_signup").count(),
    ),
    Row(
        "api:register",
        "POST",
        lambda w: "/api/auth/register/",
        ALL(400),
        label="wrong mobile",
        body=lambda w: _sign_up_body(w, mobile="12345"),
        effect=lambda w: User.objects.count(),
    ),
    Row(
        "api:confirm-email",
        "POST",
        lambda w: "/api/auth/confirm-email/",
        ALL(400),
        body=lambda w: {"token": "not-a-token"},
    ),
    # --- Verifications: the deciders see theirs, nobody else's.
    Row(
        "api:verifications",
        "GET",
        lambda w: "/api/verifications/",
        ONLY(DECIDERS, 200, else_=403),
        label="member sign-up",
        secret=lambda w: "matrix-newcomer",
        seen_by=frozenset({"orgadmin", "admin"}),
    ),
    Row(
        "api:verifications",
        "GET",
        lambda w: "/api/verifications/",
        ONLY(DECIDERS, 200, else_=403),
        label="organisation administrator",
        secret=lambda w: "matrix-hopeful",
        seen_by=frozenset({"coordinator", "admin"}),
    ),
    Row(
        "api:verification-approve",
        "POST",
        lambda w: f"/api/verifications/{w.sign_up.pk}/approve/",
        _decide(200, {"orgadmin", "admin"}),
        effect=_status("sign_up"),
    ),
    Row(
        "api:verification-approve",
        "POST",
        lambda w: f"/api/verifications/{w.admin_request.pk}/approve/",
        _decide(200, {"coordinator", "admin"}),
        label="organisation administrator",
        effect=_status("admin_request"),
    ),
    Row(
        "api:verification-reject",
        "POST",
        lambda w: f"/api/verifications/{w.sign_up.pk}/reject/",
        _decide(200, {"orgadmin", "admin"}),
        body=lambda w: {"reason": "工号与姓名不符"},
        effect=_status("sign_up"),
    ),
    Row(
        "api:verification-proof",
        "GET",
        lambda w: f"/api/verifications/{w.sign_up.pk}/proof/",
        _decide(200, {"orgadmin", "admin"}),
    ),
    # --- Members: the organisation administrator of their own organisation.
    Row(
        "api:members",
        "GET",
        lambda w: "/api/members/",
        ONLY({"orgadmin"}, 200, else_=403),
        secret=lambda w: "member_of_orgadmin",
        seen_by=frozenset({"orgadmin"}),
    ),
    Row(
        "api:member-deactivate",
        "POST",
        lambda w: f"/api/members/{w.member.pk}/deactivate/",
        ONLY({"orgadmin", "admin"}, 200, else_=404),
        effect=_member_state,
    ),
    Row(
        "api:member-manager-role",
        "POST",
        lambda w: f"/api/members/{w.member.pk}/manager-role/",
        ONLY({"orgadmin", "admin"}, 201, else_=404),
        effect=_member_state,
    ),
    # --- Recognition agreements: read by everyone signed in, kept by coordinators.
    Row("api:agreements", "GET", lambda w: "/api/recognition-agreements/", SIGNED_IN(200)),
    Row(
        "api:agreements",
        "POST",
        lambda w: "/api/recognition-agreements/",
        ONLY({"coordinator", "admin"}, 201, else_=403),
        body=lambda w: {
            "title": "矩阵测试协议",
            "region_a": w.mianyang.code,
            "region_b": w.beibei.code,
            "starts_on": "2026-01-01",
            "scopes": ["vouchers"],
        },
        effect=_agreements,
    ),
    Row(
        "api:agreement-detail",
        "GET",
        lambda w: f"/api/recognition-agreements/{w.agreement.pk}/",
        SIGNED_IN(200),
    ),
    Row(
        "api:agreement-detail",
        "PATCH",
        lambda w: f"/api/recognition-agreements/{w.agreement.pk}/",
        ONLY({"coordinator", "admin"}, 200, else_=403),
        body=lambda w: {"ends_on": "2099-12-31"},
        effect=_agreements,
    ),
    # --- Pages.
    Row("frontend:register", "GET", lambda w: "/register/", ALL(200)),
    Row(
        "frontend:register-confirm",
        "GET",
        lambda w: "/register/confirm/not-a-token/",
        ALL(200),
    ),
    Row("frontend:me", "GET", lambda w: "/me/", PAGE(200)),
    Row(
        "frontend:verifications",
        "GET",
        lambda w: "/verifications/",
        ONLY(DECIDERS, 200, else_=403, anon=LOGIN),
        secret=lambda w: "matrix-newcomer",
        seen_by=frozenset({"orgadmin", "admin"}),
    ),
    Row(
        "frontend:verification-proof",
        "GET",
        lambda w: f"/verifications/{w.sign_up.pk}/proof/",
        ONLY({"orgadmin", "admin"}, 200, else_=404, anon=LOGIN),
    ),
    Row(
        "frontend:verification-decide",
        "POST",
        lambda w: f"/verifications/{w.sign_up.pk}/approve/",
        ONLY({"orgadmin", "admin"}, 302, else_=403, anon=LOGIN) | {"coordinator": 404},
        fmt="multipart",
        body=lambda w: {},
    ),
    Row(
        "frontend:member-action",
        "POST",
        lambda w: f"/members/{w.member.pk}/deactivate/",
        ONLY({"orgadmin", "admin"}, 302, else_=404, anon=LOGIN),
        fmt="multipart",
        body=lambda w: {},
    ),
    Row("frontend:recognition", "GET", lambda w: "/recognition/", PAGE(200)),
    Row(
        "frontend:recognition-edit",
        "GET",
        lambda w: f"/recognition/{w.agreement.pk}/",
        PAGE(200),
    ),
]
