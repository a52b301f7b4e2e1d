"""The manager's console: /manage/ (my instruments, today's and this week's bookings, what waits)
and /manage/instruments/<id>/ (opening hours as a week, booking rules, rates, usage log).

Who may enter is the API's rule: rules.manages_any for the console, and for one instrument
selectors.managed_instrument_get (404 when it is not there, 403 when it is not theirs). Every
form is written by the services the API calls, so a value the API refuses the page refuses with
the same message, shown next to the field, with what was typed kept.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import DomainError, Forbidden, NotFound
from sharing.bookings import rules, usage
from sharing.bookings.availability import TZ, policy_for
from sharing.bookings.console import console_overview, instruments_with_today
from sharing.bookings.models import Booking
from sharing.bookings.selectors import managed_instrument_get
from sharing.bookings.services import instrument_setup as setup
from sharing.bookings.services.usage import booking_adjust_usage
from sharing.catalogue.models import Instrument

USAGE_SHOWN = 20
WEEKDAYS = [
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
]
MIN_ROWS_PER_DAY = 2
POLICY_LABELS = {
    "slot_minutes": (
        gettext_lazy("时段粒度（分钟）"),
        gettext_lazy("须能整除一天，如 15、30、60。"),
    ),
    "min_minutes": (gettext_lazy("最短预约（分钟）"), ""),
    "max_minutes": (gettext_lazy("最长预约（分钟）"), ""),
    "min_notice_minutes": (gettext_lazy("最短提前（分钟）"), ""),
    "max_advance_days": (gettext_lazy("最远可约（天）"), ""),
    "buffer_minutes": (gettext_lazy("前后间隔（分钟）"), gettext_lazy("对之后的新预约生效。")),
    "weekly_quota_minutes": (gettext_lazy("每人每周限额（分钟）"), gettext_lazy("留空表示不限。")),
    "approval_required": (gettext_lazy("预约需审批"), ""),
    "walk_up_allowed": (gettext_lazy("允许扫码现场直接上机"), ""),
    "qualification_required": (gettext_lazy("需持有上机资格"), ""),
    "closed_on_holidays": (gettext_lazy("法定节假日不开放"), ""),
}
RATE_LABELS = {
    "internal": gettext_lazy("本单位用户"),
    "same_region": gettext_lazy("同地区用户"),
    "other_region": gettext_lazy("跨地区用户"),
    "firm": gettext_lazy("企业用户"),
}


# --- /manage/ ---------------------------------------------------------------------------------


@login_required
def console(request):
    """Instrument managers and administrators; anyone else 403."""
    user = request.user
    if not rules.manages_any(user=user):
        raise PermissionDenied
    today = timezone.localdate()
    return render(
        request,
        "frontend/manage_console.html",
        {
            "instruments": list(instruments_with_today(user=user, today=today)),
            "overview": console_overview(user=user),
            "today": today,
        },
    )


# --- /manage/instruments/<id>/ ------------------------------------------------------------------


@dataclass
class Interval:
    opens: str = ""
    closes: str = ""
    error: str = ""
    index: int | None = None  # the row's place in what was sent to the service


@dataclass
class DayColumn:
    weekday: int
    label: str
    intervals: list[Interval] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)


def _blocks(rows) -> list[dict]:
    """Saved intervals of one day as percentages of the day, for the drawn week."""
    blocks = []
    for opens, closes in rows:
        start = setup.minute_of_day(opens)
        end = setup.minute_of_day(closes, closing=True)
        blocks.append(
            {
                "top": f"{start / 14.4:.2f}",
                "height": f"{(end - start) / 14.4:.2f}",
                "label": f"{setup.time_text(opens)}–{setup.time_text(closes, closing=True)}",
            }
        )
    return blocks


def _week_columns(instrument: Instrument, posted: list[list[Interval]] | None) -> list[DayColumn]:
    saved: dict[int, list] = {}
    for weekday, opens, closes in setup.hours_of(instrument):
        saved.setdefault(weekday, []).append((opens, closes))
    columns = []
    for weekday in range(7):
        column = DayColumn(weekday=weekday, label=str(WEEKDAYS[weekday]))
        column.blocks = _blocks(saved.get(weekday, []))
        if posted is not None:
            column.intervals = posted[weekday]
        else:
            column.intervals = [
                Interval(setup.time_text(o), setup.time_text(c, closing=True))
                for o, c in saved.get(weekday, [])
            ]
        spare = max(1, MIN_ROWS_PER_DAY - len(column.intervals))
        room = setup.MAX_INTERVALS_PER_DAY - len(column.intervals)
        column.intervals += [Interval() for _ in range(min(spare, max(room, 0)))]
        columns.append(column)
    return columns


def _posted_hours(post) -> tuple[list, list[list[Interval]], list[str]]:
    """The week as sent: rows for the service (blank pairs skipped), the form's intervals per
    day to show again, and problems of shape (half a pair)."""
    rows, shown, problems = [], [], []
    for weekday in range(7):
        opens_list = post.getlist(f"opens_{weekday}")[: setup.MAX_INTERVALS_PER_DAY + 1]
        closes_list = post.getlist(f"closes_{weekday}")[: setup.MAX_INTERVALS_PER_DAY + 1]
        day = []
        for opens, closes in zip(opens_list, closes_list, strict=False):
            opens, closes = opens.strip()[:8], closes.strip()[:8]
            interval = Interval(opens, closes)
            if opens and closes:
                interval.index = len(rows)
                rows.append((weekday, opens, closes))
            elif opens or closes:
                interval.error = _("请同时填写开放和关闭时间。")
                problems.append(interval.error)
            day.append(interval)
        shown.append(day)
    return rows, shown, problems


def _save_hours(request, instrument):
    rows, shown, problems = _posted_hours(request.POST)
    if problems:
        return {"hours": shown}, _("开放时间有误，请检查标出的时段。")
    try:
        setup.opening_hours_set(instrument=instrument, by=request.user, hours=rows)
    except DomainError as exc:
        by_index = {}
        for key, messages_ in (exc.fields or {}).items():
            if key.startswith("hours."):
                by_index[int(key.split(".", 1)[1])] = messages_[0]
        for day in shown:
            for interval in day:
                if interval.index is not None and interval.index in by_index:
                    interval.error = by_index[interval.index]
        return {"hours": shown}, exc.message
    return None, _("开放时间已保存，即时生效。")


def _checkbox(post, name: str) -> bool:
    return post.get(name) in ("on", "1", "true")


def _save_policy(request, instrument):
    post = request.POST
    fields = {name: post.get(name, "").strip()[:12] for name in setup.POLICY_NUMBERS}
    if not fields["weekly_quota_minutes"]:
        fields["weekly_quota_minutes"] = None
    flags = {name: _checkbox(post, name) for name in (*setup.POLICY_FLAGS, *setup.INSTRUMENT_FLAGS)}
    try:
        setup.booking_policy_update(instrument=instrument, by=request.user, **fields, **flags)
    except DomainError as exc:
        errors = {name: messages_[0] for name, messages_ in (exc.fields or {}).items()}
        return {"policy": {**fields, **flags}, "policy_errors": errors}, exc.message
    return None, _("预约规则已保存，即时生效。")


def _save_rates(request, instrument):
    values = {name: request.POST.get(name, "").strip()[:20] for name in setup.RATE_FIELDS}
    try:
        setup.instrument_rates_update(
            instrument=instrument, by=request.user, **{k: v or None for k, v in values.items()}
        )
    except DomainError as exc:
        errors = {name: messages_[0] for name, messages_ in (exc.fields or {}).items()}
        return {"rates": values, "rates_errors": errors}, exc.message
    return None, _("费率已保存，新的预约按新费率计费。")


def _save_adjust(request, instrument):
    """A forgotten check-out's real times (HH:MM on the booking's day) and charge."""
    post = request.POST
    values = {
        name: post.get(name, "").strip()[:20]
        for name in ("booking", "checked_in", "checked_out", "charge")
    }
    values["reason"] = post.get("reason", "")[:300]
    number = values["booking"]
    booking = (
        Booking.objects.filter(instrument=instrument, pk=int(number) if number.isdigit() else 0)
        .select_related("instrument")
        .first()
    )
    if booking is None:
        return {"adjust": values}, _("预约不存在。")
    day = booking.start.astimezone(TZ).date()
    try:
        times = [
            datetime.datetime.combine(day, setup.parse_time(values[name]), tzinfo=TZ)
            for name in ("checked_in", "checked_out")
        ]
    except ValueError:
        return {"adjust": values}, _("请按 HH:MM 填写上机和下机时间。")
    try:
        booking_adjust_usage(
            booking=booking,
            by=request.user,
            checked_in_at=times[0],
            checked_out_at=times[1],
            charge=values["charge"] or None,
            reason=values["reason"],
        )
    except DomainError as exc:
        return {"adjust": values}, exc.message
    return None, _("使用记录已调整。")


SECTIONS = {
    "hours": _save_hours,
    "policy": _save_policy,
    "rates": _save_rates,
    "usage": _save_adjust,
}


def _instrument_or_refuse(request, instrument_id: int) -> Instrument:
    try:
        return managed_instrument_get(pk=instrument_id, user=request.user)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None


@login_required
def instrument_console(request, instrument_id: int):
    instrument = _instrument_or_refuse(request, instrument_id)
    kept, status = {}, 200
    if request.method == "POST":
        section = request.POST.get("section", "")
        save = SECTIONS.get(section)
        if save is None:
            messages.error(request, _("无效的操作，请刷新页面后重试。"))
            return redirect("frontend:manage-instrument", instrument_id=instrument.pk)
        kept, message = save(request, instrument)
        if kept is None:
            messages.success(request, message)
            url = reverse("frontend:manage-instrument", args=[instrument.pk])
            return redirect(f"{url}#{section}")
        kept["error_section"] = section
        kept["error_message"] = message
        status = 400
        instrument = _instrument_or_refuse(request, instrument_id)
    return render(
        request, "frontend/manage_instrument.html", _context(instrument, kept), status=status
    )


def _context(instrument: Instrument, kept: dict) -> dict:
    policy = policy_for(instrument)
    saved_policy = {
        name: getattr(policy, name) for name in (*setup.POLICY_NUMBERS, *setup.POLICY_FLAGS)
    }
    saved_policy["approval_required"] = instrument.approval_required
    if saved_policy["weekly_quota_minutes"] is None:
        saved_policy["weekly_quota_minutes"] = ""
    saved_rates = {
        name: "" if getattr(instrument, column) is None else getattr(instrument, column)
        for name, column in setup.RATE_FIELDS.items()
    }
    log = [
        usage.entry(b, reveal=True) for b in usage.usage_log(instrument=instrument)[:USAGE_SHOWN]
    ]
    values, errors = kept.get("policy", saved_policy), kept.get("policy_errors", {})
    policy_fields = [
        {
            "name": name,
            "label": label,
            "hint": hint,
            "value": values.get(name, ""),
            "error": errors.get(name, ""),
            "checkbox": name not in setup.POLICY_NUMBERS,
        }
        for name, (label, hint) in POLICY_LABELS.items()
    ]
    rates, rate_errors = kept.get("rates", saved_rates), kept.get("rates_errors", {})
    rate_fields = [
        {
            "name": name,
            "label": label,
            "value": rates.get(name, ""),
            "error": rate_errors.get(name, ""),
        }
        for name, label in RATE_LABELS.items()
    ]
    return {
        "instrument": instrument,
        "slot_minutes": policy.slot_minutes,
        "policy_fields": policy_fields,
        "rate_fields": rate_fields,
        "columns": _week_columns(instrument, kept.get("hours")),
        "max_per_day": setup.MAX_INTERVALS_PER_DAY,
        "error_section": kept.get("error_section", ""),
        "error_message": kept.get("error_message", ""),
        "usage": log,
        "adjust": kept.get("adjust", {}),
        "usage_shown": USAGE_SHOWN,
    }
