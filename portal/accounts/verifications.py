"""Deciding verifications, and what an organisation administrator does for its members:
deactivate leavers, ask for the manager role. Every decision is audited and mailed."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts import rules
from portal.accounts.models import Role, User, Verification
from portal.accounts.services import api_token_revoke, user_verify
from portal.audit.services import audit_record
from portal.errors import RuleBroken, require


def verification_list(*, user: User, status: str | None = Verification.Status.PENDING) -> QuerySet:
    """What the person decides: an organisation administrator the members of their
    organisation, a coordinator everything of their region, an administrator all. Sign-ups
    count once their e-mail address is confirmed."""
    qs = Verification.objects.select_related("user", "organisation", "organisation__region")
    qs = qs.filter(Q(email_confirmed_at__isnull=False) | Q(kind=Verification.Kind.MANAGER_ROLE))
    if status:
        qs = qs.filter(status=status)
    if user.is_administrator:
        return qs
    mine = Q(pk__in=[])
    if rules.is_coordinator(user):
        mine |= Q(organisation__region_id=user.region.pk)
    if rules.is_organisation_admin(user):
        mine |= Q(kind=Verification.Kind.MEMBER, organisation_id=user.organisation_id)
    return qs.filter(mine).exclude(user=user)


def _mail(user: User, subject: str, body: str) -> None:
    if user.email:
        transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


def _lock(verification: Verification) -> Verification:
    return (
        Verification.objects.select_for_update()
        .select_related("user", "organisation", "organisation__region")
        .get(pk=verification.pk)
    )


@transaction.atomic
def verification_approve(*, user: User, verification: Verification, request=None) -> Verification:
    verification = _lock(verification)
    require(rules.may_decide(user=user, verification=verification))
    member = User.objects.select_for_update().get(pk=verification.user_id)
    organisation = verification.organisation
    roles = set(member.roles) | set(verification.requested_roles)
    if verification.kind == Verification.Kind.ORGANISATION:
        # A new organisation's proposer becomes its first organisation administrator.
        organisation.awaiting_verification = False
        organisation.save(update_fields=["awaiting_verification"])
        roles.add(Role.ORGANISATION_ADMIN)
    elif verification.kind == Verification.Kind.ORGANISATION_ADMIN:
        roles.add(Role.ORGANISATION_ADMIN)
    elif verification.kind == Verification.Kind.MANAGER_ROLE:
        roles.add(Role.INSTRUMENT_MANAGER)
    before = sorted(member.roles)
    member.roles = sorted(roles)
    member.save(update_fields=["roles"])
    if member.verified_region_id is None:
        user_verify(user=member, region=organisation.region)
    verification.status = Verification.Status.APPROVED
    verification.decided_by = user
    verification.decided_at = timezone.now()
    verification.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=user,
        action="verification.approved",
        target=verification,
        changes={
            "kind": verification.kind,
            "member": member.username,
            "roles": [before, member.roles],
            "organisation": organisation.name,
        },
        request=request,
    )
    _mail(
        member,
        _("您的认证申请已通过"),
        _(
            "您好，%(name)s：\n\n您的“%(kind)s”申请已通过。现在可以登录门户预约仪器、提出意向和发布。"
        )
        % {"name": member.first_name or member.username, "kind": verification.get_kind_display()},
    )
    return verification


@transaction.atomic
def verification_reject(
    *, user: User, verification: Verification, reason: str, request=None
) -> Verification:
    verification = _lock(verification)
    require(rules.may_decide(user=user, verification=verification))
    reason = (reason or "").strip()
    if not reason:
        raise RuleBroken(
            _("请填写不予通过的理由。"),
            rule="reason_required",
            fields={"reason": [_("请填写不予通过的理由。")]},
        )
    verification.status = Verification.Status.REJECTED
    verification.reason = reason[:2000]
    verification.decided_by = user
    verification.decided_at = timezone.now()
    verification.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_record(
        actor=user,
        action="verification.rejected",
        target=verification,
        changes={"kind": verification.kind, "member": verification.user.username, "reason": reason},
        request=request,
    )
    _mail(
        verification.user,
        _("您的认证申请未通过"),
        _("您好：\n\n您的“%(kind)s”申请未通过，理由：%(reason)s\n请联系所属机构管理员核实。")
        % {"kind": verification.get_kind_display(), "reason": reason},
    )
    return verification


def member_list(*, user: User) -> QuerySet[User]:
    """The members of the organisation administrator's organisation."""
    if not rules.is_organisation_admin(user):
        return User.objects.none()
    return User.objects.filter(organisation_id=user.organisation_id).order_by("username")


@transaction.atomic
def member_deactivate(*, user: User, member: User, request=None) -> User:
    """A leaver: the account can no longer sign in; its API token ends (its sessions end with
    it, Django refusing inactive users)."""
    require(rules.may_manage_member(user=user, member=member))
    member = User.objects.select_for_update().get(pk=member.pk)
    if not member.is_active:
        raise RuleBroken(_("该成员的账号已停用。"), rule="wrong_status")
    member.is_active = False
    member.save(update_fields=["is_active"])
    api_token_revoke(user=member)
    audit_record(
        actor=user,
        action="account.deactivated",
        target=member,
        changes={"is_active": [True, False]},
        request=request,
    )
    return member


@transaction.atomic
def manager_role_request(*, user: User, member: User, request=None) -> Verification:
    """The organisation administrator asks for the instrument manager role for a verified
    member; a coordinator of the region decides."""
    require(rules.may_manage_member(user=user, member=member))
    if member.verified_region_id is None or not member.is_active:
        raise RuleBroken(_("只能为已认证且在职的成员申请仪器管理员角色。"), rule="unverified")
    if Role.INSTRUMENT_MANAGER in member.roles:
        raise RuleBroken(_("该成员已是仪器管理员。"), rule="already")
    if Verification.objects.filter(
        user=member, kind=Verification.Kind.MANAGER_ROLE, status=Verification.Status.PENDING
    ).exists():
        raise RuleBroken(_("已为该成员申请过仪器管理员角色，正在等待协调员审核。"), rule="already")
    verification = Verification.objects.create(
        kind=Verification.Kind.MANAGER_ROLE,
        user=member,
        organisation_id=member.organisation_id,
        requested_roles=[Role.INSTRUMENT_MANAGER],
        requested_by=user,
    )
    audit_record(
        actor=user,
        action="verification.manager_role_requested",
        target=verification,
        changes={"member": member.username},
        request=request,
    )
    return verification
