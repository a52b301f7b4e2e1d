"""The kinds of notification the exchange sends, registered with the outbox
(portal.notifications) in TechmarketConfig.ready."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TechNotice(models.TextChoices):
    TECH_REVIEW = "tech_review", _("成果审查结论")
    TECH_MATCH = "tech_match", _("新的技术匹配")
    TECH_INQUIRY = "tech_inquiry", _("交易意向进展")
