"""The API of onboarding: sign-up and e-mail confirmation, verifications and their deciders,
an organisation administrator's members, recognition agreements. Thin: the services in
onboarding.py, verifications.py and services.py decide, rules.py says who may."""

import contextlib

from django.http import FileResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import onboarding, rules, verifications
from portal.accounts.models import (
    Organisation,
    RecognitionAgreement,
    RecognitionScope,
    Region,
    User,
    Verification,
)
from portal.accounts.services import recognition_agreement_save
from portal.api.pagination import numbered_page, page_of
from portal.api.views import ActionApi, JsonForErrors
from portal.errors import Forbidden, NotFound, require
from portal.text import ControlCharacterValidator
from portal.throttles import AnonThrottle, RegisterThrottle

ONE_LINE = [ControlCharacterValidator(multiline=False)]


def sign_up_answer() -> str:
    return _(
        "如果信息无误，我们已向您填写的邮箱发送了确认邮件，请在邮件中点击链接完成确认。"
        "没有收到？请检查垃圾邮件，或稍后再试。"
    )


class SignUpSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, write_only=True, style={"input_type": "password"}
    )
    real_name = serializers.CharField(max_length=150, validators=ONE_LINE)
    mobile = serializers.CharField(max_length=32, validators=ONE_LINE)
    email = serializers.CharField(max_length=254, validators=ONE_LINE)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    role = serializers.ChoiceField(choices=list(onboarding.SIGN_UP_ROLES))
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(awaiting_verification=False),
        required=False,
        allow_null=True,
        help_text="An organisation in the portal; or leave it out and propose a new one.",
    )
    new_organisation_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    new_organisation_uscc = serializers.CharField(max_length=32, required=False, allow_blank=True)
    new_organisation_kind = serializers.ChoiceField(
        choices=Organisation.Kind.choices, required=False, allow_blank=True
    )
    organisation_admin = serializers.BooleanField(
        required=False, default=False, help_text="Ask to be the organisation's administrator."
    )
    staff_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    proof = serializers.FileField(required=False, allow_null=True, help_text="PDF, JPEG or PNG.")


def sign_up_from(data: dict) -> onboarding.SignUp:
    new = None
    if not data.get("organisation") and (
        data.get("new_organisation_name") or data.get("new_organisation_uscc")
    ):
        new = onboarding.NewOrganisation(
            name=data.get("new_organisation_name", ""),
            uscc=data.get("new_organisation_uscc", ""),
            kind=data.get("new_organisation_kind", ""),
        )
    return onboarding.SignUp(
        username=data["username"],
        password=data["password"],
        real_name=data["real_name"],
        mobile=data["mobile"],
        email=data["email"],
        region=data["region"],
        role=data["role"],
        organisation=data.get("organisation"),
        new_organisation=new,
        organisation_admin=bool(data.get("organisation_admin")),
        staff_number=data.get("staff_number", ""),
        proof=data.get("proof"),
    )


def links(request) -> dict[str, str]:
    """The confirmation link (TOKEN where the token goes) and the password reset page."""
    confirm = request.build_absolute_uri(reverse("frontend:register-confirm", args=["TOKEN"]))
    reset = request.build_absolute_uri(reverse("frontend:login"))
    with contextlib.suppress(NoReverseMatch):  # the reset page comes with another branch
        reset = request.build_absolute_uri(reverse("frontend:password-reset"))
    return {"confirm_url": confirm, "reset_url": reset}


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RegisterApi(APIView):
    """Anyone may sign up; throttled per address. The answer is the same whether or not the
    e-mail address is known (its owner is mailed instead); a taken username is named, as a
    form must."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [AnonThrottle, RegisterThrottle]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": SignUpSerializer, "multipart/form-data": SignUpSerializer},
        responses={202: DetailSerializer},
        summary="Sign up",
    )
    def post(self, request):
        serializer = SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        onboarding.registration_submit(
            sign_up=sign_up_from(serializer.validated_data), request=request, **links(request)
        )
        return Response({"detail": sign_up_answer()}, status=status.HTTP_202_ACCEPTED)


class ConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class ConfirmEmailApi(APIView):
    """The token from the confirmation e-mail; once, before it expires."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [AnonThrottle, RegisterThrottle]

    @extend_schema(
        request=ConfirmSerializer, responses={200: DetailSerializer}, summary="Confirm e-mail"
    )
    def post(self, request):
        serializer = ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        onboarding.email_confirm(token=serializer.validated_data["token"], request=request)
        return Response({"detail": _("邮箱已确认，现在可以登录。")})


# --- Verifications ------------------------------------------------------------------------------


class VerificationSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    real_name = serializers.CharField(source="user.first_name")
    email = serializers.CharField(source="user.email")
    mobile = serializers.CharField(source="user.phone")
    organisation = serializers.CharField(source="organisation.name")
    organisation_uscc = serializers.CharField(source="organisation.uscc", allow_null=True)
    region = serializers.CharField(source="organisation.region.code")
    has_proof = serializers.SerializerMethodField()

    class Meta:
        model = Verification
        fields = [
            "id",
            "kind",
            "status",
            "username",
            "real_name",
            "email",
            "mobile",
            "organisation",
            "organisation_uscc",
            "region",
            "requested_roles",
            "staff_number",
            "has_proof",
            "created_at",
            "decided_at",
            "reason",
        ]

    def get_has_proof(self, verification: Verification) -> bool:
        return bool(verification.proof)


class VerificationQuery(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[*Verification.Status.values, "all"], required=False, default="pending"
    )


class VerificationListApi(APIView):
    """The requests the caller decides (organisation administrators, coordinators,
    administrators); anyone else 403."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[VerificationQuery],
        responses=page_of(VerificationSerializer),
        summary="Verifications to decide",
    )
    def get(self, request):
        require(rules.may_see_verifications(user=request.user))
        query = VerificationQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        state = query.validated_data["status"]
        qs = verifications.verification_list(
            user=request.user, status=None if state == "all" else state
        ).order_by("created_at", "pk")
        return numbered_page(self, request, qs, VerificationSerializer)


def verification_or_404(request, pk: int) -> Verification:
    verification = (
        Verification.objects.select_related("user", "organisation", "organisation__region")
        .filter(pk=pk)
        .first()
    )
    if verification is None or not rules.visible_to(user=request.user, verification=verification):
        raise NotFound(_("认证申请不存在。"))
    return verification


class _VerificationAction(ActionApi):
    def get_object(self, request, pk: int):
        return verification_or_404(request, pk)

    def respond(self, request, obj) -> Response:
        return Response(VerificationSerializer(obj).data)


class VerificationApproveApi(_VerificationAction):
    @extend_schema(request=None, responses=VerificationSerializer, summary="Approve a verification")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, obj, data):
        return verifications.verification_approve(
            user=request.user, verification=obj, request=request
        )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, validators=[ControlCharacterValidator(multiline=True)]
    )


class VerificationRejectApi(_VerificationAction):
    input_serializer = RejectSerializer

    @extend_schema(
        request=RejectSerializer, responses=VerificationSerializer, summary="Reject a verification"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, obj, data):
        return verifications.verification_reject(
            user=request.user, verification=obj, reason=data["reason"], request=request
        )


class VerificationProofApi(APIView):
    """The proof document, to the deciders of the request only (404 for anyone else)."""

    permission_classes = [permissions.IsAuthenticated]
    content_negotiation_class = JsonForErrors

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        verification = verification_or_404(request, pk)
        if not verification.proof:
            raise NotFound(_("该申请没有证明材料。"))
        return proof_response(verification)


def proof_response(verification: Verification) -> FileResponse:
    response = FileResponse(
        verification.proof.open("rb"),
        as_attachment=True,
        filename=f"proof-{verification.pk}{_suffix(verification)}",
        content_type=verification.proof_content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _suffix(verification: Verification) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        verification.proof_content_type, ""
    )


# --- Members ------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    real_name = serializers.CharField(source="first_name")
    verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "real_name", "roles", "is_active", "verified"]

    def get_verified(self, user: User) -> bool:
        return user.verified_region_id is not None


class MemberListApi(APIView):
    """An organisation administrator's members; anyone else 403."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=page_of(MemberSerializer), summary="My organisation's members")
    def get(self, request):
        if not rules.is_organisation_admin(request.user):
            raise Forbidden(_("只有机构管理员可以查看本机构成员。"))
        qs = verifications.member_list(user=request.user)
        return numbered_page(self, request, qs, MemberSerializer)


def member_or_404(request, pk: int) -> User:
    member = User.objects.filter(pk=pk).first()
    if member is None:
        raise NotFound(_("成员不存在。"))
    refusal = rules.may_manage_member(user=request.user, member=member)
    if isinstance(refusal, NotFound):
        raise refusal
    return member


class MemberDeactivateApi(ActionApi):
    def get_object(self, request, pk: int):
        return member_or_404(request, pk)

    @extend_schema(request=None, responses=MemberSerializer, summary="Deactivate a leaver")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, obj, data):
        return verifications.member_deactivate(user=request.user, member=obj, request=request)

    def respond(self, request, obj) -> Response:
        return Response(MemberSerializer(obj).data)


class MemberManagerRoleApi(ActionApi):
    def get_object(self, request, pk: int):
        return member_or_404(request, pk)

    @extend_schema(
        request=None, responses={201: VerificationSerializer}, summary="Ask for the manager role"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, obj, data):
        return verifications.manager_role_request(user=request.user, member=obj, request=request)

    def respond(self, request, obj) -> Response:
        return Response(VerificationSerializer(obj).data, status=status.HTTP_201_CREATED)


# --- Recognition agreements ---------------------------------------------------------------------


class AgreementSerializer(serializers.ModelSerializer):
    region_a = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    region_b = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    title = serializers.CharField(max_length=200, validators=ONE_LINE)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=RecognitionScope.choices), min_length=1, max_length=3
    )
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = RecognitionAgreement
        fields = [
            "id",
            "title",
            "region_a",
            "region_b",
            "starts_on",
            "ends_on",
            "scopes",
            "in_force",
        ]
        read_only_fields = ["id", "in_force"]

    def get_in_force(self, agreement: RecognitionAgreement) -> bool:
        today = timezone.localdate()
        return agreement.starts_on <= today and (
            agreement.ends_on is None or agreement.ends_on >= today
        )


def _save(request, data: dict, agreement: RecognitionAgreement | None = None):
    """The agreement's fields as sent, the rest as they are."""

    def value(key: str):
        return data[key] if key in data else getattr(agreement, key, None)

    return recognition_agreement_save(
        user=request.user,
        agreement=agreement,
        region_a=value("region_a"),
        region_b=value("region_b"),
        title=value("title"),
        starts_on=value("starts_on"),
        ends_on=value("ends_on"),
        scopes=list(value("scopes")),
        request=request,
    )


class AgreementListApi(APIView):
    """Everyone signed in reads the agreements; coordinators and administrators add them."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses=page_of(AgreementSerializer),
        summary="Recognition agreements",
        operation_id="recognition_agreements_list",
    )
    def get(self, request):
        qs = RecognitionAgreement.objects.select_related("region_a", "region_b").order_by(
            "-starts_on", "pk"
        )
        return numbered_page(self, request, qs, AgreementSerializer)

    @extend_schema(
        request=AgreementSerializer,
        responses={201: AgreementSerializer},
        summary="Add an agreement",
    )
    def post(self, request):
        require(rules.may_keep_agreements(user=request.user))
        serializer = AgreementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agreement = _save(request, serializer.validated_data)
        return Response(AgreementSerializer(agreement).data, status=status.HTTP_201_CREATED)


class AgreementDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _get(self, pk: int) -> RecognitionAgreement:
        agreement = RecognitionAgreement.objects.filter(pk=pk).first()
        if agreement is None:
            raise NotFound(_("互认协议不存在。"))
        return agreement

    @extend_schema(responses=AgreementSerializer, summary="A recognition agreement")
    def get(self, request, pk: int):
        return Response(AgreementSerializer(self._get(pk)).data)

    @extend_schema(
        request=AgreementSerializer, responses=AgreementSerializer, summary="Change an agreement"
    )
    def patch(self, request, pk: int):
        require(rules.may_keep_agreements(user=request.user))
        agreement = self._get(pk)
        serializer = AgreementSerializer(agreement, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        agreement = _save(request, serializer.validated_data, agreement)
        return Response(AgreementSerializer(agreement).data)
