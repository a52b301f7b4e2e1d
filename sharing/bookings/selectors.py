"""Reads of bookings: who may see which, the instrument for availability."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFound
from sharing.bookings.models import Booking
from sharing.catalogue.models import Instrument


def _base() -> QuerySet[Booking]:
    # Everything the booking serializer shows, in the one query.
    return Booking.objects.select_related(
        "instrument", "instrument__region", "requester", "requester__organisation"
    )


def booking_visible(*, user: User) -> QuerySet[Booking]:
    """Bookings a person may see: their own and those on instruments they manage;
    administrators see all. Everyone else's are, for them, not there (404)."""
    qs = _base()
    if user.is_administrator:
        return qs
    return qs.filter(Q(requester=user) | Q(instrument__managers=user)).distinct()


def booking_list(*, user: User, role: str = "mine", status: str | None = None) -> QuerySet[Booking]:
    """``mine``: my own bookings; ``manager``: bookings on the instruments I manage (all of
    them for an administrator)."""
    qs = _base()
    if role == "manager":
        if not user.is_administrator:
            managed = Instrument.objects.filter(managers=user).values("pk")
            qs = qs.filter(instrument_id__in=managed)
    else:
        qs = qs.filter(requester=user)
    if status:
        qs = qs.filter(status=status)
    return qs


def booking_get(*, pk: int, user: User) -> Booking:
    booking = booking_visible(user=user).filter(pk=pk).first()
    if booking is None:
        raise NotFound(_("预约不存在。"))
    return booking


def bookable_instrument_get(*, pk: int) -> Instrument:
    instrument = (
        Instrument.objects.filter(pk=pk, withdrawn_at__isnull=True)
        .select_related("region", "booking_policy")
        .first()
    )
    if instrument is None:
        raise NotFound(_("仪器不存在或已撤回。"))
    return instrument
