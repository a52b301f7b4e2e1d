"""The plan's innovation layout (一圈一廊一带) as geometries.

A zone's members (platforms, instruments) are computed by a spatial query, never stored.
"""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class Zone(models.Model):
    class Kind(models.TextChoices):
        RING = "ring", _("一圈")
        CORRIDOR = "corridor", _("一廊")
        BELT = "belt", _("一带")

    code = models.SlugField(_("代号"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    description = models.TextField(_("规划原文"), blank=True)
    # The places the geometry was built from, in order: {key, role (centre, node, end, link),
    # name, name_en, lon, lat, confidence}; links (大学城, 金凤) are never buffered.
    nodes = models.JSONField(_("节点"), default=list, blank=True)
    geometry = models.MultiPolygonField(_("范围"), srid=4326)
    version = models.CharField(_("版本"), max_length=32)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("布局分区")
        verbose_name_plural = _("布局分区")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.name
