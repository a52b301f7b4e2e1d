from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.models import Region, User
from portal.accounts.rules import account_refusal
from portal.accounts.selectors import (
    api_token_expires,
    user_is_recognised_in,
    user_recognition,
)
from portal.accounts.services import api_token_issue, api_token_revoke
from portal.security import LockedOut, lockout_message
from portal.throttles import AnonThrottle, TokenThrottle, UserThrottle


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires = serializers.DateTimeField(
        help_text="When the token stops working (API_TOKEN_LIFETIME_DAYS after it was issued); "
        "ask again then. A password change or DELETE ends it sooner."
    )


class TokenView(ObtainAuthToken):
    """POST: anyone may ask; the username and password decide. Guessing is throttled per
    address (TokenThrottle), limited per address (portal.signin) and locked out per username
    and address (django-axes). DELETE: the signed-in caller ends their own token."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonThrottle, TokenThrottle]
    throttle_scope = "auth_token"

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    def get_throttles(self):
        if self.request.method == "DELETE":
            # Revoking is no guess at a password: the ordinary budgets.
            return [AnonThrottle(), UserThrottle()]
        return super().get_throttles()

    def get_serializer_context(self):
        # The serializer authenticates with the Django request, where axes counts failures.
        return {**super().get_serializer_context(), "request": self.request._request}

    @extend_schema(
        responses=TokenResponseSerializer,
        summary="Obtain an API token",
        description="Returns the caller's token while it is valid, else a new one; "
        "`expires` says until when. Send it as `Authorization: Token <token>`; an expired "
        "token is answered 401 with error code `token_expired`.",
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            if getattr(request._request, "axes_locked_out", False):
                raise LockedOut(lockout_message(request._request)) from None
            raise
        user = serializer.validated_data["user"]
        # A token is a sign-in: axes clears the failure count, last_login is kept.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token = api_token_issue(user=user)
        return Response({"token": token.key, "expires": api_token_expires(token=token)})

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The caller's token no longer works.")},
        summary="Revoke your API token",
        description="Ends the signed-in caller's token (signed in by that token or a session). "
        "Answers 204 also when there was none.",
    )
    def delete(self, request, *args, **kwargs):
        api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecognitionSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    agreement = serializers.SerializerMethodField(
        help_text="The agreement recognising the person there; null in the home region."
    )
    scopes = serializers.ListField(child=serializers.CharField())

    def get_agreement(self, place) -> dict | None:
        agreement = place["agreement"]
        if agreement is None:
            return None
        return {
            "id": agreement.pk,
            "title": agreement.title,
            "starts_on": agreement.starts_on.isoformat(),
            "ends_on": agreement.ends_on.isoformat() if agreement.ends_on else None,
        }


class MeSerializer(serializers.ModelSerializer):
    # Null for accounts without one (administrators).
    organisation = serializers.StringRelatedField(allow_null=True)
    region = serializers.SerializerMethodField()
    recognised_in = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField()
    home_region = serializers.SerializerMethodField()
    verification = serializers.SerializerMethodField(
        help_text="Why the account may not book, inquire or publish yet; null if nothing stops it."
    )
    recognition = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "organisation",
            "region",
            "roles",
            "recognised_in",
            "verified",
            "home_region",
            "verification",
            "recognition",
        ]

    def get_verified(self, user: User) -> bool:
        return user.verified_region_id is not None

    def get_home_region(self, user: User) -> str | None:
        return user.verified_region.code if user.verified_region_id else None

    def get_verification(self, user: User) -> str | None:
        refusal = account_refusal(user=user)
        return refusal.message if refusal else None

    @extend_schema_field(RecognitionSerializer(many=True))
    def get_recognition(self, user: User) -> list:
        return RecognitionSerializer(user_recognition(user=user), many=True).data

    def get_region(self, user: User) -> str | None:
        return user.region.code if user.region else None

    def get_recognised_in(self, user: User) -> list[str]:
        return [r.code for r in Region.objects.all() if user_is_recognised_in(user=user, region=r)]


class MeView(APIView):
    """The signed-in user only."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer, summary="The signed-in user")
    def get(self, request):
        return Response(MeSerializer(request.user).data)
