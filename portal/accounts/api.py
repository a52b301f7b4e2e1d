from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.models import Region, User
from portal.accounts.selectors import user_is_recognised_in


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    """Anyone may ask; the username and password decide."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=TokenResponseSerializer, summary="Obtain an API token")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class MeSerializer(serializers.ModelSerializer):
    organisation = serializers.StringRelatedField()
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
