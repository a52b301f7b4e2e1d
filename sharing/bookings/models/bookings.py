"""Bookings of shared instruments, their rules, innovation vouchers and what people are told.

The database holds the invariants: no two live bookings of one instrument overlap (buffer
included), a voucher's balance never goes below zero, a notification exists once per booking,
kind and person.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation, Region, User
from portal.choices import cached_field_display
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.catalogue.models import Instrument


class BookingPolicy(models.Model):
    """How an instrument may be booked. Approval itself is Instrument.approval_required."""

    instrument = models.OneToOneField(
        Instrument, on_delete=models.CASCADE, related_name="booking_policy", primary_key=True
    )
    slot_minutes = models.PositiveSmallIntegerField(_("时段粒度（分钟）"), default=30)
    min_minutes = models.PositiveIntegerField(_("最短预约（分钟）"), default=30)
    max_minutes = models.PositiveIntegerField(_("最长预约（分钟）"), default=8 * 60)
    min_notice_minutes = models.PositiveIntegerField(_("最短提前（分钟）"), default=60)
    max_advance_days = models.PositiveSmallIntegerField(_("最远可约（天）"), default=60)
    buffer_minutes = models.PositiveSmallIntegerField(_("前后间隔（分钟）"), default=0)
    closed_on_holidays = models.BooleanField(_("法定节假日不开放"), default=True)
    qualification_required = models.BooleanField(_("需持有上机资格"), default=False)
    weekly_quota_minutes = models.PositiveIntegerField(
        _("每人每周限额（分钟）"), null=True, blank=True
    )
    # At the instrument's QR code a qualified person may start a use without a booking while
    # the instrument is free (the kiosk).
    walk_up_allowed = models.BooleanField(_("允许现场直接上机"), default=False)

    class Meta:
        verbose_name = _("预约规则")
        verbose_name_plural = _("预约规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=24 * 60),
                name="policy_slot_5min_to_1day",
            ),
            models.CheckConstraint(
                condition=Q(min_minutes__lte=F("max_minutes")), name="policy_min_not_above_max"
            ),
            models.CheckConstraint(
                condition=Q(max_advance_days__gte=1), name="policy_advance_at_least_a_day"
            ),
        ]

    def __str__(self) -> str:
        return str(self.instrument)


class OpeningHours(models.Model):
    """Weekly opening hours in Asia/Shanghai; a weekday without rows is closed."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), help_text=_("0 = 星期一 … 6 = 星期日"))
    opens = models.TimeField(_("开放"))
    closes = models.TimeField(_("关闭"))

    class Meta:
        verbose_name = _("开放时间")
        verbose_name_plural = _("开放时间")
        ordering = ["instrument", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="openinghours_weekday"),
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="openinghours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.weekday} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Blackout(models.Model):
    class Kind(models.TextChoices):
        BLACKOUT = "blackout", _("停用")
        MAINTENANCE = "maintenance", _("维护")
        BREAKDOWN = "breakdown", _("故障停机")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="blackouts")
    period = DateTimeRangeField(_("时段"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.BLACKOUT)
    reason = models.CharField(_("原因"), max_length=200, blank=True, validators=[ONE_LINE])
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, null=True)

    class Meta:
        verbose_name = _("停用时段")
        verbose_name_plural = _("停用时段")
        constraints = [
            models.CheckConstraint(
                condition=Q(period__isempty=False), name="blackout_period_not_empty"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.get_kind_display()} {self.period}"


class CalendarOverride(models.Model):
    """An administrator's word on a date, over the chinese-calendar package (and for years the
    package does not know yet)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True, validators=[ONE_LINE])

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'工作日' if self.is_workday else '休息日'}"


class Qualification(models.Model):
    """A person trained on an instrument (上机资格), until a date."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="qualifications")
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="qualifications"
    )
    valid_until = models.DateField(_("有效期至"))
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True, null=True)
    # A revoked qualification stays as a record; renewing clears the revocation.
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True, validators=[ONE_LINE])

    class Meta:
        verbose_name = _("上机资格")
        verbose_name_plural = _("上机资格")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "instrument"], name="qualification_one_per_user_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.instrument_id} → {self.valid_until}"


class BookingSeries(models.Model):
    """A weekly recurring request; each occurrence is a Booking with its own result."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    requester = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    weeks = models.PositiveSmallIntegerField(_("周数"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(weeks__gte=1, weeks__lte=52), name="series_one_to_52_weeks"
            )
        ]

    def __str__(self) -> str:
        return f"series #{self.pk} ({self.weeks} weeks)"


class Booking(models.Model):
    # get_<field>_display() without translating every label of the field (portal.choices).
    _get_FIELD_display = cached_field_display

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        CHECKED_IN = "checked_in", _("使用中")
        COMPLETED = "completed", _("已完成")
        REJECTED = "rejected", _("已拒绝")
        CANCELLED = "cancelled", _("已取消")
        EXPIRED = "expired", _("审批超时")
        NO_SHOW = "no_show", _("未到场")

    LIVE = (Status.REQUESTED, Status.APPROVED, Status.CHECKED_IN)

    class ServiceMode(models.TextChoices):
        """服务方式 of the national service record."""

        SELF_OPERATED = "self_operated", _("自主上机")
        COMMISSIONED = "commissioned", _("委托测试")
        COLLABORATIVE = "collaborative", _("合作研究")
        OTHER = "other", _("其他")

    class RateCategory(models.TextChoices):
        INTERNAL = "internal", _("本单位")
        SAME_REGION = "same_region", _("同地区")
        OTHER_REGION = "other_region", _("跨地区")
        FIRM = "firm", _("企业")

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="bookings")
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="bookings")
    # Half-open [start, end) in UTC; `blocked` is the period plus the instrument's buffer and is
    # what the exclusion constraint compares.
    period = DateTimeRangeField(_("时段"))
    blocked = DateTimeRangeField(_("占用时段（含间隔）"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    purpose = models.CharField(_("用途"), max_length=300, validators=[ONE_LINE])
    sample_notes = models.TextField(
        _("样品说明"), blank=True, max_length=2000, validators=[SEVERAL_LINES]
    )
    service_mode = models.CharField(
        _("服务方式"),
        max_length=16,
        choices=ServiceMode.choices,
        default=ServiceMode.SELF_OPERATED,
    )
    project_name = models.CharField(
        _("项目名称"), max_length=200, blank=True, validators=[ONE_LINE]
    )
    # The project (课题) charged; project_name then repeats its name for the service record.
    project = models.ForeignKey(
        "bookings.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("课题"),
    )
    # Started at the instrument's kiosk without a booking made beforehand.
    walk_up = models.BooleanField(_("现场上机"), default=False)
    series = models.ForeignKey(
        BookingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    cross_region = models.BooleanField(_("跨地区"), default=False)
    rate_category = models.CharField(_("费率类别"), max_length=16, choices=RateCategory.choices)
    hourly_rate = models.DecimalField(_("小时费率"), max_digits=10, decimal_places=2, default=0)
    fee_estimate = models.DecimalField(_("预估费用"), max_digits=12, decimal_places=2, default=0)
    charge = models.DecimalField(
        _("实际费用"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    checked_in_at = models.DateTimeField(_("上机时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("下机时间"), null=True, blank=True)
    # Set when beat checked the session out at its booked end because nobody did; the manager
    # sees it flagged and may adjust the times or the charge.
    checkout_forgotten = models.BooleanField(_("未签退"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["-created_at"]
        constraints = [
            ExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    ("instrument", RangeOperators.EQUAL),
                    ("blocked", RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["requested", "approved", "checked_in"]),
            ),
            models.CheckConstraint(
                condition=Q(period__isempty=False)
                & Q(period__startswith__lt=F("period__endswith")),
                name="booking_period_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(blocked__contains=F("period")), name="booking_blocked_covers_period"
            ),
            models.CheckConstraint(
                condition=Q(fee_estimate__gte=0) & (Q(charge__isnull=True) | Q(charge__gte=0)),
                name="booking_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=F("checked_in_at")),
                name="booking_checkout_after_checkin",
            ),
        ]
        indexes = [
            models.Index(fields=["requester", "-created_at"], name="booking_requester_recent"),
            models.Index(fields=["status", "created_at"], name="booking_status_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.instrument_id} {self.period}"

    @property
    def start(self):
        return self.period.lower

    @property
    def end(self):
        return self.period.upper


class BookingTransition(models.Model):
    """Every status change: who, when, from, to, why."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300, blank=True, validators=[ONE_LINE])

    class Meta:
        ordering = ["booking", "at", "pk"]

    def __str__(self) -> str:
        return f"#{self.booking_id} {self.from_status}→{self.to_status}"


class WaitlistEntry(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="waitlist")
    period = DateTimeRangeField(_("想要的时段"))
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("候补")
        verbose_name_plural = _("候补")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "user", "period"], name="waitlist_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.instrument_id} {self.period}"


class Voucher(models.Model):
    """科技创新券: issued by a region to an organisation, spent on fees where it is accepted.

    Three buckets kept in columns beside the ledger, under a row lock: ``reserved`` (held for
    services requested, not yet done), ``redeemed`` (spent on completed services) and, of
    that, ``settled`` (paid out by the issuing authority to the provider). The check
    constraints are the last word: balance = amount − reserved − redeemed, settled ≤ redeemed,
    nothing negative — no transaction can commit an overdraft or a settlement beyond use."""

    code = models.CharField(_("券号"), max_length=32, unique=True, validators=[ONE_LINE])
    issuing_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("发放地区")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("持券单位")
    )
    amount = models.DecimalField(_("面额（元）"), max_digits=12, decimal_places=2)
    balance = models.DecimalField(_("余额（元）"), max_digits=12, decimal_places=2)
    reserved = models.DecimalField(_("预留（元）"), max_digits=12, decimal_places=2, default=0)
    redeemed = models.DecimalField(_("已抵扣（元）"), max_digits=12, decimal_places=2, default=0)
    settled = models.DecimalField(_("已兑现（元）"), max_digits=12, decimal_places=2, default=0)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"))
    accepted_in = models.ManyToManyField(Region, related_name="+", verbose_name=_("通用地区"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("科技创新券")
        verbose_name_plural = _("科技创新券")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="voucher_amount_positive"),
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("amount")),
                name="voucher_balance_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_until")), name="voucher_validity_order"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(redeemed__gte=0) & Q(settled__gte=0),
                name="voucher_buckets_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(settled__lte=F("redeemed")), name="voucher_settled_within_redeemed"
            ),
            models.CheckConstraint(
                condition=Q(balance=F("amount") - F("reserved") - F("redeemed")),
                name="voucher_balance_is_the_rest",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class VoucherEntry(models.Model):
    """The voucher ledger, every amount positive: a reservation when a service is requested,
    its release (all or the part not used) when it ends, a redemption on the final charge when
    it is completed, and a settlement when the issuing authority pays the provider.

    Per voucher and service at most one of each kind (a settlement is therefore at most once
    per redemption). The service is a booking or a sample-testing order: exactly one of the
    two is set (voucherentry_one_service)."""

    class Kind(models.TextChoices):
        RESERVATION = "reservation", _("预留")
        RELEASE = "release", _("退回")
        REDEMPTION = "redemption", _("抵扣")
        SETTLEMENT = "settlement", _("兑现")

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="entries")
    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="voucher_entries"
    )
    order = models.ForeignKey(
        "bookings.SampleOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voucher_entries",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("创新券流水")
        verbose_name_plural = _("创新券流水")
        constraints = [
            models.UniqueConstraint(
                fields=["voucher", "booking", "kind"], name="voucherentry_once_per_booking_kind"
            ),
            models.UniqueConstraint(
                fields=["voucher", "order", "kind"],
                condition=Q(order__isnull=False),
                name="voucherentry_once_per_order_kind",
            ),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, order__isnull=True)
                | Q(booking__isnull=True, order__isnull=False),
                name="voucherentry_one_service",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="voucherentry_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["reservation", "release", "redemption", "settlement"]),
                name="voucherentry_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} {self.kind} {self.amount}"

    @property
    def service(self):
        """The booking or the sample-testing order the entry is for."""
        return self.booking if self.booking_id else self.order

    @property
    def instrument(self):
        return self.service.instrument

    @property
    def service_start(self):
        """When the service took place: a booking's start, an order's report."""
        return self.booking.start if self.booking_id else self.order.reported_at


class Notice(models.TextChoices):
    """The kinds of notification bookings send (registered with the outbox, portal.notifications,
    in BookingsConfig.ready)."""

    REQUESTED = "requested", _("新的预约申请")
    APPROVED = "approved", _("预约已批准")
    REJECTED = "rejected", _("预约被拒绝")
    CANCELLED = "cancelled", _("预约已取消")
    REMINDER_24H = "reminder_24h", _("24 小时后上机")
    REMINDER_1H = "reminder_1h", _("1 小时后上机")
    WAITLIST = "waitlist", _("候补时段已空出")
    CLOSED = "closed", _("仪器停用，预约已取消")
    # A problem reported on an instrument, to its managers (outbox kind only: no migration).
    PROBLEM = "problem", _("仪器问题报告")
    EXPIRED = "expired", _("预约审批超时")
    NO_SHOW = "no_show", _("未到场释放")
    TRAINING_REQUESTED = "training_asked", _("新的培训申请")
    TRAINING_SCHEDULED = "training_set", _("培训已安排")
    TRAINING_RESULT = "training_result", _("培训结果")
    QUALIFIED = "qualified", _("上机资格已授予")
    QUALIFICATION_REVOKED = "qual_revoked", _("上机资格已撤销")


class CalendarToken(models.Model):
    """The secret in a person's private ICS address; revoking it ends the subscription."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_tokens")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="calendartoken_one_live"
            )
        ]

    def __str__(self) -> str:
        return f"calendar token of {self.user_id}"
