"""Writes of the manager's console: an instrument's weekly opening hours, its booking policy and
its hourly rates.

Each asks rules.may_manage_instrument (its managers and administrators), checks every value
before writing anything (a refusal names the field, or the row of the week, that is wrong) and
records the change in the audit trail. Availability reads hours and policy afresh on every call
(sharing/bookings/availability.py keeps no cache), so a change counts for the calendar, the
search and new bookings as soon as it commits. Bookings already made keep their times, price
and buffer: a manager's change applies to what is booked next.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.errors import RuleBroken, require
from sharing.bookings import rules
from sharing.bookings.availability import END_OF_DAY, policy_for
from sharing.bookings.models import BookingPolicy, OpeningHours
from sharing.catalogue.models import Instrument

DAY_MINUTES = 24 * 60
MAX_INTERVALS_PER_DAY = 6
# 元/小时: the column holds up to 99,999,999.99; a rate beyond this is a typing slip.
MAX_RATE = Decimal("100000")
RATE_FIELDS = {
    "internal": "rate_internal",
    "same_region": "rate_same_region",
    "other_region": "rate_other_region",
    "firm": "rate_firm",
}

# What booking_policy_update accepts, with the bounds of each number (inclusive).
POLICY_NUMBERS = {
    "slot_minutes": (5, DAY_MINUTES),
    "min_minutes": (5, 7 * DAY_MINUTES),
    "max_minutes": (5, 7 * DAY_MINUTES),
    "min_notice_minutes": (0, 90 * DAY_MINUTES),
    "max_advance_days": (1, 730),
    "buffer_minutes": (0, DAY_MINUTES),
    "weekly_quota_minutes": (5, 7 * DAY_MINUTES),  # or None: no quota
}
POLICY_FLAGS = ("closed_on_holidays", "qualification_required", "walk_up_allowed")
INSTRUMENT_FLAGS = ("approval_required",)
POLICY_FIELDS = (*POLICY_NUMBERS, *POLICY_FLAGS, *INSTRUMENT_FLAGS)

HourRow = tuple[int, datetime.time, datetime.time]


# --- Reading the week -----------------------------------------------------------------------


def minute_of_day(moment: datetime.time, *, closing: bool = False) -> int:
    """Minutes since midnight; a closing time of 23:59 is midnight (availability.END_OF_DAY)."""
    if closing and moment >= END_OF_DAY:
        return DAY_MINUTES
    return moment.hour * 60 + moment.minute


def time_text(moment: datetime.time, *, closing: bool = False) -> str:
    """HH:MM, and 24:00 for a day that closes at midnight."""
    return "24:00" if closing and moment >= END_OF_DAY else moment.strftime("%H:%M")


def parse_time(value, *, closing: bool = False) -> datetime.time:
    """A time of day from a time or "HH:MM"; "24:00" (closing only) is stored as 23:59."""
    if isinstance(value, datetime.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    text = str(value).strip()
    if closing and text in ("24:00", "24:00:00"):
        return END_OF_DAY
    try:
        parsed = datetime.time.fromisoformat(text)
    except ValueError:
        raise ValueError(text) from None
    if parsed.second or parsed.microsecond:
        raise ValueError(text)
    return parsed.replace(tzinfo=None)


def hours_of(instrument: Instrument) -> list[HourRow]:
    return list(
        OpeningHours.objects.filter(instrument=instrument)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    )


def _hours_label(rows) -> list[str]:
    return [f"{w}:{time_text(o)}-{time_text(c, closing=True)}" for w, o, c in rows]


# --- Checking ---------------------------------------------------------------------------------


def _row_problem(weekday, opens, closes, *, slot: int) -> str | None:
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        return _("星期须为 0（星期一）到 6（星期日）。")
    if opens >= closes:
        return _("开放时间须早于关闭时间。")
    start, end = minute_of_day(opens), minute_of_day(closes, closing=True)
    if start % 5 or (end % 5 and end != DAY_MINUTES):
        return _("时间须为 5 分钟的整数倍。")
    if DAY_MINUTES % slot == 0 and (start % slot or end % slot):
        return _("开放和关闭时间须落在 %(slot)d 分钟的预约时段上（从零点起算）。") % {"slot": slot}
    return None


def hours_problems(hours, *, slot: int) -> dict[int, str]:
    """Every row that is wrong, by its index in ``hours``: a weekday outside 0–6, a time that is
    not one, opening not before closing, a time off the slot grid, two intervals of one day
    overlapping or touching (to be written as one)."""
    problems: dict[int, str] = {}
    parsed: list[tuple[int, int, int, int]] = []  # (weekday, start, end, index)
    for index, row in enumerate(hours):
        try:
            weekday, opens, closes = row
            opens, closes = parse_time(opens), parse_time(closes, closing=True)
        except (TypeError, ValueError):
            problems[index] = _("每行须为星期、开放时间、关闭时间（HH:MM）。")
            continue
        problem = _row_problem(weekday, opens, closes, slot=slot)
        if problem:
            problems[index] = problem
            continue
        parsed.append((weekday, minute_of_day(opens), minute_of_day(closes, closing=True), index))
    parsed.sort()
    reach: tuple[int, int, int] | None = None  # (weekday, furthest end so far, its row)
    for weekday, start, end, index in parsed:
        if reach is not None and reach[0] == weekday:
            if start < reach[1]:
                problems[index] = _("与第 %(row)d 行的时段重叠。") % {"row": reach[2] + 1}
            elif start == reach[1]:
                problems[index] = _("与第 %(row)d 行的时段首尾相接，请合并为一段。") % {
                    "row": reach[2] + 1
                }
        if reach is None or reach[0] != weekday or end > reach[1]:
            reach = (weekday, end, index)
    per_day: dict[int, int] = {}
    for weekday, _start, _end, index in parsed:
        per_day[weekday] = per_day.get(weekday, 0) + 1
        if per_day[weekday] > MAX_INTERVALS_PER_DAY and index not in problems:
            problems[index] = _("每天最多 %(n)d 个开放时段。") % {"n": MAX_INTERVALS_PER_DAY}
    return problems


def _refuse_hours(problems: dict[int, str]) -> RuleBroken:
    first = min(problems)
    return RuleBroken(
        _("开放时间第 %(row)d 行：%(problem)s") % {"row": first + 1, "problem": problems[first]},
        rule="hours_invalid",
        fields={f"hours.{index}": [message] for index, message in sorted(problems.items())},
    )


# --- Opening hours ----------------------------------------------------------------------------


def _locked_instrument(instrument: Instrument) -> Instrument:
    """The instrument row, locked: two managers saving at once write one after the other."""
    return Instrument.objects.select_for_update().get(pk=instrument.pk)


@transaction.atomic
def opening_hours_set(*, instrument: Instrument, by: User, hours: list) -> list[OpeningHours]:
    """Replace the instrument's whole week by ``hours``, a list of (weekday 0–6, opens, closes)
    in Asia/Shanghai wall-clock time ("24:00" or 23:59 closes at midnight); an empty list closes
    the instrument. Any bad row refuses the whole week: nothing is half written."""
    require(rules.may_manage_instrument(user=by, instrument=instrument))
    hours = list(hours)
    if len(hours) > 7 * MAX_INTERVALS_PER_DAY:
        raise RuleBroken(
            _("一周最多 %(n)d 个开放时段。") % {"n": 7 * MAX_INTERVALS_PER_DAY},
            rule="hours_invalid",
        )
    _locked_instrument(instrument)
    slot = policy_for(instrument).slot_minutes
    problems = hours_problems(hours, slot=slot)
    if problems:
        raise _refuse_hours(problems)
    rows = sorted(
        (weekday, parse_time(opens), parse_time(closes, closing=True))
        for weekday, opens, closes in hours
    )
    before = hours_of(instrument)
    OpeningHours.objects.filter(instrument=instrument).delete()
    created = OpeningHours.objects.bulk_create(
        OpeningHours(instrument=instrument, weekday=w, opens=o, closes=c) for w, o, c in rows
    )
    audit_record(
        actor=by,
        action="instrument.hours_set",
        target=instrument,
        changes={"hours": [_hours_label(before), _hours_label(rows)]},
    )
    return created


# --- Booking policy ---------------------------------------------------------------------------


def _number(field: str, value, problems: dict) -> int | None:
    if value is None and field == "weekly_quota_minutes":
        return None
    low, high = POLICY_NUMBERS[field]
    try:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError
        number = value if isinstance(value, int) else int(value.strip())
    except ValueError:
        problems[field] = [_("请输入整数。")]
        return None
    if not low <= number <= high:
        problems[field] = [_("须在 %(low)d 到 %(high)d 之间。") % {"low": low, "high": high}]
        return None
    return number


def _combination_problems(values: dict, hours: list[HourRow]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    slot, low, high = values["slot_minutes"], values["min_minutes"], values["max_minutes"]
    if low > high:
        problems["min_minutes"] = [_("最短预约不能长于最长预约。")]
    if high < slot:
        problems["max_minutes"] = [_("最长预约不能短于一个时段。")]
    quota = values["weekly_quota_minutes"]
    if quota is not None and quota < max(low, slot):
        problems["weekly_quota_minutes"] = [_("每周限额不能少于一次最短预约。")]
    if DAY_MINUTES % slot:
        problems.setdefault("slot_minutes", []).append(
            _("时段粒度须能整除一天（1440 分钟），如 5、10、15、30、60。")
        )
    elif hours_problems(hours, slot=slot):
        problems.setdefault("slot_minutes", []).append(
            _("现有开放时间不在 %(slot)d 分钟的时段上，请先调整开放时间。") % {"slot": slot}
        )
    return problems


@transaction.atomic
def booking_policy_update(*, instrument: Instrument, by: User, **fields) -> BookingPolicy:
    """Change some of the instrument's booking rules (POLICY_FIELDS; approval_required is the
    instrument's own column). Every value is checked alone and together with the others
    (shortest ≤ longest, a slot that divides the day and fits the opening hours, a quota that
    admits one booking) before anything is written."""
    require(rules.may_manage_instrument(user=by, instrument=instrument))
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise RuleBroken(
            _("未知的预约规则字段：%(fields)s") % {"fields": "、".join(unknown)},
            rule="policy_invalid",
            fields={name: [_("未知字段。")] for name in unknown},
        )
    locked = _locked_instrument(instrument)
    policy = policy_for(locked)
    values = {name: getattr(policy, name) for name in (*POLICY_NUMBERS, *POLICY_FLAGS)}
    values["approval_required"] = locked.approval_required
    problems: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name in POLICY_NUMBERS:
            values[name] = _number(name, value, problems)
        elif not isinstance(value, bool):
            problems[name] = [_("须为是或否。")]
        else:
            values[name] = value
    if not problems:
        problems = _combination_problems(values, hours_of(locked))
    if problems:
        first = next(iter(problems.values()))[0]
        raise RuleBroken(first, rule="policy_invalid", fields=problems)

    changes = {}
    for name, value in values.items():
        before = locked.approval_required if name == "approval_required" else getattr(policy, name)
        if before != value:
            changes[name] = [before, value]
    for name in (*POLICY_NUMBERS, *POLICY_FLAGS):
        setattr(policy, name, values[name])
    policy.save()
    if locked.approval_required != values["approval_required"]:
        locked.approval_required = values["approval_required"]
        locked.save(update_fields=["approval_required", "updated_at"])
    # The caller's instance too: it may go on to price or book with what it holds.
    instrument.approval_required = locked.approval_required
    instrument.booking_policy = policy
    if changes:
        audit_record(actor=by, action="instrument.policy_updated", target=locked, changes=changes)
    return policy


# --- Rates ------------------------------------------------------------------------------------


def _rate(value, name: str, problems: dict) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems[name] = [_("请输入金额。")]
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        problems[name] = [_("请输入金额。")]
        return None
    if not amount.is_finite():
        problems[name] = [_("请输入金额。")]
    elif amount < 0:
        problems[name] = [_("费率不能为负数。")]
    elif amount > MAX_RATE:
        problems[name] = [_("费率不能超过 %(max)s 元/小时。") % {"max": MAX_RATE}]
    elif amount != amount.quantize(Decimal("0.01")):
        problems[name] = [_("金额最多保留两位小数。")]
    else:
        return amount.quantize(Decimal("0.01"))
    return None


@transaction.atomic
def instrument_rates_update(
    *,
    instrument: Instrument,
    by: User,
    internal: Decimal | None,
    same_region: Decimal | None,
    other_region: Decimal | None,
    firm: Decimal | None,
) -> Instrument:
    """Set the four hourly rates (元/小时, 0 to MAX_RATE, two decimals; None: no stated rate,
    such a booking is priced 0 and agreed with the manager). Bookings already made keep the rate
    they were quoted. The reference fee text (参考收费标准) is the catalogue's and stays as it is;
    the console shows it beside the rates so the two can be kept consistent."""
    require(rules.may_manage_instrument(user=by, instrument=instrument))
    problems: dict[str, list[str]] = {}
    given = {"internal": internal, "same_region": same_region, "other_region": other_region}
    given["firm"] = firm
    amounts = {name: _rate(value, name, problems) for name, value in given.items()}
    if problems:
        first = next(iter(problems.values()))[0]
        raise RuleBroken(first, rule="rates_invalid", fields=problems)
    locked = _locked_instrument(instrument)
    changes = {}
    for name, column in RATE_FIELDS.items():
        before = getattr(locked, column)
        if before != amounts[name]:
            changes[column] = [_money_text(before), _money_text(amounts[name])]
        setattr(locked, column, amounts[name])
        setattr(instrument, column, amounts[name])
    if changes:
        locked.save(update_fields=[*RATE_FIELDS.values(), "updated_at"])
        audit_record(actor=by, action="instrument.rates_updated", target=locked, changes=changes)
    return locked


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
