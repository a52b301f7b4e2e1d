"""Reads of vouchers: who sees which, their ledgers, and those a booking could use."""

import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFound
from sharing.bookings import rules
from sharing.bookings.models import Voucher, VoucherEntry
from sharing.bookings.vouchers.ledger import CHINA, MONEY, china_date
from sharing.catalogue.models import Instrument


def voucher_list(*, user: User) -> QuerySet[Voucher]:
    """The vouchers of the user's organisation (all of them for coordinators and
    administrators), each with its ledger summed up: redeemed, refunded, entries."""
    qs = Voucher.objects.all()
    if not rules.sees_every_organisation(user=user):
        if not user.organisation_id:
            return Voucher.objects.none()
        qs = qs.filter(organisation_id=user.organisation_id)
    zero = Value(Decimal(0))
    return (
        qs.select_related("issuing_region", "organisation")
        .prefetch_related("accepted_in")
        .annotate(
            redeemed=Coalesce(
                -Sum("entries__amount", filter=Q(entries__kind=VoucherEntry.Kind.REDEMPTION)),
                zero,
                output_field=MONEY,
            ),
            refunded=Coalesce(
                Sum("entries__amount", filter=Q(entries__kind=VoucherEntry.Kind.REFUND)),
                zero,
                output_field=MONEY,
            ),
            entry_count=Count("entries"),
        )
        .order_by("-valid_until", "-pk")
    )


def voucher_get(*, pk: int, user: User) -> Voucher:
    """One voucher the user may see, or NotFound (no hint that others' vouchers exist)."""
    voucher = voucher_list(user=user).filter(pk=pk).first()
    if voucher is None:
        raise NotFound(_("没有找到这张创新券。"))
    return voucher


def voucher_ledger(*, voucher: Voucher) -> QuerySet[VoucherEntry]:
    return (
        VoucherEntry.objects.filter(voucher=voucher)
        .select_related("booking__instrument")
        .order_by("created_at", "pk")
    )


def voucher_usable(
    *, user: User, instrument: Instrument, start: datetime.datetime
) -> QuerySet[Voucher]:
    """The requester's organisation's vouchers that a booking of this instrument starting at
    ``start`` could use: accepted in the instrument's region, valid that day, not empty. For the
    booking form; voucher_redeem checks again under the lock."""
    if not user.organisation_id:
        return Voucher.objects.none()
    day = china_date(start)
    return Voucher.objects.filter(
        organisation_id=user.organisation_id,
        accepted_in=instrument.region_id,
        valid_from__lte=day,
        valid_until__gte=day,
        balance__gt=0,
    ).order_by("valid_until", "pk")


def voucher_today_valid(voucher: Voucher) -> bool:
    today = timezone.now().astimezone(CHINA).date()
    return voucher.valid_from <= today <= voucher.valid_until
