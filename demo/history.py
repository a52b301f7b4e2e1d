"""A year of demo history, so the dashboard, the map's flows and the indicators show real
figures on a fresh start. Demo only.

Bookings in the past cannot be made through booking_create (its notice rules refuse the past),
so each is inserted as booking_create would have written it (rate and estimate from
fees.quote, a transition per status) and then lives through the real services from there:
approval recorded with record_transition, the voucher reserved with voucher_reserve, check-in and
check-out through booking_check_in and booking_check_out at their moments (the charge comes
from fees.charge_for; the voucher is redeemed on it), a cancellation or a no-show released with
voucher_release. Nothing is notified. The
timestamps are then set back to when those things happened.

Deterministic: one seeded random generator over the open days of the 52 weeks before the day of
the first load. Idempotent: each booking carries its number in the plan at the end of its purpose
("（演示历史 017）"); once any is there, the history is not written again.
"""

from __future__ import annotations

import contextlib
import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from portal.accounts.models import Region, User
from portal.errors import RuleBroken
from sharing.bookings import fees
from sharing.bookings.models import Booking, BookingTransition, Voucher, VoucherEntry
from sharing.bookings.services import booking_check_in, booking_check_out
from sharing.bookings.services.bookings import record_transition
from sharing.bookings.vouchers.ledger import voucher_release, voucher_reserve
from sharing.bookings.vouchers.services import voucher_issue
from sharing.bookings.workdays import DayKind, day_kinds
from sharing.catalogue.models import Instrument

CHINA = ZoneInfo("Asia/Shanghai")
SEED = 13
DAYS = 364
TAG = "演示历史"

# The instruments people book in the demo (in service, shared outside their organisation), and
# how likely each is to be booked on an open day.
BOOKED = {
    "SWU-2019-0001": 0.35,  # SEM, Beibei
    "SWU-2017-0042": 0.12,  # TEM, Beibei (面议: unpriced)
    "CIGIT-2020-0107": 0.30,  # XRD, Beibei
    "CIGIT-2021-0213": 0.15,  # LC-MS, Beibei
    "SWUST-2018-0310": 0.25,  # NMR, Mianyang
    "SWUST-2022-0056": 0.25,  # confocal, Mianyang
}
# Who books an instrument of each region: both directions between the regions, and local use.
REQUESTERS = {
    "beibei": (
        ("researcher_mianyang", 4),
        ("researcher_beibei", 3),
        ("firm_demo", 2),
        ("manager_swu", 1),
    ),
    "mianyang": (("researcher_beibei", 5), ("researcher_mianyang", 3), ("firm_demo", 2)),
}
PURPOSES = {
    "SWU-2019-0001": ("材料断面形貌观察", "纳米颗粒粒径与分布", "涂层表面能谱分析"),
    "SWU-2017-0042": ("纳米晶体高分辨成像", "催化剂颗粒 STEM-EDS 分析"),
    "CIGIT-2020-0107": ("粉末样品物相分析", "薄膜掠入射衍射"),
    "CIGIT-2021-0213": ("小分子代谢物定量", "蛋白酶解产物鉴定"),
    "SWUST-2018-0310": ("有机合成产物结构确认", "聚合物组成分析"),
    "SWUST-2022-0056": ("细胞荧光共定位成像", "组织切片三维成像"),
}
STARTS = ((9, 0), (9, 30), (10, 0), (13, 30), (14, 0), (14, 30))
LENGTHS = (1, 1.5, 2, 2, 3)
VOUCHER_SHARE = 0.4  # of priced bookings by holders of a demo voucher
HISTORY_VOUCHER_AMOUNT = Decimal(30000)


@dataclass(frozen=True)
class Planned:
    number: int
    instrument: Instrument
    requester: User
    start: datetime.datetime
    end: datetime.datetime
    purpose: str
    outcome: str  # completed, cancelled, no_show
    use_voucher: bool
    early_minutes: int
    overrun_minutes: int


def _plan(*, today: datetime.date, instruments: dict, users: dict) -> list[Planned]:
    rng = random.Random(SEED)  # noqa: S311 - demo data, wanted the same on every load
    first, last = today - datetime.timedelta(days=DAYS), today - datetime.timedelta(days=1)
    open_days = [
        day
        for day, kind in sorted(day_kinds(first, last).items())
        if kind in (DayKind.WORKDAY, DayKind.MAKEUP)
    ]
    plan: list[Planned] = []
    for day in open_days:
        # One booking per instrument and day at most: the history never overlaps itself.
        for code, chance in BOOKED.items():
            draw = rng.random()
            hour, minute = rng.choice(STARTS)
            hours = rng.choice(LENGTHS)
            names, weights = zip(*REQUESTERS[instruments[code].region.code], strict=True)
            who = rng.choices(names, weights)[0]
            outcome = rng.choices(("completed", "cancelled", "no_show"), (90, 6, 4))[0]
            use_voucher = rng.random() < VOUCHER_SHARE
            early, overrun = rng.randint(-10, 5), rng.randint(-20, 15)
            purpose = rng.choice(PURPOSES[code])
            if draw >= chance:
                continue
            start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHINA)
            plan.append(
                Planned(
                    number=len(plan) + 1,
                    instrument=instruments[code],
                    requester=users[who],
                    start=start,
                    end=start + datetime.timedelta(hours=hours),
                    purpose=purpose,
                    outcome=outcome,
                    use_voucher=use_voucher,
                    early_minutes=early,
                    overrun_minutes=overrun,
                )
            )
    return plan


def _history_voucher(*, user: User, year: int, regions: list[Region]) -> Voucher | None:
    """The organisation's history voucher of a year (the demo voucher people try the booking
    form with is left untouched)."""
    org = user.organisation
    if org is None or org.kind == org.Kind.FIRM:
        return None
    code = f"DEMO-HIST-{org.region.adcode}-{year}"
    voucher = Voucher.objects.filter(code=code).first()
    if voucher is None:
        voucher = voucher_issue(
            issuing_region=org.region,
            organisation=org,
            amount=HISTORY_VOUCHER_AMOUNT,
            valid_from=datetime.date(year, 1, 1),
            valid_until=datetime.date(year, 12, 31),
            accepted_in=regions,
            code=code,
        )
    return voucher


def _live(item: Planned, approver: User, regions: list[Region]) -> Booking:
    instrument, requester = item.instrument, item.requester
    quote = fees.quote(instrument=instrument, requester=requester, start=item.start, end=item.end)
    period = DateTimeTZRange(item.start, item.end, "[)")
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=period,
        blocked=period,
        status=Booking.Status.REQUESTED,
        purpose=f"{item.purpose}（{TAG} {item.number:03d}）",
        cross_region=quote.cross_region,
        rate_category=quote.rate_category,
        hourly_rate=quote.hourly_rate,
        fee_estimate=quote.amount,
    )
    BookingTransition.objects.create(
        booking=booking, from_status="", to_status=Booking.Status.REQUESTED, by=requester
    )
    record_transition(booking, to=Booking.Status.APPROVED, by=approver)
    if item.use_voucher and quote.priced and quote.amount > 0:
        voucher = _history_voucher(user=requester, year=item.start.year, regions=regions)
        if voucher is not None:
            # A spent voucher refuses (RuleBroken): the fee is then paid in full.
            with contextlib.suppress(RuleBroken):
                voucher_reserve(voucher=voucher, booking=booking, by=requester)
    if item.outcome == "cancelled":
        record_transition(booking, to=Booking.Status.CANCELLED, by=requester, reason="实验计划调整")
        voucher_release(booking=booking)
    elif item.outcome == "no_show":
        record_transition(booking, to=Booking.Status.NO_SHOW, by=None, reason="未按时签到")
        voucher_release(booking=booking)
    else:
        check_in = item.start + datetime.timedelta(minutes=item.early_minutes)
        booking = booking_check_in(booking=booking, by=requester, now=check_in)
        check_out = item.end + datetime.timedelta(minutes=item.overrun_minutes)
        booking = booking_check_out(booking=booking, by=requester, now=check_out)
    return booking


# When each row of a history booking happened, from the booking's own times.
_BACKDATE = """
UPDATE {booking} b SET
    created_at = lower(b.period) - interval '3 days',
    updated_at = COALESCE(b.checked_out_at, lower(b.period))
WHERE b.id = ANY(%(ids)s);
UPDATE {transition} t SET at = CASE t.to_status
        WHEN 'requested' THEN b.created_at
        WHEN 'approved' THEN b.created_at + interval '2 hours'
        WHEN 'checked_in' THEN b.checked_in_at
        WHEN 'completed' THEN b.checked_out_at
        WHEN 'cancelled' THEN lower(b.period) - interval '1 day'
        ELSE lower(b.period) + interval '15 minutes' END
FROM {booking} b WHERE t.booking_id = b.id AND b.id = ANY(%(ids)s);
UPDATE {entry} e SET created_at = CASE e.kind
        WHEN 'reservation' THEN b.created_at + interval '2 hours 5 minutes'
        ELSE COALESCE(b.checked_out_at, lower(b.period) - interval '1 day') END
FROM {booking} b WHERE e.booking_id = b.id AND b.id = ANY(%(ids)s);
"""


@transaction.atomic
def history_load(*, users: dict[str, User], regions: list[Region], approver: User) -> int:
    """Write the planned history not written yet; the number of bookings written."""
    demo = {
        i.internal_code: i
        for i in Instrument.objects.filter(
            source__name="demo-sample", internal_code__in=BOOKED
        ).select_related("region", "organisation")
    }
    if len(demo) < len(BOOKED):
        return 0
    if Booking.objects.filter(purpose__contains=f"（{TAG} ").exists():
        # Written by an earlier load (perhaps on another day, with other dates): it stays as it
        # was, and nothing is added.
        return 0
    plan = _plan(today=timezone.localdate(), instruments=demo, users=users)
    managers = {i.pk: i.managers.order_by("pk").first() for i in demo.values()}
    written = [_live(item, managers[item.instrument.pk] or approver, regions).pk for item in plan]
    tables = {
        "booking": Booking._meta.db_table,
        "transition": BookingTransition._meta.db_table,
        "entry": VoucherEntry._meta.db_table,
    }
    with connection.cursor() as cursor:
        for statement in _BACKDATE.split(";"):
            if statement.strip():
                cursor.execute(statement.format(**tables), {"ids": written})
    return len(written)
