from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.models import Region, User
from portal.accounts.selectors import user_is_recognised_in
from portal.security import LockedOut, lockout_message
from portal.throttles import AnonThrottle, TokenThrottle


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    """Anyone may ask; the username and password decide. Guessing is throttled per address
    (TokenThrottle) and locked out per username and address (django-axes)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonThrottle, TokenThrottle]
    throttle_scope = "auth_token"

    def get_serializer_context(self):
        # The serializer authenticates with the Django request, where axes counts failures.
        return {**super().get_serializer_context(), "request": self.request._request}

    @extend_schema(responses=TokenResponseSerializer, summary="Obtain an API token")
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
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeSerializer(serializers.ModelSerializer):
    # Null for accounts without one (administrators).
    organisation = serializers.StringRelatedField(allow_null=True)
    region = serializers.SerializerMethodField()
    recognised_in = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "organisation", "region", "roles", "recognised_in"]

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
