"""The sharing indicators of reference/instrument-fields.md, from the portal's own bookings.

- effective hours (年有效工作机时): completed bookings, check-in to check-out when both were
  recorded, the booked time otherwise;
- external service hours (对外服务机时): those whose requester belongs to another organisation
  than the instrument's owner (a requester without an organisation is external);
- cross-region hours: those whose requester's organisation is in another region than the
  instrument (绵碚 cross-region flows);
- share rate (共享率) = external ÷ effective;
- utilisation (利用率) = effective ÷ (yearly base × instruments in the group), so a platform's
  figure is its instruments' mean. The base is settings.INDICATOR_YEARLY_BASE_HOURS.

A booking counts in the Asia/Shanghai calendar year in which it starts. These are the
definitions of every figure the portal shows about bookings - the dashboard (geo.analysis) and
the layout map's flows (geo.map) read them through sharing.bookings.selectors - and
DEFINITIONS below is the text shown under each figure:

- bookings: completed bookings starting in the year (completed_in_year);
- hours: effective hours as above;
- cross-region: the requester's organisation's region is not the instrument's (CROSS_REGION);
  the share is of bookings;
- voucher use: the redemptions (元) on the year's completed bookings. Each level is one
SQL statement grouped by the level's key; groups without a completed booking in the year are
left out (their hours are all zero), and so, at the platform level, are instruments shared
through no platform.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.models import User
from portal.errors import RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.models import Booking, SampleOrder, VoucherEntry
from sharing.catalogue.models import Instrument

CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_YEARLY_BASE_HOURS = 1600
LEVELS = ("instrument", "platform", "organisation", "region")

# The booking's group key and the instrument field with the same meaning (for counting the
# instruments of a group).
_KEYS = {
    "instrument": ("instrument_id", "id"),
    "platform": ("instrument__platform_id", "platform_id"),
    "organisation": ("instrument__organisation_id", "organisation_id"),
    "region": ("instrument__region_id", "region_id"),
}
_NAMES = {
    "instrument": "instrument__name",
    "platform": "instrument__platform__name",
    "organisation": "instrument__organisation__name",
    "region": "instrument__region__name",
}

# The expressions below are shared with geo.analysis, so its figures match these exactly.
ZERO = Value(datetime.timedelta(0), output_field=DurationField())
_BOOKED = ExpressionWrapper(
    F("period__endswith") - F("period__startswith"), output_field=DurationField()
)
_USED = ExpressionWrapper(F("checked_out_at") - F("checked_in_at"), output_field=DurationField())
# NULL - anything is NULL, so a booking missing either time falls back to the booked time.
HOURS = Coalesce(_USED, _BOOKED, output_field=DurationField())
EXTERNAL = Q(requester__organisation__isnull=True) | ~Q(
    requester__organisation_id=F("instrument__organisation_id")
)
CROSS_REGION = Q(requester__organisation__isnull=False) & ~Q(
    requester__organisation__region_id=F("instrument__region_id")
)


# What each figure counts, shown under it on the dashboard and the map's legend.
DEFINITIONS = {
    "bookings": gettext_lazy("已完成预约：状态为已完成、开始时间（北京时间）在该年度内的预约。"),
    "hours": gettext_lazy("机时：签到至签退的时长；未记录签到签退时按预约时段计。"),
    "cross_region": gettext_lazy(
        "跨地区：预约人单位所在地区与仪器所在地区不同（无单位者不计）；占比按预约数计。"
    ),
    "voucher_use": gettext_lazy("创新券使用：该年度已完成预约的创新券抵扣额减去退回额（元）。"),
    "external_orders": gettext_lazy(
        "对外服务委托测试：出具报告时间（北京时间）在该年度内、状态为已出报告或已完成、"
        "委托单位与仪器所属单位不同的委托测试单数及其费用（元）。"
    ),
}


def yearly_base_hours() -> Decimal:
    """settings.INDICATOR_YEARLY_BASE_HOURS (default 1600; Chongqing has used 1400)."""
    return Decimal(str(getattr(settings, "INDICATOR_YEARLY_BASE_HOURS", DEFAULT_YEARLY_BASE_HOURS)))


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    return (
        datetime.datetime(year, 1, 1, tzinfo=CHINA),
        datetime.datetime(year + 1, 1, 1, tzinfo=CHINA),
    )


def completed_in_year(year: int) -> QuerySet[Booking]:
    """The bookings every figure counts: completed, starting in the year (Asia/Shanghai)."""
    start, end = year_bounds(year)
    return Booking.objects.filter(
        status=Booking.Status.COMPLETED,
        period__startswith__gte=start,
        period__startswith__lt=end,
    )


def voucher_entries_in_year(year: int) -> QuerySet[VoucherEntry]:
    """The voucher entries counted as voucher use: the redemptions of the year's completed
    bookings (a redemption is made on the final charge; reservations are only held)."""
    return VoucherEntry.objects.filter(
        booking__in=completed_in_year(year).values("pk"), kind=VoucherEntry.Kind.REDEMPTION
    )


@dataclass(frozen=True)
class IndicatorRow:
    level: str
    key: int
    name: str
    bookings: int
    instruments: int
    effective_hours: Decimal
    external_hours: Decimal
    cross_region_hours: Decimal
    share_rate: Decimal | None  # None when there are no effective hours
    utilisation: Decimal | None  # None when the group has no instrument to divide by


def _hours(delta: datetime.timedelta | None) -> Decimal:
    if not delta:
        return Decimal("0.00")
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return (Decimal(micros) / Decimal(3_600_000_000)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def indicators(
    *, level: str, year: int, instruments: QuerySet[Instrument] | None = None
) -> list[IndicatorRow]:
    """The indicators of one level for one year, one row per group, largest effective hours
    first. ``instruments`` narrows the bookings counted (a manager's own instruments)."""
    if level not in LEVELS:
        raise RuleBroken(_("统计层级无效。"), rule="indicator_level", fields={"level": [level]})
    key, instrument_key = _KEYS[level]
    start, _end = year_bounds(year)
    bookings = completed_in_year(year)
    if level == "platform":
        # Instruments shared through no platform have no platform figure to be part of.
        bookings = bookings.filter(instrument__platform__isnull=False)
    pool = Instrument.objects.filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=start))
    if instruments is not None:
        bookings = bookings.filter(instrument__in=instruments.values("pk"))
        pool = pool.filter(pk__in=instruments.values("pk"))

    # The group's instruments (idle ones too): the denominator of the utilisation. Counted in
    # a grouped query of its own; as a correlated subquery in the GROUP BY it ran once per
    # booking row (11 s for 9,000 bookings, found by the dashboard's tests).
    if level == "instrument":
        counts = None
    else:
        counts = dict(
            pool.order_by()
            .values_list(instrument_key)
            .annotate(n=Count("pk"))
            .values_list(instrument_key, "n")
        )

    def hours_when(condition: Q | None):
        expr = HOURS if condition is None else Case(When(condition, then=HOURS), default=ZERO)
        return Coalesce(Sum(expr, output_field=DurationField()), ZERO)

    rows = (
        bookings.order_by()
        .values(key, _NAMES[level])
        .annotate(
            n_bookings=Count("pk"),
            effective=hours_when(None),
            external=hours_when(EXTERNAL),
            cross=hours_when(CROSS_REGION),
        )
        .order_by("-effective", key)
    )
    base = yearly_base_hours()
    result = []
    for row in rows:
        effective = _hours(row["effective"])
        external = _hours(row["external"])
        n_instruments = 1 if counts is None else counts.get(row[key], 0)
        result.append(
            IndicatorRow(
                level=level,
                key=row[key],
                name=row[_NAMES[level]],
                bookings=row["n_bookings"],
                instruments=n_instruments,
                effective_hours=effective,
                external_hours=external,
                cross_region_hours=_hours(row["cross"]),
                share_rate=_ratio(external, effective),
                utilisation=_ratio(effective, base * n_instruments),
            )
        )
    return result


def indicators_for_user(*, user: User, level: str, year: int) -> list[IndicatorRow]:
    """Coordinators and administrators see every level; an instrument manager sees the
    instrument level for the instruments they manage (a platform's figure from part of its
    instruments would mislead). Others are refused."""
    require(rules.may_see_indicators(user=user, level=level))
    if rules.sees_every_organisation(user=user):
        return indicators(level=level, year=year)
    return indicators(level=level, year=year, instruments=user.managed_instruments.all())


# --- Sample-testing orders (委托测试) ------------------------------------------------------------
# An order counts once its report is issued (reported or closed), in the Asia/Shanghai year of
# the report; it is external service (对外服务) when the ordering organisation is not the
# instrument's owner (an order without an organisation is external). DEFINITIONS["external_orders"]
# says so under the figure.

EXTERNAL_ORDER = Q(organisation__isnull=True) | ~Q(organisation_id=F("instrument__organisation_id"))


def orders_completed_in_year(year: int) -> QuerySet[SampleOrder]:
    start, end = year_bounds(year)
    return SampleOrder.objects.filter(
        status__in=SampleOrder.COMPLETED, reported_at__gte=start, reported_at__lt=end
    )


def external_orders(
    *, year: int, instruments: QuerySet[Instrument] | None = None
) -> dict[str, object]:
    """The year's completed external orders: ``orders`` (how many) and ``amount`` (their fees,
    元)."""
    qs = orders_completed_in_year(year).filter(EXTERNAL_ORDER)
    if instruments is not None:
        qs = qs.filter(instrument__in=instruments.values("pk"))
    totals = qs.aggregate(n=Count("pk"), amount=Sum("fee"))
    return {"orders": totals["n"] or 0, "amount": totals["amount"] or Decimal("0.00")}
