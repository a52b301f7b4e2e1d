"""Sample-testing orders (委托测试 / 送样检测): an instrument's price list, the customer's order
with its samples and test items, its history and its report.

The database holds the invariants: money is never negative, the voucher part never exceeds
the fee, an order past "submitted" carries its quote, each stage's timestamp is set once the
order has reached it, a reported order has its one report, a cancelled one its reason.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.catalogue.models import Instrument

MONEY = {"max_digits": 12, "decimal_places": 2}


class TestItem(models.Model):
    """One line of an instrument's price list for testing (检测项目)."""

    __test__ = False  # not a pytest class, whatever its name says

    class Unit(models.TextChoices):
        PER_SAMPLE = "per_sample", _("元/样")
        PER_ITEM = "per_item", _("元/项")

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="test_items", verbose_name=_("仪器")
    )
    name = models.CharField(_("检测项目"), max_length=100, validators=[ONE_LINE])
    unit = models.CharField(_("计价单位"), max_length=16, choices=Unit.choices)
    price = models.DecimalField(_("单价（元）"), **MONEY)
    minimum_charge = models.DecimalField(_("最低收费（元）"), default=0, **MONEY)
    urgent_surcharge_percent = models.DecimalField(
        _("加急加收（%）"), max_digits=5, decimal_places=2, default=0
    )
    active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检测项目")
        verbose_name_plural = _("检测项目")
        ordering = ["instrument", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(minimum_charge__gte=0),
                name="testitem_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(urgent_surcharge_percent__gte=0, urgent_surcharge_percent__lte=500),
                name="testitem_surcharge_0_to_500",
            ),
            models.UniqueConstraint(fields=["instrument", "name"], name="testitem_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.price} {self.get_unit_display()})"


class SampleOrder(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        QUOTED = "quoted", _("已报价")
        ACCEPTED = "accepted", _("已确认")
        RECEIVED = "received", _("已收样")
        TESTING = "testing", _("检测中")
        REPORTED = "reported", _("已出报告")
        CLOSED = "closed", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    # The stages in order; each one past SUBMITTED has its timestamp below.
    STAGES = (
        Status.SUBMITTED,
        Status.QUOTED,
        Status.ACCEPTED,
        Status.RECEIVED,
        Status.TESTING,
        Status.REPORTED,
        Status.CLOSED,
    )
    COMPLETED = (Status.REPORTED, Status.CLOSED)

    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="sample_orders", verbose_name=_("仪器")
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sample_orders",
        verbose_name=_("委托人"),
    )
    # The customer's organisation when ordering: the report goes to its members only.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("委托单位"),
    )
    project_name = models.CharField(
        _("项目名称"), max_length=200, blank=True, validators=[ONE_LINE]
    )
    # The project (课题) charged; project_name then repeats its name.
    project = models.ForeignKey(
        "bookings.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sample_orders",
        verbose_name=_("课题"),
    )
    urgent = models.BooleanField(_("加急"), default=False)
    notes = models.TextField(_("检测要求"), blank=True, max_length=2000, validators=[SEVERAL_LINES])
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    estimate = models.DecimalField(_("预估费用（元）"), default=0, **MONEY)
    quoted_price = models.DecimalField(_("报价（元）"), null=True, blank=True, **MONEY)
    quoted_date = models.DateField(_("承诺出报告日期"), null=True, blank=True)
    quote_note = models.CharField(_("报价说明"), max_length=300, blank=True, validators=[ONE_LINE])
    # The final charge and the part of it an innovation voucher pays (wired by the voucher
    # ledger: see sharing/bookings/orders/vouchers.py).
    fee = models.DecimalField(_("实际费用（元）"), default=0, **MONEY)
    voucher_part = models.DecimalField(_("创新券抵扣（元）"), default=0, **MONEY)
    # The voucher chosen at submission; its ledger entries are the record of what it paid.
    voucher = models.ForeignKey(
        "bookings.Voucher",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sample_orders",
        verbose_name=_("创新券"),
    )
    cancel_reason = models.CharField(
        _("取消理由"), max_length=300, blank=True, validators=[ONE_LINE]
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    quoted_at = models.DateTimeField(_("报价时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收样时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始检测时间"), null=True, blank=True)
    reported_at = models.DateTimeField(_("出报告时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("委托测试")
        verbose_name_plural = _("委托测试")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimate__gte=0, fee__gte=0, voucher_part__gte=0)
                & (Q(quoted_price__isnull=True) | Q(quoted_price__gte=0)),
                name="sampleorder_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(voucher_part__lte=F("fee")), name="sampleorder_voucher_within_fee"
            ),
            # Past "submitted" (and not cancelled before a quote) an order has its quote.
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "cancelled"])
                | Q(quoted_price__isnull=False, quoted_date__isnull=False, quoted_at__isnull=False),
                name="sampleorder_quoted_has_quote",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "received", "testing", "reported", "closed"])
                | Q(accepted_at__isnull=False),
                name="sampleorder_accepted_at",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["received", "testing", "reported", "closed"])
                | Q(received_at__isnull=False),
                name="sampleorder_received_at",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["testing", "reported", "closed"])
                | Q(started_at__isnull=False),
                name="sampleorder_started_at",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["reported", "closed"]) | Q(reported_at__isnull=False),
                name="sampleorder_reported_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="sampleorder_closed_at",
            ),
            # Cancelled exactly when it has a cancellation time and a reason.
            models.CheckConstraint(
                condition=(
                    Q(status="cancelled") & Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")
                )
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="sampleorder_cancelled_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="sampleorder_customer_recent"),
            models.Index(fields=["instrument", "status"], name="sampleorder_instrument_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.instrument_id} {self.status}"

    @property
    def samples_total(self) -> int:
        return sum(line.count for line in self.samples.all())


class SampleLine(models.Model):
    class Form(models.TextChoices):
        SOLID = "solid", _("固体")
        LIQUID = "liquid", _("液体")
        POWDER = "powder", _("粉末")
        FILM = "film", _("薄膜")
        OTHER = "other", _("其他")

    class Afterwards(models.TextChoices):
        RETURN = "return", _("退回")
        DISPOSE = "dispose", _("由检测方处置")

    order = models.ForeignKey(SampleOrder, on_delete=models.CASCADE, related_name="samples")
    name = models.CharField(_("样品名称"), max_length=100, validators=[ONE_LINE])
    count = models.PositiveIntegerField(_("数量"))
    form = models.CharField(_("形态"), max_length=16, choices=Form.choices)
    hazards = models.CharField(_("危险性说明"), max_length=300, blank=True, validators=[ONE_LINE])
    afterwards = models.CharField(
        _("检测后"), max_length=16, choices=Afterwards.choices, default=Afterwards.DISPOSE
    )

    class Meta:
        verbose_name = _("样品")
        verbose_name_plural = _("样品")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=1, count__lte=10000), name="sampleline_count_1_to_10000"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.count}"


class OrderItem(models.Model):
    """A test item of an order, its price as it was when ordered."""

    order = models.ForeignKey(SampleOrder, on_delete=models.CASCADE, related_name="items")
    test_item = models.ForeignKey(TestItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))
    unit = models.CharField(_("计价单位"), max_length=16, choices=TestItem.Unit.choices)
    unit_price = models.DecimalField(_("单价（元）"), **MONEY)
    amount = models.DecimalField(_("小计（元）"), **MONEY)

    class Meta:
        verbose_name = _("检测项目")
        verbose_name_plural = _("检测项目")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=10000),
                name="orderitem_quantity_1_to_10000",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, amount__gte=0), name="orderitem_money_not_negative"
            ),
            models.UniqueConstraint(fields=["order", "test_item"], name="orderitem_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.test_item_id} × {self.quantity}"


class SampleOrderTransition(models.Model):
    """Every status change: who, when, from, to, why."""

    order = models.ForeignKey(SampleOrder, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True, validators=[ONE_LINE])
    to_status = models.CharField(max_length=16, validators=[ONE_LINE])
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300, blank=True, validators=[ONE_LINE])

    class Meta:
        ordering = ["order", "at", "pk"]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.from_status}→{self.to_status}"


class OrderReport(models.Model):
    """The test report of an order (a PDF), stored privately under a generated name and served
    only through the checking view. One per order (the unique order)."""

    order = models.OneToOneField(SampleOrder, on_delete=models.CASCADE, related_name="report")
    file = models.FileField(_("报告文件"), upload_to="orders/%Y/%m/", max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200, validators=[ONE_LINE])
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("检测报告")
        verbose_name_plural = _("检测报告")
        constraints = [
            models.UniqueConstraint(fields=["order"], name="orderreport_one_per_order"),
            models.CheckConstraint(condition=~Q(file=""), name="orderreport_has_file"),
        ]

    def __str__(self) -> str:
        return self.original_name
