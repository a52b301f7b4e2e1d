"""Reads of vouchers: who sees which, their ledgers, and those a booking could use."""

import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Role, User
from portal.errors import NotFound
from sharing.bookings import rules
from sharing.bookings.models import (
    Booking,
    SampleOrder,
    SettlementLine,
    SettlementRequest,
    Voucher,
    VoucherApplication,
    VoucherEntry,
)
from sharing.bookings.vouchers.ledger import CHINA, MONEY, china_date
from sharing.catalogue.models import Instrument


def voucher_list(*, user: User) -> QuerySet[Voucher]:
    """The vouchers of the user's organisation (all of them for coordinators and
    administrators), each with its buckets (columns) and its releases and entries counted."""
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
            refunded=Coalesce(
                Sum("entries__amount", filter=Q(entries__kind=VoucherEntry.Kind.RELEASE)),
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
        .select_related("booking__instrument", "order__instrument")
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


# --- Applications and settlement --------------------------------------------------------------


def _coordinated_region(user: User) -> int | None:
    if user.has_role(Role.COORDINATOR) and user.organisation_id:
        return user.organisation.region_id
    return None


def application_list(*, user: User) -> QuerySet[VoucherApplication]:
    """The applications of the user's organisation and, for a coordinator, those to their
    region; every one for administrators. Newest first."""
    qs = VoucherApplication.objects.select_related(
        "organisation", "issuing_region", "applicant", "decided_by", "voucher"
    ).prefetch_related("accepted_in")
    if user.is_administrator:
        return qs.order_by("-created_at", "-pk")
    seen = Q(pk__in=[])
    if user.organisation_id:
        seen |= Q(organisation_id=user.organisation_id)
    region = _coordinated_region(user)
    if region is not None:
        seen |= Q(issuing_region_id=region)
    return qs.filter(seen).order_by("-created_at", "-pk")


def application_get(*, pk: int, user: User) -> VoucherApplication:
    application = application_list(user=user).filter(pk=pk).first()
    if application is None:
        raise NotFound(_("没有找到这份创新券申请。"))
    return application


def provider_organisations(*, user: User) -> list[int]:
    """The organisations the user speaks for in settlement (rules.manages_provider)."""
    ids = set(
        Instrument.objects.filter(managers=user)
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    if user.organisation_id and user.has_role(Role.INSTRUMENT_MANAGER):
        ids.add(user.organisation_id)
    return sorted(ids)


def settlement_list(*, user: User) -> QuerySet[SettlementRequest]:
    """Settlement requests of the organisations the user speaks for and, for a coordinator,
    those to their region; all for administrators. Each with its line count."""
    qs = SettlementRequest.objects.select_related(
        "provider", "issuing_region", "created_by", "paid_by"
    ).annotate(line_count=Count("lines"))
    if not user.is_administrator:
        seen = Q(provider_id__in=provider_organisations(user=user))
        region = _coordinated_region(user)
        if region is not None:
            seen |= Q(issuing_region_id=region)
        qs = qs.filter(seen)
    return qs.order_by("-created_at", "-pk")


def settlement_get(*, pk: int, user: User) -> SettlementRequest:
    request = settlement_list(user=user).filter(pk=pk).first()
    if request is None:
        raise NotFound(_("没有找到这份兑现申请。"))
    return request


def settlement_lines(*, request: SettlementRequest) -> QuerySet[SettlementLine]:
    return (
        SettlementLine.objects.filter(request=request)
        .select_related(
            "entry__voucher__organisation",
            "entry__booking__instrument",
            "entry__booking__requester__organisation",
            "entry__order__instrument",
        )
        .annotate(service_at=_service_at("entry__"))
        .order_by("service_at", "pk")
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=CHINA)


def _in_period(prefix: str, frm: datetime.date | None, to: datetime.date | None) -> Q:
    """Services whose booked start (Asia/Shanghai) falls in [frm, to]: every entry of one
    service lands in one period, whenever it was written."""
    q = Q()
    if frm is not None:
        q &= Q(**{f"{prefix}period__startswith__gte": _day_start(frm)})
    if to is not None:
        q &= Q(**{f"{prefix}period__startswith__lt": _day_start(to + datetime.timedelta(days=1))})
    return q


def _service_in_period(prefix: str, frm: datetime.date | None, to: datetime.date | None) -> Q:
    """Entries (``prefix`` leads from the query's model to the entry) whose service falls in
    [frm, to]: a booking by its start, a sample-testing order by its report (by its submission
    while not reported). Every entry of one service lands in one period."""
    if frm is None and to is None:
        return Q()

    def between(field: str) -> Q:
        q = Q()
        if frm is not None:
            q &= Q(**{f"{field}__gte": _day_start(frm)})
        if to is not None:
            q &= Q(**{f"{field}__lt": _day_start(to + datetime.timedelta(days=1))})
        return q

    reported = between(f"{prefix}order__reported_at")
    waiting = Q(**{f"{prefix}order__reported_at__isnull": True}) & between(
        f"{prefix}order__created_at"
    )
    return _in_period(f"{prefix}booking__", frm, to) | reported | waiting


def _service_at(prefix: str):
    """When an entry's service took place, for ordering: a booking's start, an order's report."""
    return Coalesce(F(f"{prefix}booking__period__startswith"), F(f"{prefix}order__reported_at"))


def settlement_eligible(
    *, provider_id: int, region_id: int, frm: datetime.date, to: datetime.date
) -> QuerySet[VoucherEntry]:
    """Redemptions that may be asked for: of completed services of the provider's instruments
    in the period, on vouchers the region issued, not in a settlement line still standing."""
    completed = Q(
        booking__instrument__organisation_id=provider_id,
        booking__status=Booking.Status.COMPLETED,
    ) | Q(
        order__instrument__organisation_id=provider_id,
        order__status__in=SampleOrder.COMPLETED,
    )
    return (
        VoucherEntry.objects.filter(
            _service_in_period("", frm, to),
            completed,
            kind=VoucherEntry.Kind.REDEMPTION,
            voucher__issuing_region_id=region_id,
        )
        .exclude(
            settlement_lines__status__in=[
                SettlementLine.Status.PENDING,
                SettlementLine.Status.APPROVED,
            ]
        )
        .select_related(
            "voucher__organisation",
            "booking__instrument",
            "booking__requester__organisation",
            "order__instrument",
        )
        .annotate(service_at=_service_at(""))
        .order_by("service_at", "pk")
    )


def voucher_ledger_sums(
    *,
    region_id: int | None = None,
    provider_id: int | None = None,
    frm: datetime.date | None = None,
    to: datetime.date | None = None,
    by_provider: bool = True,
) -> list[dict]:
    """Voucher money per issuing authority and where it was spent (the provider and its
    region, or only the region), for services booked in [frm, to]: ``reserved`` (held for
    services not yet done), ``redeemed`` (spent on completed services), ``settled`` (approved
    for payment by the authority) and ``paid``. The one definition of the dashboard's flow."""
    where = Q()
    if region_id is not None:
        where &= Q(voucher__issuing_region_id=region_id)
    if provider_id is not None:
        where &= Q(booking__instrument__organisation_id=provider_id) | Q(
            order__instrument__organisation_id=provider_id
        )

    def either(prefix: str, field: str):
        """A booking's or an order's instrument's field (exactly one of them is set)."""
        return Coalesce(
            F(f"{prefix}booking__instrument__{field}"), F(f"{prefix}order__instrument__{field}")
        )

    keys = {
        "issuing": lambda p: F(f"{p}voucher__issuing_region__code"),
        "spent": lambda p: either(p, "region__code"),
    }
    if by_provider:
        keys |= {"provider_id": lambda p: either(p, "organisation_id")}

    def amount(kind):
        return Coalesce(Sum("amount", filter=Q(kind=kind)), Value(Decimal(0)), output_field=MONEY)

    rows = (
        VoucherEntry.objects.filter(where, _service_in_period("", frm, to))
        .values(**{k: v("") for k, v in keys.items()})
        .annotate(
            res=amount(VoucherEntry.Kind.RESERVATION),
            rel=amount(VoucherEntry.Kind.RELEASE),
            red=amount(VoucherEntry.Kind.REDEMPTION),
            paid=amount(VoucherEntry.Kind.SETTLEMENT),
        )
        .order_by(*keys)
    )
    line_where = Q()
    if region_id:
        line_where &= Q(entry__voucher__issuing_region_id=region_id)
    if provider_id:
        line_where &= Q(entry__booking__instrument__organisation_id=provider_id) | Q(
            entry__order__instrument__organisation_id=provider_id
        )
    lines = (
        SettlementLine.objects.filter(status=SettlementLine.Status.APPROVED)
        .filter(line_where, _service_in_period("entry__", frm, to))
        .values(**{k: v("entry__") for k, v in keys.items()})
        .annotate(settled=Sum("amount"))
        .order_by(*keys)
    )
    settled = {tuple(r[k] for k in keys): r["settled"] for r in lines}
    names = dict(Organisation.objects.values_list("pk", "name")) if by_provider else {}
    out = []
    for r in rows:
        key = tuple(r[k] for k in keys)
        row = {
            "issuing_region": r["issuing"],
            "spent_region": r["spent"],
            "reserved": r["res"] - r["rel"] - r["red"],
            "redeemed": r["red"],
            "settled": settled.get(key, Decimal(0)),
            "paid": r["paid"],
        }
        if by_provider:
            row["provider"] = {"id": r["provider_id"], "name": names.get(r["provider_id"], "")}
        out.append(row)
    return out


def voucher_flows(*, year: int) -> list[dict]:
    """The flow of voucher money between regions in a year (by service date): issued by one
    region, spent in another (or the same), as voucher_ledger_sums without providers."""
    return voucher_ledger_sums(
        frm=datetime.date(year, 1, 1), to=datetime.date(year, 12, 31), by_provider=False
    )
