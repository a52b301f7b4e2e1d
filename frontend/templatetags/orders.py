"""What the instrument page asks about sample-testing orders."""

from django import template

from sharing.bookings.orders import rules
from sharing.bookings.rules import may_manage_instrument

register = template.Library()


@register.simple_tag
def offers_testing(instrument) -> bool:
    return rules.offers_testing(instrument=instrument)


@register.simple_tag
def keeps_price_list(user, instrument) -> bool:
    return user.is_authenticated and may_manage_instrument(user=user, instrument=instrument) is None
