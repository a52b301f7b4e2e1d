import datetime

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from portal.accounts.models import (
    Organisation,
    RecognitionAgreement,
    RecognitionScope,
    Region,
    User,
)
from portal.accounts.selectors import api_token_is_expired
from portal.errors import RuleBroken


@transaction.atomic
def region_upsert(*, adcode: str, code: str, name: str, name_en: str, province: str) -> Region:
    region, _ = Region.objects.update_or_create(
        adcode=adcode,
        defaults={"code": code, "name": name, "name_en": name_en, "province": province},
    )
    return region


@transaction.atomic
def regions_recognise_each_other(
    *, regions: list[Region], starts_on: datetime.date | None = None
) -> None:
    """An agreement for every scope between each two of ``regions`` that have none yet (the
    demo's and the tests' 身份互认, 绵阳 ↔ 北碚)."""
    starts_on = starts_on or datetime.date(2020, 1, 1)
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            pair = Q(region_a=a, region_b=b) | Q(region_a=b, region_b=a)
            if not RecognitionAgreement.objects.filter(pair).exists():
                RecognitionAgreement.objects.create(
                    region_a=a,
                    region_b=b,
                    title=f"{a.name}—{b.name}身份互认协议",
                    starts_on=starts_on,
                    scopes=list(RecognitionScope.values),
                )


@transaction.atomic
def recognition_agreement_save(
    *,
    user: User,
    agreement: RecognitionAgreement | None = None,
    region_a: Region,
    region_b: Region,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    scopes: list[str],
    request=None,
) -> RecognitionAgreement:
    """A coordinator records a new agreement or changes one (its dates, scopes, title)."""
    from portal.accounts.rules import may_keep_agreements
    from portal.audit.services import audit_record
    from portal.errors import require

    require(may_keep_agreements(user=user))
    errors: dict[str, list[str]] = {}
    if region_a.pk == region_b.pk:
        errors["region_b"] = [_("互认协议须在两个不同地区之间。")]
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("终止日期不能早于生效日期。")]
    scopes = sorted(set(scopes))
    if not scopes or any(scope not in RecognitionScope.values for scope in scopes):
        errors["scopes"] = [_("请至少选择一项互认范围。")]
    if not title.strip():
        errors["title"] = [_("请填写协议名称。")]
    if errors:
        raise RuleBroken(
            _("互认协议信息有误，请按提示修改。"), rule="invalid_agreement", fields=errors
        )
    creating = agreement is None
    agreement = agreement or RecognitionAgreement(created_by=user)
    before = (
        {}
        if creating
        else {
            "regions": [agreement.region_a_id, agreement.region_b_id],
            "starts_on": str(agreement.starts_on),
            "ends_on": str(agreement.ends_on) if agreement.ends_on else None,
            "scopes": agreement.scopes,
            "title": agreement.title,
        }
    )
    agreement.region_a, agreement.region_b = region_a, region_b
    agreement.title = title.strip()[:200]
    agreement.starts_on, agreement.ends_on, agreement.scopes = starts_on, ends_on, scopes
    agreement.save()
    after = {
        "regions": [region_a.pk, region_b.pk],
        "starts_on": str(starts_on),
        "ends_on": str(ends_on) if ends_on else None,
        "scopes": scopes,
        "title": agreement.title,
    }
    audit_record(
        actor=user,
        action="recognition.created" if creating else "recognition.changed",
        target=agreement,
        changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
        request=request,
    )
    return agreement


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
