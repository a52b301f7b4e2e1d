"""Reads of sample-testing orders: who may see which (everyone else gets 404), and the public
price list of an instrument."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFound
from sharing.bookings.models import SampleOrder, TestItem
from sharing.catalogue.models import Instrument


def _base() -> QuerySet[SampleOrder]:
    return SampleOrder.objects.select_related(
        "instrument", "instrument__organisation", "customer", "organisation"
    )


def order_visible(*, user: User) -> QuerySet[SampleOrder]:
    """The customer's own orders and those on instruments the person manages; administrators
    see all."""
    if not user.is_authenticated:
        return SampleOrder.objects.none()
    qs = _base()
    if user.is_administrator:
        return qs
    managed = Instrument.objects.filter(managers=user).values("pk")
    return qs.filter(Q(customer=user) | Q(instrument_id__in=managed))


def order_list(*, user: User, role: str = "mine", status: str | None = None):
    """``mine``: my orders; ``manager``: those on the instruments I manage (all for an
    administrator); ``all``: both."""
    qs = order_visible(user=user)
    if role == "mine":
        qs = qs.filter(customer=user)
    elif role == "manager" and not user.is_administrator:
        qs = qs.filter(instrument__managers=user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-pk")


def order_get(*, pk: int, user: User) -> SampleOrder:
    order = order_visible(user=user).filter(pk=pk).first()
    if order is None:
        raise NotFound(_("委托单不存在。"))
    return order


def order_detail(order: SampleOrder) -> SampleOrder:
    """The order with its samples, items, history and report, for its page and the API."""
    return (
        _base()
        .prefetch_related("samples", "items__test_item", "transitions__by")
        .select_related("report")
        .get(pk=order.pk)
    )


def shared_instrument_get(*, pk: int) -> Instrument:
    """An instrument whose price list anyone may read: in the catalogue and shared."""
    instrument = (
        Instrument.objects.filter(pk=pk, withdrawn_at__isnull=True)
        .exclude(sharing_mode=Instrument.SharingMode.NONE)
        .select_related("organisation", "region")
        .first()
    )
    if instrument is None:
        raise NotFound(_("仪器不存在或已撤回。"))
    return instrument


def test_items(*, instrument: Instrument, with_inactive: bool = False) -> QuerySet[TestItem]:
    qs = instrument.test_items.all()
    if not with_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("name", "pk")


def test_item_get(*, instrument: Instrument, pk: int) -> TestItem:
    item = instrument.test_items.filter(pk=pk).first()
    if item is None:
        raise NotFound(_("检测项目不存在。"))
    return item
