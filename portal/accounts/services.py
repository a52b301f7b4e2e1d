from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.accounts.models import Organisation, Region, User
from portal.accounts.selectors import api_token_is_expired


@transaction.atomic
def region_upsert(*, adcode: str, code: str, name: str, name_en: str, province: str) -> Region:
    region, _ = Region.objects.update_or_create(
        adcode=adcode,
        defaults={"code": code, "name": name, "name_en": name_en, "province": province},
    )
    return region


@transaction.atomic
def regions_recognise_each_other(*, regions: list[Region]) -> None:
    for region in regions:
        region.recognises.add(*[other for other in regions if other.pk != region.pk])


@transaction.atomic
def organisation_upsert(
    *,
    name: str,
    kind: str,
    region: Region,
    uscc: str | None = None,
    name_en: str = "",
    location: Point | None = None,
    location_confidence: str = "",
    place_key: str | None = None,
) -> Organisation:
    """Match by credit code first, then by name; create when new."""
    org = None
    if uscc:
        org = Organisation.objects.filter(uscc=uscc).first()
    if org is None:
        org = Organisation.objects.filter(name=name).first()
    if org is None:
        org = Organisation(name=name)
    org.kind = kind
    org.region = region
    org.name_en = name_en or org.name_en
    org.uscc = uscc or org.uscc
    if location is not None:
        org.location = location
        org.location_confidence = location_confidence
    org.place_key = place_key or org.place_key
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def user_verify(*, user: User, region: Region) -> User:
    user.verified_region = region
    user.verified_at = timezone.now()
    user.save(update_fields=["verified_region", "verified_at"])
    return user


@transaction.atomic
def user_upsert(
    *,
    username: str,
    password: str,
    organisation: Organisation | None,
    roles: list[str],
    first_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    reset_password: bool = False,
) -> User:
    """Create or update an account; an existing password is kept unless reset_password."""
    user, created = User.objects.get_or_create(username=username)
    user.organisation = organisation
    user.roles = sorted(set(roles))
    user.first_name = first_name or user.first_name
    user.is_staff = is_staff or is_superuser
    user.is_superuser = is_superuser
    if created or reset_password:
        user.set_password(password)
    user.save()
    if organisation is not None and user.verified_region_id is None:
        user_verify(user=user, region=organisation.region)
    return user


def organisation_kind_from_name(name: str) -> str:
    # 中国科学院… contains 学院, so the research markers are tested before 学院 alone.
    if "大学" in name:
        return Organisation.Kind.UNIVERSITY
    if "研究院" in name or "研究所" in name or "科学院" in name:
        return Organisation.Kind.RESEARCH_INSTITUTE
    if "学院" in name:
        return Organisation.Kind.UNIVERSITY
    if "公司" in name or "企业" in name or "厂" in name:
        return Organisation.Kind.FIRM
    if name.endswith(("政府", "局", "委员会")):
        return Organisation.Kind.GOVERNMENT
    return Organisation.Kind.SERVICE_BODY


def organisation_match(*, name: str, uscc: str) -> Organisation | None:
    """The one rule for which organisation a feed row names: its credit code first, then its
    name. Nothing is written."""
    org = Organisation.objects.filter(uscc=uscc).first() if uscc else None
    return org or Organisation.objects.filter(name=name).first()


@transaction.atomic
def organisation_match_or_create(*, name: str, uscc: str, region_id: int) -> Organisation:
    """A feed names an organisation: match it (organisation_match); create it when new,
    guessing its kind from its name. An existing organisation's kind and region are kept; one
    matched by name without a code learns the row's code. Only administrators' imports come
    here: a manager's rows must name their own organisation (InstrumentImport)."""
    org = organisation_match(name=name, uscc=uscc)
    if org is not None and uscc and not org.uscc:
        org.uscc = uscc
        org.save(update_fields=["uscc"])
    if org is None:
        kind = organisation_kind_from_name(name)
        org = Organisation(name=name, uscc=uscc or None, region_id=region_id, kind=kind)
        org.full_clean()
        org.save()
    return org


@transaction.atomic
def api_token_issue(*, user: User) -> Token:
    """The user's API token: the one they have while it is valid, else a new one."""
    # Locked, so two sign-ins at once cannot both replace an expired token.
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None:
        if not api_token_is_expired(token=token):
            return token
        token.delete()
    # get_or_create: another sign-in may have issued one since the query above.
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def credentials_revoke(*, user: User) -> None:
    """Ends the user's API token and every session (a new password, a closed account). The
    session that changed the password is saved again under a new key by Django's
    update_session_auth_hash, so it survives."""
    from portal.accounts.sessions import sessions_end

    api_token_revoke(user=user)
    sessions_end(user=user)


@transaction.atomic
def api_token_revoke(*, user: User) -> None:
    """Ends the user's API token, if any (their own DELETE, or a new password)."""
    Token.objects.filter(user=user).delete()
