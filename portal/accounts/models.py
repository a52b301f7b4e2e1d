from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.uscc import validate_uscc


class Confidence(models.TextChoices):
    """How far a stored point can be trusted (see data/places.csv)."""

    HIGH = "high", _("精确")
    MEDIUM = "medium", _("较准确")
    LOW = "low", _("近似位置")

    @classmethod
    def is_approximate(cls, value: str) -> bool:
        """A point shown as approximate (近似位置): the one rule the models, the API and the map
        ask."""
        return value == cls.LOW


class Region(models.Model):
    """An administrative region taking part in the programme, keyed by its adcode."""

    adcode = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    code = models.SlugField(_("代号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)
    province = models.CharField(_("所属省份"), max_length=32)

    class Meta:
        verbose_name = _("地区")
        verbose_name_plural = _("地区")
        ordering = ["adcode"]
        constraints = [
            models.CheckConstraint(
                condition=Q(adcode__regex=r"^[0-9]{6}$"), name="region_adcode_six_digits"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("高校")
        RESEARCH_INSTITUTE = "research_institute", _("科研院所")
        FIRM = "firm", _("企业")
        SERVICE_BODY = "service_body", _("服务机构")
        GOVERNMENT = "government", _("政府部门")

    name = models.CharField(_("名称"), max_length=200, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("地区")
    )
    uscc = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_uscc],
    )
    location = models.PointField(_("位置"), srid=4326, null=True, blank=True)
    location_confidence = models.CharField(
        _("位置可信度"), max_length=8, choices=Confidence.choices, blank=True
    )
    place_key = models.SlugField(_("地点键"), max_length=64, unique=True, null=True, blank=True)
    # Proposed at sign-up and not yet verified by a coordinator of its region: nobody else
    # may choose it until then.
    awaiting_verification = models.BooleanField(_("待认证"), default=False)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__isnull=True) | Q(uscc__regex=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$"),
                name="organisation_uscc_form",
            ),
            models.CheckConstraint(
                condition=Q(location__isnull=True) | ~Q(location_confidence=""),
                name="organisation_location_has_confidence",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location_is_approximate(self) -> bool:
        return Confidence.is_approximate(self.location_confidence)


class Role(models.TextChoices):
    RESEARCHER = "researcher", _("研究人员")
    INSTRUMENT_MANAGER = "instrument_manager", _("仪器管理员")
    FIRM = "firm", _("企业用户")
    TECHNOLOGY_OWNER = "technology_owner", _("成果持有方")
    BROKER = "broker", _("技术经纪人")
    REVIEWER = "reviewer", _("审核员")
    COORDINATOR = "coordinator", _("绵碚协调员")
    ORGANISATION_ADMIN = "organisation_admin", _("机构管理员")
    ADMINISTRATOR = "administrator", _("管理员")


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("所属机构"),
    )
    roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices),
        default=list,
        blank=True,
        verbose_name=_("角色"),
    )
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    # Where the person's identity was checked; recognised in that region's partner regions.
    verified_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("实名认证地区"),
    )
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(roles__contained_by=[value for value, _label in Role.choices]),
                name="user_roles_known",
            ),
            models.CheckConstraint(
                condition=Q(verified_region__isnull=True, verified_at__isnull=True)
                | Q(verified_region__isnull=False, verified_at__isnull=False),
                name="user_verification_complete",
            ),
        ]

    # Every way a password changes ends the account's API token and sessions, so a token or
    # session taken with an old (perhaps stolen) password stops working. The place for that is
    # here: the admin's forms, a password reset, `manage.py changepassword` and the account
    # services all call set_password() and then save(), and Django itself treats a save with a
    # new raw password pending (self._password) as the moment the password changed
    # (password_changed()). A hash upgraded at sign-in clears _password before its save, so it
    # keeps the token; a bulk .update(password=...) bypasses this, and nothing in the portal
    # does that.
    _password_disabled = False

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_disabled = True

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        changed = not adding and (self._password is not None or self._password_disabled)
        super().save(*args, **kwargs)
        # A closed account loses its token and sessions too (whoever closed it, and however).
        if changed or (not self.is_active and not adding):
            from portal.accounts.services import credentials_revoke  # services import models

            self._password_disabled = False
            credentials_revoke(user=self)

    def has_role(self, role: str) -> bool:
        if role == Role.ADMINISTRATOR and self.is_superuser:
            return True
        return role in self.roles

    def has_any_role(self, *roles: str) -> bool:
        """One of ``roles``, or the administrator, who may do whatever any role may."""
        return self.is_administrator or any(role in self.roles for role in roles)

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or Role.ADMINISTRATOR in self.roles

    @property
    def region(self) -> Region | None:
        return self.organisation.region if self.organisation_id else None


class RecognitionScope(models.TextChoices):
    INSTRUMENT_BOOKING = "instrument_booking", _("仪器预约")
    VOUCHERS = "vouchers", _("创新券")
    TECHNOLOGY_EXCHANGE = "technology_exchange", _("技术交易")


class RecognitionAgreement(models.Model):
    """身份互认: people verified in one of the two regions are recognised in the other, for the
    scopes named, from ``starts_on`` (and until ``ends_on`` when it is set). Kept by
    coordinators; the one rule reading it is selectors.user_is_recognised_in."""

    region_a = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区甲")
    )
    region_b = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区乙")
    )
    title = models.CharField(_("协议名称"), max_length=200)
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("终止日期"), null=True, blank=True)
    scopes = ArrayField(
        models.CharField(max_length=32, choices=RecognitionScope.choices),
        verbose_name=_("互认范围"),
    )
    created_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("互认协议")
        verbose_name_plural = _("互认协议")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(region_a=models.F("region_b")), name="recognition_two_regions"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="recognition_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(scopes__contained_by=[v for v, _label in RecognitionScope.choices])
                & Q(scopes__len__gt=0),
                name="recognition_scopes_known",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def other_region_id(self, region_id: int) -> int:
        return self.region_b_id if self.region_a_id == region_id else self.region_a_id


def proof_upload_to(instance, filename: str) -> str:
    return f"private/verifications/{filename}"


class Verification(models.Model):
    """A request that someone decides: a new member of an organisation (its organisation
    administrator decides), an organisation administrator or a new organisation (a coordinator
    of its region decides), the manager role for a member (asked by the organisation
    administrator, decided by a coordinator)."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("机构成员认证")
        ORGANISATION_ADMIN = "organisation_admin", _("机构管理员认证")
        ORGANISATION = "organisation", _("新机构认证")
        MANAGER_ROLE = "manager_role", _("仪器管理员角色申请")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")

    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    user = models.ForeignKey(
        "User", on_delete=models.CASCADE, related_name="verifications", verbose_name=_("申请人")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("机构")
    )
    requested_roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices),
        default=list,
        blank=True,
        verbose_name=_("申请角色"),
    )
    staff_number = models.CharField(_("工号或学号"), max_length=32, blank=True)
    proof = models.FileField(_("证明材料"), upload_to=proof_upload_to, max_length=200, blank=True)
    proof_content_type = models.CharField(max_length=64, blank=True)
    # A sign-up counts for its deciders once its e-mail address is confirmed.
    email_confirmed_at = models.DateTimeField(_("邮箱确认时间"), null=True, blank=True)
    requested_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)

    class Meta:
        verbose_name = _("认证申请")
        verbose_name_plural = _("认证申请")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=Q(status="pending"),
                name="verification_one_pending_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="verification_decided_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="verification_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.user}"


# Sessions with their person (SESSION_ENGINE), a model of this app.
from portal.accounts.sessions import UserSession  # noqa: E402, F401
