import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.accounts.models import (
    Organisation,
    RecognitionAgreement,
    RecognitionScope,
    Region,
    User,
)


def agreements_in_force(
    *, scope: str | None = None, on: datetime.date | None = None
) -> QuerySet[RecognitionAgreement]:
    """The recognition agreements in force on ``on`` (today, Asia/Shanghai), for ``scope``."""
    on = on or timezone.localdate()
    qs = RecognitionAgreement.objects.filter(starts_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )
    return qs.filter(scopes__contains=[scope]) if scope else qs


def recognition_agreement(
    *,
    home_id: int,
    region_id: int,
    scope: str = RecognitionScope.INSTRUMENT_BOOKING,
    on: datetime.date | None = None,
) -> RecognitionAgreement | None:
    """The agreement under which people verified in ``home_id`` are recognised in
    ``region_id`` for ``scope`` (the longest-standing one), if any."""
    return (
        agreements_in_force(scope=scope, on=on)
        .filter(
            Q(region_a_id=home_id, region_b_id=region_id)
            | Q(region_a_id=region_id, region_b_id=home_id)
        )
        .order_by("starts_on", "pk")
        .first()
    )


def user_is_recognised_in(
    *, user: User, region: Region, scope: str = RecognitionScope.INSTRUMENT_BOOKING
) -> bool:
    """身份互认: verified in one region means verified in every region that has a recognition
    agreement with it in force today for ``scope``. The one rule deciding recognition."""
    if user.verified_region_id is None:
        return False
    if user.verified_region_id == region.pk:
        return True
    return (
        recognition_agreement(home_id=user.verified_region_id, region_id=region.pk, scope=scope)
        is not None
    )


def user_recognition(*, user: User) -> list[dict]:
    """Where the person is recognised and why: their home region (verified there), then every
    region an agreement in force recognises them in, with the agreement and its scopes."""
    if user.verified_region_id is None:
        return []
    home = user.verified_region
    places = [
        {"region": home, "agreement": None, "scopes": [s for s, _l in RecognitionScope.choices]}
    ]
    agreements = (
        agreements_in_force()
        .filter(Q(region_a_id=home.pk) | Q(region_b_id=home.pk))
        .select_related("region_a", "region_b")
    )
    for agreement in agreements.order_by("starts_on", "pk"):
        other = agreement.region_b if agreement.region_a_id == home.pk else agreement.region_a
        places.append({"region": other, "agreement": agreement, "scopes": list(agreement.scopes)})
    return places


def organisation_list(*, region: Region | None = None) -> QuerySet[Organisation]:
    qs = Organisation.objects.select_related("region")
    return qs.filter(region=region) if region else qs


def api_token_expires(*, token: Token) -> datetime.datetime:
    """When an API token stops working: API_TOKEN_LIFETIME after it was issued."""
    return token.created + settings.API_TOKEN_LIFETIME


def api_token_is_expired(*, token: Token) -> bool:
    return api_token_expires(token=token) <= timezone.now()
