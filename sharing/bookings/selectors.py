"""Reads of bookings: who may see which, the instrument for availability."""

from django.db.models import Case, Count, DurationField, F, Q, QuerySet, Sum, When
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFound, require
from sharing.bookings import indicators, rules
from sharing.bookings.indicators import (
    CROSS_REGION,
    EXTERNAL,
    HOURS,
    ZERO,
    completed_in_year,
    voucher_entries_in_year,
)
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


# --- Reads for geo: the dashboard's figures and the layout map's flows ----------------------
# geo reads bookings only through these. The names they need are imported inside each function
# so that this section stays a pure addition to the module.


def year_bounds(year: int):
    """The Asia/Shanghai calendar year as [start, end) datetimes (the indicators' year)."""

    return indicators.year_bounds(year)


def yearly_base_hours():
    """The yearly base hours of utilisation (settings.INDICATOR_YEARLY_BASE_HOURS)."""

    return indicators.yearly_base_hours()


def figure_definitions() -> dict[str, str]:
    """What each booking figure counts (sharing.bookings.indicators.DEFINITIONS), in the
    current language: shown under the figure wherever it is shown."""

    return {key: str(text) for key, text in indicators.DEFINITIONS.items()}


def external_order_totals(*, year: int) -> dict:
    """The year's completed sample-testing orders for other organisations: ``orders`` and
    ``amount`` (元), as indicators.external_orders defines them."""

    return indicators.external_orders(year=year)


def completed_usage_by_instrument(*, year: int) -> QuerySet:
    """The year's completed bookings grouped per instrument and requester region, with the
    indicators' own expressions: ``instrument_id``, ``region_id`` (the instrument's),
    ``requester_region_id``, ``bookings``, ``duration`` (effective hours as an interval) and
    ``external`` (external service hours as an interval). A values queryset, for reading in SQL."""

    return (
        completed_in_year(year)
        .order_by()
        .values(
            "instrument_id",
            region_id=F("instrument__region_id"),
            requester_region_id=F("requester__organisation__region_id"),
        )
        .annotate(
            bookings=Count("pk"),
            duration=Sum(HOURS, output_field=DurationField()),
            external=Sum(
                Case(When(EXTERNAL, then=HOURS), default=ZERO), output_field=DurationField()
            ),
        )
    )


def voucher_net_by_instrument(*, year: int) -> QuerySet:
    """Voucher entries of the year's completed bookings summed per instrument:
    ``instrument_id``, ``region_id``, ``net`` (the redemptions, negative: money out of the
    vouchers, 元)."""

    return (
        voucher_entries_in_year(year)
        .order_by()
        .values(
            instrument_id=F("booking__instrument_id"), region_id=F("booking__instrument__region_id")
        )
        .annotate(net=-Sum("amount"))
    )


def cross_region_flows(*, year: int) -> list[tuple[str, str, int, object]]:
    """The year's completed cross-region bookings per direction, in one query: (requester's
    region code, instrument's region code, bookings, hours as an interval)."""

    rows = (
        completed_in_year(year)
        .filter(CROSS_REGION)
        .values_list("requester__organisation__region__code", "instrument__region__code")
        .annotate(n=Count("id"), hours=Sum(HOURS, output_field=DurationField()))
        .order_by("requester__organisation__region__code", "instrument__region__code")
    )
    return list(rows)


def monthly_usage(*, year: int) -> list[dict]:
    """The year's figures month by month, with the same definitions as the yearly ones: for
    each month 1–12 (by start, Asia/Shanghai) ``bookings``, ``hours`` (an interval) and
    ``cross_region`` bookings. Months without a booking are there with zeros."""
    rows = (
        completed_in_year(year)
        .annotate(month=ExtractMonth("period__startswith", tzinfo=indicators.CHINA))
        .order_by()
        .values("month")
        .annotate(
            bookings=Count("pk"),
            hours=Sum(HOURS, output_field=DurationField()),
            cross_region=Count("pk", filter=CROSS_REGION),
        )
    )
    found = {row["month"]: row for row in rows}
    empty = {"bookings": 0, "hours": None, "cross_region": 0}
    return [{"month": m, **{k: found.get(m, empty)[k] for k in empty}} for m in range(1, 13)]


# --- The manager's console ---------------------------------------------------------------------


def instruments_managed(*, user: User) -> QuerySet[Instrument]:
    """The instruments a person runs in the console: those they manage (every instrument still
    on offer for an administrator)."""
    if not getattr(user, "is_authenticated", False):
        return Instrument.objects.none()
    if user.is_administrator:
        return Instrument.objects.filter(withdrawn_at__isnull=True)
    return Instrument.objects.filter(managers=user)


def managed_instrument_get(*, pk: int, user: User) -> Instrument:
    """One instrument for the console: 404 when it does not exist (or is withdrawn, for those who
    do not manage it), 403 (rules.may_manage_instrument) when it is there but not theirs."""
    instrument = Instrument.objects.select_related("organisation", "region").filter(pk=pk).first()
    manages = instrument is not None and rules.is_manager_of(user=user, instrument=instrument)
    if instrument is None or (instrument.withdrawn_at is not None and not manages):
        raise NotFound(_("仪器不存在或已撤回。"))
    require(rules.may_manage_instrument(user=user, instrument=instrument))
    return instrument
