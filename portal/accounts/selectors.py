from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.accounts.models import Organisation, Region, User


def user_is_recognised_in(*, user: User, region: Region) -> bool:
    """身份互认: verified in one region means verified in every region that recognises it."""
    if user.verified_region_id is None:
        return False
    if user.verified_region_id == region.pk:
        return True
    return region.recognises.filter(pk=user.verified_region_id).exists()


def organisation_list(*, region: Region | None = None) -> QuerySet[Organisation]:
    qs = Organisation.objects.select_related("region")
    return qs.filter(region=region) if region else qs


def api_token_expires(*, token: Token) -> datetime:
    """When an API token stops working: API_TOKEN_LIFETIME after it was issued."""
    return token.created + settings.API_TOKEN_LIFETIME


def api_token_is_expired(*, token: Token) -> bool:
    return api_token_expires(token=token) <= timezone.now()
