"""Accounts rules: whether a person's account is verified enough to act, who decides a
verification, who keeps recognition agreements. Each answers None when allowed, else the refusal
(portal.errors), which services require(), the API answers and the pages show."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal.accounts.models import Role, User, Verification
from portal.errors import Forbidden, NotFound, Refusal, RuleBroken

# The kinds a sign-up files; the manager role is asked for later, for a verified member.
SIGN_UP_KINDS = (
    Verification.Kind.MEMBER,
    Verification.Kind.ORGANISATION_ADMIN,
    Verification.Kind.ORGANISATION,
)
# Decided by a coordinator of the organisation's region, not by the organisation itself.
COORDINATOR_KINDS = (
    Verification.Kind.ORGANISATION_ADMIN,
    Verification.Kind.ORGANISATION,
    Verification.Kind.MANAGER_ROLE,
)


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def sign_up_of(user: User) -> Verification | None:
    """The person's latest sign-up verification, if they signed up in the portal."""
    return (
        Verification.objects.filter(user=user, kind__in=SIGN_UP_KINDS)
        .order_by("-created_at", "-pk")
        .first()
    )


def account_refusal(*, user) -> Refusal:
    """Whether a signed-up person may book, inquire or publish yet: not before their
    organisation (or a coordinator) has verified them. Accounts made by administrators, and
    every verified person, pass; other rules decide the rest."""
    if not _signed_in(user) or user.verified_region_id is not None:
        return None
    # Several rules ask this on one page: the person's sign-up is read once per user object.
    if "_sign_up" not in user.__dict__:
        user.__dict__["_sign_up"] = sign_up_of(user)
    sign_up = user.__dict__["_sign_up"]
    if sign_up is None:
        return None
    if sign_up.status == Verification.Status.REJECTED:
        return RuleBroken(
            _("您的认证申请未通过：%(reason)s。请联系所属机构管理员，核实后可重新提交。")
            % {"reason": sign_up.reason},
            rule="unverified",
        )
    if sign_up.kind == Verification.Kind.MEMBER:
        message = _(
            "您的账号尚待所属机构的机构管理员认证：认证通过前可以浏览和保存检索，"
            "但不能预约、提出意向或发布。认证通过后我们会发邮件通知您。"
        )
    else:
        message = _(
            "您的账号尚待所在地区的绵碚协调员认证：认证通过前可以浏览和保存检索，"
            "但不能预约、提出意向或发布。认证通过后我们会发邮件通知您。"
        )
    return RuleBroken(message, rule="unverified")


def is_organisation_admin(user) -> bool:
    return _signed_in(user) and Role.ORGANISATION_ADMIN in user.roles and bool(user.organisation_id)


def is_coordinator(user) -> bool:
    return _signed_in(user) and Role.COORDINATOR in user.roles and bool(user.organisation_id)


def is_decider(user) -> bool:
    """Whether the person has a verification queue at all (page and API)."""
    return _signed_in(user) and (
        user.is_administrator or is_organisation_admin(user) or is_coordinator(user)
    )


def may_see_verifications(*, user) -> Refusal:
    if not is_decider(user):
        return Forbidden(_("只有机构管理员、绵碚协调员和管理员可以审核认证申请。"))
    return None


def may_decide(*, user, verification: Verification) -> Refusal:
    """An organisation administrator decides the members of their own organisation; a
    coordinator decides everything of their region (organisation administrators, new
    organisations, manager roles, and members where nobody else does); administrators decide
    all. Anyone else is answered as if the request did not exist. Nobody decides their own."""
    if not visible_to(user=user, verification=verification):
        return NotFound(_("认证申请不存在。"))
    if verification.user_id == user.pk:
        return Forbidden(_("不能审核自己的认证申请。"), rule="self_approval")
    if verification.status != Verification.Status.PENDING:
        return RuleBroken(
            _("该申请已审核（%(status)s），不能再次审核。")
            % {"status": verification.get_status_display()},
            rule="wrong_status",
        )
    return None


def visible_to(*, user, verification: Verification) -> bool:
    if not _signed_in(user):
        return False
    if user.is_administrator:
        return True
    if is_coordinator(user) and verification.organisation.region_id == user.region.pk:
        return True
    return (
        is_organisation_admin(user)
        and verification.kind == Verification.Kind.MEMBER
        and verification.organisation_id == user.organisation_id
    )


def may_manage_member(*, user, member: User) -> Refusal:
    """An organisation administrator deactivates leavers of their own organisation and asks
    for the manager role for its members; an administrator may too. Others: 404."""
    if not _signed_in(user) or not (
        user.is_administrator
        or (is_organisation_admin(user) and member.organisation_id == user.organisation_id)
    ):
        return NotFound(_("成员不存在。"))
    if member.pk == user.pk:
        return Forbidden(_("不能对自己执行此操作。"), rule="self")
    return None


def may_keep_agreements(*, user) -> Refusal:
    if not (_signed_in(user) and user.has_any_role(Role.COORDINATOR)):
        return Forbidden(_("只有绵碚协调员和管理员可以维护互认协议。"))
    return None
