"""Booking pages: an instrument's week, my bookings and calendar address, the manager's queue,
and the vouchers of my organisation.

The pages read through sharing.bookings (availability, selectors, fees, vouchers) and write
only through the JSON API, from static scripts; every permission is checked here as well,
so a page never relies on a hidden button.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import chinese_calendar
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontend.views import voucher_pages
from portal import bounds
from portal.errors import RuleBroken, error_body
from portal.page_throttles import page_throttle
from sharing.bookings import fees, ics, rules
from sharing.bookings.availability import (
    TZ,
    availability,
    busy_intervals,
    open_intervals,
    policy_for,
    weekly_hours,
)
from sharing.bookings.models import Booking, VoucherEntry
from sharing.bookings.projects.selectors import chargeable_projects
from sharing.bookings.selectors import booking_list
from sharing.bookings.vouchers.ledger import max_share, voucher_cap
from sharing.bookings.vouchers.selectors import voucher_list, voucher_usable
from sharing.bookings.workdays import DayKind, day_kinds
from sharing.catalogue.models import Instrument

# A week taller than this many rows is drawn in coarser rows (a multiple of the slot).
MAX_ROWS = 48
PAST_LIMIT = 50
UPCOMING_LIMIT = 100
VOUCHERS_PER_PAGE = 20
LEDGER_SHOWN = 5
QUOTE_MAX = datetime.timedelta(days=7)

WEEKDAYS = [
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
]
# chinese-calendar names its festivals in English only.
FESTIVALS = {
    "New Year's Day": gettext_lazy("元旦"),
    "Spring Festival": gettext_lazy("春节"),
    "Tomb-sweeping Day": gettext_lazy("清明节"),
    "Labour Day": gettext_lazy("劳动节"),
    "Dragon Boat Festival": gettext_lazy("端午节"),
    "National Day": gettext_lazy("国庆节"),
    "Mid-autumn Festival": gettext_lazy("中秋节"),
}
DAY_LABELS = {
    DayKind.HOLIDAY: gettext_lazy("法定节假日"),
    DayKind.MAKEUP: gettext_lazy("调休上班"),
}


# --- The week of an instrument ----------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    date: datetime.date
    weekday: str
    kind: str
    label: str


@dataclass(frozen=True)
class Cell:
    state: str  # free, taken, unavailable, closed
    start: datetime.datetime
    free_end: datetime.datetime | None = None
    startable: bool = False
    holiday: bool = False


def _week_monday(raw: str | None) -> datetime.date:
    """The Monday of ?week=YYYY-MM-DD, or of this week when it is missing or nonsense."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(raw) if raw else today
    except ValueError:
        day = today
    # Far-off years would only overflow the prev/next arithmetic; nobody books them.
    if not bounds.date_in_range(day):
        day = today
    return day - datetime.timedelta(days=day.weekday())


def _festival(day: datetime.date) -> str:
    try:
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    return str(FESTIVALS.get(name, "")) if name else ""


def _days(monday: datetime.date, kinds: dict) -> list[Day]:
    days = []
    for offset in range(7):
        date = monday + datetime.timedelta(days=offset)
        kind = kinds[date]
        label = ""
        if kind in DAY_LABELS:
            festival = _festival(date)
            label = str(DAY_LABELS[kind])
            if festival:
                label = f"{festival} · {label}"
        days.append(Day(date=date, weekday=str(WEEKDAYS[offset]), kind=kind, label=label))
    return days


def _minute_span(intervals, monday: datetime.date) -> tuple[int, int] | None:
    """Earliest opening and latest closing, as minutes after local midnight, over the week."""
    first, last = None, None
    for offset in range(7):
        midnight = datetime.datetime.combine(
            monday + datetime.timedelta(days=offset), datetime.time(), tzinfo=TZ
        )
        next_midnight = midnight + datetime.timedelta(days=1)
        for lo, hi in intervals:
            lo, hi = max(lo, midnight), min(hi, next_midnight)
            if lo >= hi:
                continue
            a = int((lo - midnight).total_seconds() // 60)
            b = int((hi - midnight).total_seconds() // 60)
            first = a if first is None else min(first, a)
            last = b if last is None else max(last, b)
    return None if first is None else (first, last)


def _overlaps(lo, hi, intervals) -> bool:
    return any(a < hi and lo < b for a, b in intervals)


def _week_grid(*, instrument: Instrument, monday: datetime.date, days: list[Day], kinds: dict):
    """Rows of cells, one row per slot (or a few slots) between the week's earliest opening and
    latest closing, and the row length in minutes."""
    policy = policy_for(instrument)
    hours = weekly_hours(instrument)
    week_start = datetime.datetime.combine(monday, datetime.time(), tzinfo=TZ)
    week_end = week_start + datetime.timedelta(days=7)
    # The frame includes holidays' ordinary hours, so a holiday week still shows its rows.
    frame = open_intervals(policy=policy, hours=hours, kinds=kinds, close_holidays=False)
    span = _minute_span(frame, monday)
    if span is None:
        return [], policy.slot_minutes
    opened = open_intervals(policy=policy, hours=hours, kinds=kinds)
    free = availability(instrument=instrument, start=week_start, end=week_end)
    busy = [
        (datetime.datetime.fromtimestamp(a, TZ), datetime.datetime.fromtimestamp(b, TZ))
        for a, b in busy_intervals(instrument=instrument, policy=policy, lo=week_start, hi=week_end)
    ]
    slot = policy.slot_minutes
    first = span[0] // slot * slot
    last = -(-span[1] // slot) * slot
    step = slot
    while (last - first) / step > MAX_ROWS:
        step += slot
    shortest = datetime.timedelta(minutes=max(slot, policy.min_minutes))
    rows = []
    for minute in range(first, last, step):
        cells = []
        for day in days:
            lo = datetime.datetime.combine(day.date, datetime.time(), tzinfo=TZ)
            lo += datetime.timedelta(minutes=minute)
            hi = lo + datetime.timedelta(minutes=step)
            holiday = day.kind == DayKind.HOLIDAY
            around = next(((a, b) for a, b in free if a <= lo < b), None)
            if around is not None:
                cell = Cell("free", lo, free_end=around[1], startable=around[1] - lo >= shortest)
            elif _overlaps(lo, hi, opened) and _overlaps(lo, hi, busy):
                cell = Cell("taken", lo)
            elif _overlaps(lo, hi, opened):
                cell = Cell("unavailable", lo)
            else:
                cell = Cell("closed", lo, holiday=holiday)
            cells.append(cell)
        rows.append({"time": f"{minute // 60:02d}:{minute % 60:02d}", "cells": cells})
    return rows, step


def _refusal(instrument: Instrument, user) -> str:
    """Why nobody, or not this person, can book here (the services' own rule); empty when they
    can try. Who is not signed in is asked to sign in, not refused."""
    if user.is_authenticated:
        refusal = rules.may_use(user=user, instrument=instrument)
    else:
        refusal = rules.may_be_booked(instrument=instrument)
    return refusal.message if refusal is not None else ""


@page_throttle()
def booking_week(request, instrument_id: int):
    """Public: anyone sees the week; signed-in people who may book get the form."""
    instrument = (
        Instrument.objects.select_related("organisation", "region", "booking_policy")
        .filter(pk=instrument_id)
        .first()
    )
    if instrument is None:
        raise Http404
    monday = _week_monday(request.GET.get("week"))
    kinds = day_kinds(monday, monday + datetime.timedelta(days=6))
    days = _days(monday, kinds)
    rows, step = _week_grid(instrument=instrument, monday=monday, days=days, kinds=kinds)
    reason = _refusal(instrument, request.user)
    policy = policy_for(instrument)
    return render(
        request,
        "frontend/booking_week.html",
        {
            "instrument": instrument,
            "policy": policy,
            "days": days,
            "rows": rows,
            "row_minutes": step,
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            "prev_week": monday - datetime.timedelta(days=7),
            "next_week": monday + datetime.timedelta(days=7),
            "this_week": _week_monday(None),
            "not_bookable": reason,
            "can_book": request.user.is_authenticated and not reason,
            # The ledger's own cap (settings.VOUCHER_MAX_SHARE), as a whole percentage.
            "voucher_max_percent": f"{max_share() * 100:.0f}",
            # 服务方式 of the national service record; the first (自主上机) is the default.
            "service_modes": Booking.ServiceMode.choices,
            # The active projects of the person's organisation a booking may be charged to.
            "projects": list(chargeable_projects(user=request.user)),
        },
    )


def _json_error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse(error_body(code, message, **extra), status=status)


@page_throttle(json=True)
def booking_quote(request, instrument_id: int):
    """Signed in, JSON: the fee of [start, end) for the person asking, and the vouchers of their
    organisation usable on it with what each would cover (min(balance, share × fee))."""
    if not request.user.is_authenticated:
        return _json_error(401, "not_authenticated", _("请先登录。"))
    instrument = (
        Instrument.objects.select_related("region")
        .filter(pk=instrument_id, withdrawn_at__isnull=True)
        .first()
    )
    if instrument is None:
        return _json_error(404, "not_found", _("仪器不存在或已撤回。"))
    start = bounds.parse_datetime_param(request.GET.get("start", ""))
    end = bounds.parse_datetime_param(request.GET.get("end", ""))
    if start is None or end is None:
        return _json_error(400, "invalid", _("开始和结束时间须为 ISO 8601 格式。"))
    if not (bounds.datetime_in_range(start) and bounds.datetime_in_range(end)):
        return _json_error(400, "out_of_range", str(bounds.DATETIME_MESSAGE))
    if end - start > QUOTE_MAX:
        return _json_error(400, "invalid", _("时段过长。"))
    try:
        quote = fees.quote(instrument=instrument, requester=request.user, start=start, end=end)
    except RuleBroken as exc:
        return _json_error(400, exc.code, exc.message, rule=exc.rule)
    cap = voucher_cap(fee=quote.amount)
    vouchers = [
        {
            "id": voucher.pk,
            "code": voucher.code,
            "balance": str(voucher.balance),
            "covers": str(min(voucher.balance, cap) if quote.priced else Decimal("0.00")),
            "valid_until": voucher.valid_until.isoformat(),
        }
        for voucher in voucher_usable(user=request.user, instrument=instrument, start=start)
    ]
    return JsonResponse(
        {
            "priced": quote.priced,
            "rate_category": quote.rate_category,
            "rate_category_label": str(Booking.RateCategory(quote.rate_category).label),
            "cross_region": quote.cross_region,
            "hourly_rate": str(quote.hourly_rate),
            "amount": str(quote.amount),
            "fee_text": instrument.fee_text,
            "share": str(max_share()),
            "vouchers": vouchers,
        }
    )


# --- My bookings ------------------------------------------------------------------------------


@login_required
def my_bookings(request):
    """Signed in: my upcoming and past bookings, my private calendar address."""
    now = timezone.now()
    mine = booking_list(user=request.user, role="mine")
    upcoming = list(mine.filter(period__endswith__gt=now).order_by("period")[:UPCOMING_LIMIT])
    past = list(mine.filter(period__endswith__lte=now).order_by("-period")[:PAST_LIMIT])
    for booking in upcoming:
        booking.may_cancel = rules.may_cancel(user=request.user, booking=booking, now=now) is None
    token = ics.calendar_token_live(user=request.user)
    instruments = {b.instrument_id: b.instrument for b in [*upcoming, *past]}
    user = request.user
    return render(
        request,
        "frontend/booking_mine.html",
        {
            "upcoming": upcoming,
            "past": past,
            "calendar_url": (
                request.build_absolute_uri(reverse("calendar:feed", args=[token.token]))
                if token
                else ""
            ),
            "instruments": sorted(instruments.values(), key=lambda i: i.name),
            "is_manager": rules.manages_any(user=user),
        },
    )


# --- The approval queue ----------------------------------------------------------------------


# The newest flagged sessions; older ones the manager has long seen.
FORGOTTEN_SHOWN = 50


@login_required
def booking_queue(request):
    """Instrument managers (and administrators): requests awaiting approval on instruments they
    manage. Anyone else: 403, whatever the page would have shown."""
    user = request.user
    if not rules.manages_any(user=user):
        raise PermissionDenied
    requests = list(
        booking_list(user=user, role="manager", status=Booking.Status.REQUESTED)
        .select_related("requester__organisation__region", "instrument__region")
        .order_by("period")
    )
    # booking_list(role=manager) already limits rows to managed instruments; this is the
    # services' own rule, asked once per instrument, so the page and the API cannot disagree.
    allowed = {}
    for booking in requests:
        if booking.instrument_id not in allowed:
            allowed[booking.instrument_id] = rules.is_manager_of(
                user=user, instrument=booking.instrument
            )
    requests = [b for b in requests if allowed[b.instrument_id]]
    for booking in requests:
        booking.own_request = rules.is_self_approval(user=user, booking=booking)
    # Sessions beat checked out at their booked end: the manager checks the times and charge.
    forgotten = list(
        booking_list(user=user, role="manager", status=Booking.Status.COMPLETED)
        .filter(checkout_forgotten=True)
        .select_related("requester__organisation", "instrument")
        .order_by("-period")[:FORGOTTEN_SHOWN]
    )
    return render(
        request, "frontend/booking_queue.html", {"requests": requests, "forgotten": forgotten}
    )


# --- Vouchers --------------------------------------------------------------------------------


@login_required
def vouchers(request):
    """Signed in: my organisation's vouchers; coordinators and administrators see all. A
    member applies here for a voucher (POST) and follows the organisation's applications."""
    user = request.user
    apply_form = None
    if request.method == "POST":
        apply_form, done = voucher_pages.apply_post(request)
        if done:
            return redirect("frontend:vouchers")
    sees_all = rules.sees_every_organisation(user=user)
    page = Paginator(voucher_list(user=user), VOUCHERS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    # One query for the ledgers of the page, newest first, a few per voucher.
    ledgers: dict[int, list] = {v.pk: [] for v in shown}
    entries = (
        VoucherEntry.objects.filter(voucher__in=shown)
        .select_related("booking__instrument")
        .order_by("-created_at", "-pk")
    )
    for entry in entries:
        if len(ledgers[entry.voucher_id]) < LEDGER_SHOWN:
            ledgers[entry.voucher_id].append(entry)
    for voucher in shown:
        voucher.used = voucher.amount - voucher.balance
        voucher.recent = ledgers[voucher.pk]
        voucher.regions = list(voucher.accepted_in.all())
    return render(
        request,
        "frontend/booking_vouchers.html",
        {
            "page": page,
            "vouchers": shown,
            "sees_all": sees_all,
            "no_organisation": not sees_all and not user.organisation_id,
            "today": timezone.localdate(),
            **voucher_pages.apply_context(user, apply_form),
        },
    )
