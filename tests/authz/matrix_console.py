"""Rows for the manager's console: an instrument's hours, booking rules, rates and usage log in
the API, and the console's pages.

An instrument's console is for its managers and administrators (rules.may_manage_instrument):
anyone else signed in is refused (403: the instrument is public, its console is not); an
instrument that does not exist is 404 for everyone signed in.
"""

from sharing.bookings.models import BookingPolicy, OpeningHours
from tests.authz.matrix import LOGIN, ONLY, SIGNED_IN, Row

MANAGERS = {"manager_this", "admin"}
CONSOLE = {"manager_this", "manager_other", "admin"}
MISSING = 2**31 - 7  # no instrument has this id


def MANAGER(status):
    return ONLY(MANAGERS, status, else_=403)


def _api(path):
    return lambda w: f"/api/instruments/{w.instrument.pk}/{path}"


def _hours(w):
    return list(
        OpeningHours.objects.filter(instrument=w.instrument)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    )


def _policy(w):
    return BookingPolicy.objects.filter(instrument=w.instrument).values().first()


def _rates(w):
    w.instrument.refresh_from_db()
    return (w.instrument.rate_internal, w.instrument.rate_firm)


ROWS = [
    Row("api:instrument-hours", "GET", _api("hours/"), MANAGER(200)),
    Row(
        "api:instrument-hours",
        "GET",
        lambda w: f"/api/instruments/{MISSING}/hours/",
        SIGNED_IN(404),
        label="missing",
    ),
    Row(
        "api:instrument-hours",
        "PUT",
        _api("hours/"),
        MANAGER(200),
        body=lambda w: {"hours": [{"weekday": 5, "opens": "09:00", "closes": "12:00"}]},
        effect=_hours,
    ),
    Row("api:instrument-policy", "GET", _api("policy/"), MANAGER(200)),
    Row(
        "api:instrument-policy",
        "PATCH",
        _api("policy/"),
        MANAGER(200),
        body=lambda w: {"buffer_minutes": 15, "walk_up_allowed": True},
        effect=_policy,
    ),
    Row("api:instrument-rates", "GET", _api("rates/"), MANAGER(200)),
    Row(
        "api:instrument-rates",
        "PATCH",
        _api("rates/"),
        MANAGER(200),
        body=lambda w: {"internal": "42.00", "firm": None},
        effect=_rates,
    ),
    Row("api:instrument-usage", "GET", _api("usage/"), MANAGER(200)),
    Row("api:instrument-usage-export-csv", "GET", _api("usage/export.csv"), MANAGER(200)),
    Row("api:instrument-usage-export-xlsx", "GET", _api("usage/export.xlsx"), MANAGER(200)),
    Row(
        "frontend:manage",
        "GET",
        lambda w: "/manage/",
        ONLY(CONSOLE, 200, else_=403, anon=LOGIN),
    ),
    Row(
        "frontend:manage-instrument",
        "GET",
        lambda w: f"/manage/instruments/{w.instrument.pk}/",
        ONLY(MANAGERS, 200, else_=403, anon=LOGIN),
    ),
    Row(
        "frontend:manage-instrument",
        "GET",
        lambda w: f"/manage/instruments/{MISSING}/",
        SIGNED_IN(404, anon=LOGIN),
        label="missing",
    ),
    # A page's write answers 302 (back to the page) when saved; the refused get 403.
    Row(
        "frontend:manage-instrument",
        "POST",
        lambda w: f"/manage/instruments/{w.instrument.pk}/",
        ONLY(MANAGERS, 302, else_=403, anon=LOGIN),
        body=lambda w: {
            "section": "rates",
            "internal": "40",
            "same_region": "80",
            "other_region": "120",
            "firm": "",
        },
        fmt="form",
    ),
]


def _forgotten(w):
    """A session of researcher_mianyang's on manager_this's instrument that beat closed."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from sharing.bookings.models import Booking

    end = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    start = end - datetime.timedelta(hours=2)
    w.forgotten = Booking.objects.create(
        instrument=w.instrument,
        requester=w.people["researcher_mianyang"],
        period=(start, end),
        blocked=(start, end),
        status=Booking.Status.COMPLETED,
        purpose="授权矩阵测试",
        rate_category=Booking.RateCategory.OTHER_REGION,
        hourly_rate=Decimal("150.00"),
        fee_estimate=Decimal("300.00"),
        charge=Decimal("300.00"),
        checked_in_at=start,
        checked_out_at=end,
        checkout_forgotten=True,
    )
    w.forgotten.refresh_from_db()
    return f"/api/bookings/{w.forgotten.pk}/adjust-usage/"


def _adjusted_times(w):
    import datetime

    return {
        "checked_in_at": (w.forgotten.start + datetime.timedelta(minutes=10)).isoformat(),
        "checked_out_at": (w.forgotten.end - datetime.timedelta(minutes=30)).isoformat(),
    }


ROWS += [
    Row(
        "api:booking-adjust-usage",
        "POST",
        _forgotten,
        ONLY(MANAGERS, 200, else_=404) | {"researcher_mianyang": 403},
        body=_adjusted_times,
    ),
]
