"""What listings and needs share as records a person files for their organisation: who acts for
one as its owner, and who may know one exists."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Organisation, Region, Role


def organisation_field(*, related_name: str, verbose_name):
    """The organisation a record is filed for: its owner."""
    return models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=verbose_name,
    )


def region_field():
    """The region of the filing organisation, copied when filed (maps and indicators)."""
    return models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在地区")
    )


def filed_by_field(*, related_name: str, verbose_name):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class FiledQuerySet(models.QuerySet):
    """Owned by its author and, with ``owner_role``, by the author's organisation; seen by its
    owners in any state, by reviewers past draft, by the brokers of its inquiries, and by
    everyone signed in once published."""

    owner_role: str

    def _owned(self, user) -> Q:
        owned = Q(created_by=user)
        if user.organisation_id and user.has_role(self.owner_role):
            owned |= Q(organisation_id=user.organisation_id)
        return owned

    def owned_by(self, user):
        """The records this person acts for as owner (rules.listing_is_owner and
        rules.need_is_owner, as a set)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(self._owned(user))

    def _member_visible(self, user):
        """What a signed-in person who is not an administrator may know exists."""
        visible = Q(status="published") | self._owned(user)
        if user.has_role(Role.REVIEWER):
            visible |= ~Q(status="draft")
        if user.has_role(Role.BROKER):
            visible |= Q(inquiries__broker=user)
        return self.filter(visible).distinct()
