"""Who may do what with a sample-testing order, and which stage allows it.

Each rule answers None when allowed, else the refusal (portal.errors): the person first (403),
then the stage (409). Services require() them, the API answers them, the pages hide buttons
with them. Who may *see* an order (everyone else gets 404) is selectors.order_visible.
"""

from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import Conflict, Forbidden, Refusal, RuleBroken
from sharing.bookings.models import SampleOrder
from sharing.bookings.rules import charge_waits, is_manager_of, may_manage_instrument, may_use
from sharing.catalogue.models import Instrument

S = SampleOrder.Status
# The customer may cancel until they accept the quote; a manager until the report is issued.
CUSTOMER_MAY_CANCEL = (S.SUBMITTED, S.QUOTED)
MANAGER_MAY_CANCEL = (S.SUBMITTED, S.QUOTED, S.ACCEPTED, S.RECEIVED, S.TESTING)


def offers_testing(*, instrument: Instrument) -> bool:
    """An instrument offers testing when its price list has an active item."""
    return instrument.test_items.filter(active=True).exists()


def may_order(*, user: User, instrument: Instrument) -> Refusal:
    """Whether this person may order a test on this instrument."""
    if not offers_testing(instrument=instrument):
        return RuleBroken(_("该仪器不提供委托测试。"), rule="no_testing")
    return may_use(user=user, instrument=instrument)


def is_customer(*, user: User, order: SampleOrder) -> bool:
    return order.customer_id == user.pk


def _stage(order: SampleOrder, *allowed: str) -> Refusal:
    if order.status not in allowed:
        return Conflict(
            _("委托单当前状态为“%(status)s”，不能执行此操作。")
            % {"status": order.get_status_display()},
            rule="wrong_status",
        )
    return None


def _manager(user: User, order: SampleOrder) -> Refusal:
    return may_manage_instrument(user=user, instrument=order.instrument)


def may_quote(*, user: User, order: SampleOrder) -> Refusal:
    """A manager confirms or changes the price and date, until the customer accepts."""
    return _manager(user, order) or _stage(order, S.SUBMITTED, S.QUOTED)


def may_accept(*, user: User, order: SampleOrder) -> Refusal:
    """The customer (or an administrator) accepts a quote, once."""
    if not (is_customer(user=user, order=order) or user.is_administrator):
        return Forbidden(_("只有委托人可以确认报价。"))
    return _stage(order, S.QUOTED)


def may_receive(*, user: User, order: SampleOrder) -> Refusal:
    """Not while the accepted charge waits for the project's principal investigator."""
    return _manager(user, order) or _stage(order, S.ACCEPTED) or charge_waits(order=order)


def may_start(*, user: User, order: SampleOrder) -> Refusal:
    return _manager(user, order) or _stage(order, S.RECEIVED)


def may_report(*, user: User, order: SampleOrder) -> Refusal:
    return _manager(user, order) or _stage(order, S.TESTING)


def may_close(*, user: User, order: SampleOrder) -> Refusal:
    return _manager(user, order) or _stage(order, S.REPORTED)


def may_cancel(*, user: User, order: SampleOrder) -> Refusal:
    """The customer before accepting the quote; a manager any time before the report."""
    if is_manager_of(user=user, instrument=order.instrument):
        return _stage(order, *MANAGER_MAY_CANCEL)
    if is_customer(user=user, order=order):
        if order.status in MANAGER_MAY_CANCEL and order.status not in CUSTOMER_MAY_CANCEL:
            return Conflict(
                _("报价确认后只能由仪器管理员取消，请联系管理员。"), rule="customer_cancel_too_late"
            )
        return _stage(order, *CUSTOMER_MAY_CANCEL)
    return Forbidden(_("只有委托人或该仪器的管理员可以取消委托。"))


def may_download_report(*, user: User, order: SampleOrder) -> Refusal:
    """The customer while still a member of the ordering organisation, the instrument's
    managers and administrators."""
    if is_manager_of(user=user, instrument=order.instrument):
        return None
    if is_customer(user=user, order=order) and (
        order.organisation_id is None or user.organisation_id == order.organisation_id
    ):
        return None
    return Forbidden(_("只有委托人和该仪器的管理员可以下载检测报告。"))


# The actions a page may offer, each with its rule: the pages ask these, as the services do.
ACTIONS = {
    "quote": may_quote,
    "accept": may_accept,
    "receive": may_receive,
    "start": may_start,
    "report": may_report,
    "close": may_close,
    "cancel": may_cancel,
}


def allowed_actions(*, user: User, order: SampleOrder) -> set[str]:
    return {name for name, rule in ACTIONS.items() if rule(user=user, order=order) is None}
