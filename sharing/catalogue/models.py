from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Confidence, Organisation, Region
from portal.choices import cached_field_display


class Platform(models.Model):
    """创新平台 / 共享平台 / 载体: where instruments are shared and innovation is hosted."""

    # get_<field>_display() without translating every label of the field (portal.choices).
    _get_FIELD_display = cached_field_display

    class Kind(models.TextChoices):
        SHARING_PLATFORM = "sharing_platform", _("共享平台")
        KEY_LABORATORY = "key_laboratory", _("重点实验室")
        ENGINEERING_CENTRE = "engineering_centre", _("工程技术研究中心")
        INCUBATOR = "incubator", _("孵化载体")
        NEW_RD_INSTITUTE = "new_rd_institute", _("新型研发机构")
        INDUSTRIAL_PARK = "industrial_park", _("产业园区")

    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省级")
        MUNICIPAL = "municipal", _("市级")
        DISTRICT = "district", _("区级")

    name = models.CharField(_("名称"), max_length=200, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, blank=True)
    host = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="platforms",
        verbose_name=_("依托单位"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="platforms", verbose_name=_("地区")
    )
    location = models.PointField(_("位置"), srid=4326, null=True, blank=True)
    location_confidence = models.CharField(
        _("位置可信度"), max_length=8, choices=Confidence.choices, blank=True
    )
    location_note = models.CharField(_("位置说明"), max_length=300, blank=True)
    place_key = models.SlugField(_("地点键"), max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("平台")
        verbose_name_plural = _("平台")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(location__isnull=True) | ~Q(location_confidence=""),
                name="platform_location_has_confidence",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location_is_approximate(self) -> bool:
        return Confidence.is_approximate(self.location_confidence)


class InstrumentClass(models.Model):
    """Top-level classification (设备分类编码, first two digits)."""

    code = models.CharField(_("代码"), max_length=2, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128)

    class Meta:
        verbose_name = _("仪器大类")
        verbose_name_plural = _("仪器大类")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{2}$"), name="instrumentclass_code_two_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FeedSource(models.Model):
    """A catalogue feed imported on a schedule: a file path on this server or an HTTP address."""

    name = models.SlugField(_("名称"), max_length=64, unique=True)
    title = models.CharField(_("说明"), max_length=200, blank=True)
    location = models.CharField(_("文件路径或网址"), max_length=500)
    full = models.BooleanField(
        _("全量"), default=False, help_text=_("全量源中缺失的仪器标记为撤回（不删除）。")
    )
    enabled = models.BooleanField(_("启用"), default=True)
    interval_minutes = models.PositiveIntegerField(_("同步间隔（分钟）"), default=24 * 60)
    last_run_at = models.DateTimeField(_("上次运行"), null=True, blank=True)
    last_status = models.CharField(_("上次结果"), max_length=16, blank=True)
    last_error = models.TextField(_("上次错误"), blank=True)

    class Meta:
        verbose_name = _("数据源")
        verbose_name_plural = _("数据源")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_minutes__gte=5), name="feedsource_interval_at_least_5"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))


class Instrument(models.Model):
    """单台套仪器: the national single-instrument record, plus rates and where it came from."""

    # get_<field>_display() without translating every label of the field (portal.choices).
    _get_FIELD_display = cached_field_display

    class Purpose(models.TextChoices):
        GENERAL = "general", _("通用")
        SPECIAL = "special", _("专用")

    class RunningStatus(models.TextChoices):
        NORMAL = "normal", _("正常")
        STANDBY = "standby", _("待机")
        REMOTE = "remote", _("远程服务中")
        OCCASIONAL_FAULT = "occasional_fault", _("偶有故障")
        FREQUENT_FAULT = "frequent_fault", _("故障频繁")
        AWAITING_REPAIR = "awaiting_repair", _("待修")
        AWAITING_DISPOSAL = "awaiting_disposal", _("待报废")

    class SharingMode(models.TextChoices):
        INTERNAL = "internal", _("内部共享")
        EXTERNAL = "external", _("外部共享")
        NONE = "none", _("不共享")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="instruments",
        verbose_name=_("所属单位"),
    )
    internal_code = models.CharField(_("所在单位仪器内部编码"), max_length=64)
    name = models.CharField(_("仪器名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    category_code = models.CharField(_("设备分类编码"), max_length=6)
    category = models.ForeignKey(
        InstrumentClass, on_delete=models.PROTECT, related_name="+", verbose_name=_("仪器大类")
    )
    purpose = models.CharField(_("仪器类别"), max_length=8, choices=Purpose.choices, blank=True)
    model = models.CharField(_("规格型号"), max_length=100, blank=True)
    manufacturer = models.CharField(_("生产制造商"), max_length=100, blank=True)
    country = models.CharField(_("产地国别"), max_length=2, blank=True)
    original_value = models.DecimalField(
        _("原值（万元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    in_service_date = models.DateField(_("启用日期"), null=True, blank=True)
    specifications = models.CharField(_("主要技术指标"), max_length=500, blank=True)
    functions = models.CharField(_("主要功能"), max_length=300, blank=True)
    disciplines = ArrayField(
        models.CharField(max_length=16), default=list, blank=True, verbose_name=_("主要学科领域")
    )
    services = models.CharField(_("服务内容"), max_length=200, blank=True)
    fee_text = models.CharField(_("参考收费标准"), max_length=500, blank=True)
    running_status = models.CharField(
        _("运行状态"), max_length=20, choices=RunningStatus.choices, default=RunningStatus.NORMAL
    )
    sharing_mode = models.CharField(
        _("共享模式"), max_length=10, choices=SharingMode.choices, default=SharingMode.EXTERNAL
    )
    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instruments",
        verbose_name=_("所属平台"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="instruments", verbose_name=_("所在地区")
    )
    address = models.CharField(_("安放地址"), max_length=300, blank=True)
    location = models.PointField(_("位置"), srid=4326, null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=64, blank=True)
    contact_email = models.CharField(_("电子邮箱"), max_length=254, blank=True)
    booking_url = models.URLField(_("预约服务网址"), max_length=500, blank=True)
    annual_running_hours = models.DecimalField(
        _("年总运行机时"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    annual_service_hours = models.DecimalField(
        _("年服务机时"), max_digits=8, decimal_places=1, null=True, blank=True
    )

    # Hourly rates (元/小时) by the requester's category; the bookings engine picks one.
    rate_internal = models.DecimalField(
        _("本单位费率"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    rate_same_region = models.DecimalField(
        _("同地区费率"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    rate_other_region = models.DecimalField(
        _("跨地区费率"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    rate_firm = models.DecimalField(
        _("企业费率"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    approval_required = models.BooleanField(_("预约需审批"), default=True)
    managers = models.ManyToManyField(
        "accounts.User", blank=True, related_name="managed_instruments", verbose_name=_("管理员")
    )

    source = models.ForeignKey(
        FeedSource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="instruments",
        verbose_name=_("数据源"),
    )
    source_key = models.CharField(_("源内键"), max_length=64, blank=True)
    # Hash of the normalised feed row: an unchanged row is recognised without comparing fields.
    row_hash = models.CharField(max_length=32, blank=True, editable=False)
    # Digest of the raw feed row as last imported, with the rules' version, the import's scope
    # and the source (feed_import.store): a re-import recognises an unchanged row by it without
    # validating the row again. None for rows that came without a source or not from a feed.
    feed_fingerprint = models.UUIDField(null=True, blank=True, editable=False)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("仪器")
        verbose_name_plural = _("仪器")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "internal_code"], name="instrument_unique_internal_code"
            ),
            models.CheckConstraint(
                condition=Q(category_code__regex=r"^[0-9]{6}$"),
                name="instrument_category_code_six_digits",
            ),
            models.CheckConstraint(
                condition=Q(category_code__startswith=F("category_id")),
                name="instrument_category_code_in_class",
            ),
            models.CheckConstraint(
                condition=Q(original_value__isnull=True) | Q(original_value__gte=0),
                name="instrument_original_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="instrument_country_alpha2",
            ),
            models.CheckConstraint(
                condition=Q(disciplines__len__lte=4), name="instrument_at_most_four_disciplines"
            ),
            models.CheckConstraint(
                condition=Q(annual_running_hours__isnull=True)
                | Q(annual_running_hours__gte=0, annual_running_hours__lte=8784),
                name="instrument_running_hours_in_year",
            ),
            models.CheckConstraint(
                condition=Q(annual_service_hours__isnull=True)
                | Q(annual_service_hours__gte=0, annual_service_hours__lte=8784),
                name="instrument_service_hours_in_year",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{rate}__isnull": True}) | Q(**{f"{rate}__gte": 0}),
                    name=f"instrument_{rate}_not_negative",
                )
                for rate in ("rate_internal", "rate_same_region", "rate_other_region", "rate_firm")
            ],
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="instrument_search_gin"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="instrument_name_trgm"),
            GinIndex(fields=["model"], opclasses=["gin_trgm_ops"], name="instrument_model_trgm"),
            models.Index(
                fields=["category_code"],
                name="instrument_category_code",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["region", "id"], name="instrument_region_id"),
            models.Index(fields=["source", "source_key"], name="instrument_source_key"),
            # The re-import's question: which of these fingerprints does the source hold live?
            models.Index(
                fields=["source", "feed_fingerprint"],
                name="instrument_source_fingerprint",
                condition=Q(withdrawn_at__isnull=True, feed_fingerprint__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.organisation}）"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ImportJob(models.Model):
    """One import of a feed file, by upload, command or schedule, followed through the API."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    LIVE = (Status.QUEUED, Status.RUNNING)

    source = models.ForeignKey(
        FeedSource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("数据源"),
    )
    source_name = models.CharField(_("数据源名称"), max_length=64, blank=True)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/", blank=True)
    original_filename = models.CharField(_("原文件名"), max_length=255, blank=True)
    full = models.BooleanField(_("全量"), default=False)
    dry_run = models.BooleanField(_("试运行"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    bytes_total = models.BigIntegerField(_("文件大小"), default=0)
    bytes_read = models.BigIntegerField(_("已读字节"), default=0)
    rows_read = models.PositiveIntegerField(_("读取行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    withdrawn = models.PositiveIntegerField(_("撤回"), default=0)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]
        constraints = [
            # Never two live runs of the same scheduled source.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["queued", "running"]),
                name="importjob_one_live_run_per_source",
            ),
            models.CheckConstraint(
                condition=Q(bytes_read__lte=F("bytes_total")) | Q(bytes_total=0),
                name="importjob_progress_within_file",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_name or self.original_filename}"

    @property
    def progress(self) -> float:
        if self.status == self.Status.SUCCEEDED:
            return 1.0
        return min(1.0, self.bytes_read / self.bytes_total) if self.bytes_total else 0.0


class ImportRejection(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=64, blank=True)
    reason = models.CharField(_("原因"), max_length=300)
    value = models.CharField(_("值"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("被拒行")
        verbose_name_plural = _("被拒行")
        ordering = ["job", "row_number"]
        indexes = [models.Index(fields=["job", "row_number"], name="importrejection_job_row")]
