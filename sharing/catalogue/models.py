from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Confidence, Organisation, Region


class Platform(models.Model):
    """创新平台 / 共享平台 / 载体: where instruments are shared and innovation is hosted."""

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
        return self.location_confidence == Confidence.LOW
