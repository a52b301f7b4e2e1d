"""Sign-up and e-mail confirmation.

A sign-up makes an inactive account without roles, and the verification its deciders will see
(the organisation's administrator for a member; a coordinator of the region for a would-be
organisation administrator or a new organisation). A signed link, sent by e-mail, confirms the
address once and activates the account: the person can then sign in, browse and save searches;
rules.account_refusal keeps them from booking, inquiring and publishing until verified.

Usernames and e-mail addresses are compared after NFKC and case folding (in the database, both
sides the same way), so ``Ｒｅｓｅａｒｃｈｅｒ`` is ``researcher``. A username is public and a form
must say when one is taken; an e-mail address is not: a sign-up with a known address answers
exactly like a new one, creates nothing, and mails the address's owner instead (a fresh link
when they never confirmed, else a note that somebody tried and how to reset the password).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Func, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Region, Role, User, Verification
from portal.accounts.uscc import is_valid as uscc_is_valid
from portal.accounts.uscc import normalise as uscc_normalise
from portal.audit.services import audit_record
from portal.errors import RuleBroken
from portal.text import refuse_control_characters
from portal.uploads import check_upload, safe_upload_name

SIGN_UP_ROLES = (Role.RESEARCHER, Role.FIRM, Role.TECHNOLOGY_OWNER)
MOBILE = re.compile(r"^1[3-9]\d{9}$")
PROOF_KINDS = {"pdf", "jpeg", "png"}
PROOF_MAX_BYTES = 5 * 1024 * 1024
_CONFIRM_SALT = "portal.accounts.confirm-email"


def identity_key(text: str) -> str:
    """How two usernames or addresses compare: NFKC, then case folded."""
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


def _db_key(expression):
    return Lower(
        Func(expression, function="normalize", template="%(function)s(%(expressions)s, NFKC)")
    )


def username_taken(username: str) -> bool:
    return (
        User.objects.annotate(key=_db_key(F("username")))
        .filter(key=_db_key(Value(unicodedata.normalize("NFKC", username))))
        .exists()
    )


def email_owner(email: str) -> User | None:
    return (
        User.objects.annotate(key=_db_key(F("email")))
        .filter(key=_db_key(Value(unicodedata.normalize("NFKC", email.strip()))))
        .order_by("pk")
        .first()
    )


def normalise_mobile(mobile: str) -> str:
    text = unicodedata.normalize("NFKC", mobile or "")
    text = re.sub(r"[\s-]", "", text)
    return text.removeprefix("+86")


@dataclass
class NewOrganisation:
    name: str
    uscc: str
    kind: str


@dataclass
class SignUp:
    username: str
    password: str
    real_name: str
    mobile: str
    email: str
    region: Region
    role: str
    organisation: Organisation | None = None
    new_organisation: NewOrganisation | None = None
    organisation_admin: bool = False
    staff_number: str = ""
    proof: object | None = None  # an uploaded file


def _check(sign_up: SignUp) -> dict[str, list[str]]:
    """Every mistake at once, by field; nothing is written."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("username", "real_name", "mobile", "email", "staff_number"):
        try:
            refuse_control_characters(getattr(sign_up, field), multiline=False)
        except ValidationError as exc:
            add(field, exc.messages[0])
    username = sign_up.username
    if not 3 <= len(username) <= 30:
        add("username", _("用户名应为 3 至 30 个字符。"))
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            add("username", _("用户名只能包含字母、数字和 @ . + - _ 。"))
    if "username" not in errors and username_taken(username):
        add("username", _("该用户名已被使用（不区分大小写和全角半角），请换一个。"))
    if not sign_up.real_name.strip():
        add("real_name", _("请填写真实姓名。"))
    if not MOBILE.match(sign_up.mobile):
        add("mobile", _("手机号应为 11 位中国大陆手机号码，如 13812345678。"))
    try:
        validate_email(sign_up.email)
    except ValidationError:
        add("email", _("请输入有效的电子邮箱地址。"))
    if sign_up.role not in SIGN_UP_ROLES:
        add("role", _("请选择申请的角色：研究人员、企业用户或成果持有方。"))
    if sign_up.organisation is None and sign_up.new_organisation is None:
        add("organisation", _("请选择所属机构，或填写新机构的名称和统一社会信用代码。"))
    if sign_up.organisation is not None:
        if sign_up.organisation.awaiting_verification:
            add("organisation", _("该机构尚在认证中，暂不能选择。"))
        elif sign_up.organisation.region_id != sign_up.region.pk:
            add("organisation", _("所选机构不在所选地区，请核对。"))
    new = sign_up.new_organisation
    if new is not None:
        if not new.name.strip() or len(new.name) > 200:
            add("new_organisation_name", _("请填写新机构的全称（不超过 200 字）。"))
        elif Organisation.objects.filter(name=new.name.strip()).exists():
            add("new_organisation_name", _("该机构已在门户中，请直接选择。"))
        if not uscc_is_valid(new.uscc):
            add("new_organisation_uscc", _("统一社会信用代码应为 18 位且校验位正确。"))
        elif Organisation.objects.filter(uscc=new.uscc).exists():
            add("new_organisation_uscc", _("该统一社会信用代码的机构已在门户中，请直接选择。"))
        if new.kind not in Organisation.Kind.values:
            add("new_organisation_kind", _("请选择新机构的类型。"))
    if sign_up.password:
        probe = User(username=username, email=sign_up.email, first_name=sign_up.real_name)
        try:
            validate_password(sign_up.password, probe)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    else:
        add("password", _("请设置密码。"))
    if sign_up.proof is not None:
        try:
            check_upload(sign_up.proof, kinds=PROOF_KINDS, max_bytes=PROOF_MAX_BYTES)
        except RuleBroken as exc:
            add("proof", exc.message)
    return errors


def confirmation_token(verification: Verification) -> str:
    return signing.dumps({"u": verification.user_id, "v": verification.pk}, salt=_CONFIRM_SALT)


def _mail(to: str, subject: str, body: str) -> None:
    transaction.on_commit(lambda: send_mail(subject, body, None, [to], fail_silently=False))


def _mail_confirmation(verification: Verification, confirm_url: str) -> None:
    link = confirm_url.replace("TOKEN", confirmation_token(verification))
    days = settings.EMAIL_CONFIRM_MAX_AGE.days
    body = _(
        "您好，%(name)s：\n\n请在 %(days)s 天内打开下面的链接确认您的邮箱（链接只能使用一次）：\n"
        "%(link)s\n\n确认后即可登录浏览和保存检索；所属机构认证通过后即可预约、提出意向和发布。\n"
        "如果不是您本人注册，请忽略本邮件。"
    ) % {"name": verification.user.first_name, "days": days, "link": link}
    _mail(verification.user.email, _("请确认您在绵碚共享门户注册的邮箱"), body)


def _mail_known_address(owner: User, confirm_url: str, reset_url: str) -> None:
    pending = (
        Verification.objects.filter(user=owner, email_confirmed_at__isnull=True)
        .exclude(kind=Verification.Kind.MANAGER_ROLE)
        .select_related("user")
        .first()
    )
    if pending is not None and not owner.is_active:
        _mail_confirmation(pending, confirm_url)
        return
    body = _(
        "您好：\n\n有人使用您的邮箱地址在绵碚共享门户申请注册。您已有账号，无需再次注册。\n"
        "如果忘记了密码，可以在这里重设：%(reset)s\n如果不是您本人操作，请忽略本邮件。"
    ) % {"reset": reset_url}
    _mail(owner.email, _("您的邮箱已注册过绵碚共享门户"), body)


@transaction.atomic
def registration_submit(
    *, sign_up: SignUp, confirm_url: str, reset_url: str, request=None
) -> Verification | None:
    """Checks everything, then makes the inactive account, a new organisation when one is
    proposed, and the verification, and mails the confirmation link (``confirm_url`` holds
    ``TOKEN`` where the link's token goes). A known e-mail address creates nothing and mails
    its owner; the answer (None) looks the same to the caller. Raises RuleBroken with fields."""
    sign_up.username = unicodedata.normalize("NFKC", sign_up.username).strip()
    sign_up.email = unicodedata.normalize("NFKC", sign_up.email).strip()
    sign_up.mobile = normalise_mobile(sign_up.mobile)
    if sign_up.new_organisation is not None:
        sign_up.new_organisation.uscc = uscc_normalise(sign_up.new_organisation.uscc)
        sign_up.new_organisation.name = sign_up.new_organisation.name.strip()
    # One sign-up per name at a time: two racing with 'Ａｌｉｃｅ' and 'alice' queue here.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [identity_key(sign_up.username)]
        )
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [identity_key(sign_up.email)])
    errors = _check(sign_up)
    if errors:
        raise RuleBroken(_("注册信息有误，请按提示修改。"), rule="invalid_sign_up", fields=errors)
    owner = email_owner(sign_up.email)
    if owner is not None:
        _mail_known_address(owner, confirm_url, reset_url)
        audit_record(
            actor=None,
            action="account.sign_up_known_email",
            target=owner,
            request=request,
        )
        return None

    organisation = sign_up.organisation
    kind = (
        Verification.Kind.ORGANISATION_ADMIN
        if sign_up.organisation_admin
        else Verification.Kind.MEMBER
    )
    if sign_up.new_organisation is not None:
        new = sign_up.new_organisation
        organisation = Organisation(
            name=new.name,
            uscc=new.uscc,
            kind=new.kind,
            region=sign_up.region,
            awaiting_verification=True,
        )
        organisation.full_clean()
        organisation.save()
        kind = Verification.Kind.ORGANISATION
    user = User(
        username=sign_up.username,
        email=sign_up.email,
        first_name=sign_up.real_name.strip(),
        phone=sign_up.mobile,
        organisation=organisation,
        roles=[],
        is_active=False,
    )
    user.set_password(sign_up.password)
    user.save()
    verification = Verification(
        kind=kind,
        user=user,
        organisation=organisation,
        requested_roles=[sign_up.role],
        staff_number=sign_up.staff_number.strip(),
    )
    if sign_up.proof is not None:
        proof_kind = check_upload(sign_up.proof, kinds=PROOF_KINDS, max_bytes=PROOF_MAX_BYTES)
        verification.proof_content_type = {
            "pdf": "application/pdf",
            "jpeg": "image/jpeg",
            "png": "image/png",
        }[proof_kind]
        verification.proof.save(safe_upload_name(sign_up.proof.name), sign_up.proof, save=False)
    verification.save()
    audit_record(
        actor=None,
        action="account.signed_up",
        target=user,
        changes={
            "organisation": organisation.name,
            "new_organisation": sign_up.new_organisation is not None,
            "kind": kind,
            "role": sign_up.role,
        },
        request=request,
    )
    _mail_confirmation(verification, confirm_url)
    return verification


@transaction.atomic
def email_confirm(*, token: str, request=None) -> User:
    """Confirms the address of a sign-up and activates the account, once. Raises RuleBroken:
    a link past EMAIL_CONFIRM_MAX_AGE (expired), a tampered one (invalid), one used before
    (used)."""
    try:
        data = signing.loads(
            token, salt=_CONFIRM_SALT, max_age=settings.EMAIL_CONFIRM_MAX_AGE.total_seconds()
        )
    except signing.SignatureExpired:
        raise RuleBroken(
            _("确认链接已过期。请用同一邮箱重新注册，我们会再发一封确认邮件。"),
            rule="link_expired",
        ) from None
    except signing.BadSignature:
        raise RuleBroken(
            _("确认链接无效，请检查是否完整复制了邮件中的链接。"), rule="link_invalid"
        ) from None
    verification = (
        Verification.objects.select_for_update()
        .select_related("user")
        .filter(pk=data.get("v"), user_id=data.get("u"))
        .first()
    )
    if verification is None:
        raise RuleBroken(_("确认链接无效，请检查是否完整复制了邮件中的链接。"), rule="link_invalid")
    if verification.email_confirmed_at is not None:
        raise RuleBroken(_("该确认链接已经使用过，邮箱已确认。请直接登录。"), rule="link_used")
    user = verification.user
    verification.email_confirmed_at = timezone.now()
    verification.save(update_fields=["email_confirmed_at"])
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=user, action="account.email_confirmed", target=user, request=request)
    return user
