"""The scored pairs matching keeps (sharing.techmarket.matching computes them)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sharing.techmarket.models.listings import TechListing
from sharing.techmarket.models.needs import TechNeed


class Match(models.Model):
    """A scored pair of a published listing and a published need, with the reasons."""

    listing = models.ForeignKey(TechListing, on_delete=models.CASCADE, related_name="matches")
    need = models.ForeignKey(TechNeed, on_delete=models.CASCADE, related_name="matches")
    score = models.FloatField(_("匹配度"))
    # {"keywords": {"score", "weight", "terms": [...]}, "field": {...}, "trl": {...}, ...}
    reasons = models.JSONField(_("匹配理由"), default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("匹配结果")
        verbose_name_plural = _("匹配结果")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "need"], name="match_once_per_pair"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="match_score_0_1"),
        ]
        indexes = [
            models.Index(fields=["need", "-score"], name="match_by_need"),
            models.Index(fields=["listing", "-score"], name="match_by_listing"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} ↔ {self.need_id}: {self.score:.2f}"
