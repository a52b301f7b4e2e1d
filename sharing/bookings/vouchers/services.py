"""Issuing 科技创新券 (innovation vouchers), honoured in every region they list (通用通兑)."""

import datetime
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Region
from portal.errors import RuleBroken
from sharing.bookings.fees import CENT
from sharing.bookings.models import Voucher


def _new_code(region: Region, valid_from: datetime.date) -> str:
    # adcode-year-random: readable on paper, unguessable enough not to be enumerated.
    return f"{region.adcode}-{valid_from:%Y}-{secrets.token_hex(4).upper()}"


@transaction.atomic
def voucher_issue(
    *,
    issuing_region: Region,
    organisation: Organisation,
    amount: Decimal,
    valid_from: datetime.date,
    valid_until: datetime.date,
    accepted_in: list[Region],
    code: str | None = None,
) -> Voucher:
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(CENT):
        raise RuleBroken(_("创新券面额须为正数，精确到分。"), rule="voucher_amount")
    if valid_from > valid_until:
        raise RuleBroken(_("创新券的生效日期不能晚于截止日期。"), rule="voucher_validity_order")
    if not accepted_in:
        raise RuleBroken(_("创新券至少要在一个地区通用。"), rule="voucher_accepted_nowhere")
    voucher = Voucher.objects.create(
        code=code or _new_code(issuing_region, valid_from),
        issuing_region=issuing_region,
        organisation=organisation,
        amount=amount,
        balance=amount,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    voucher.accepted_in.set(accepted_in)
    return voucher
