"""Reads of the manager's console (/manage/): the instruments a person runs, their bookings of
today and this week, what waits for them (requests, forgotten check-outs, open problems and
training requests). Bounded lists, a few queries, whatever the number of instruments."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.accounts.models import User
from sharing.bookings.availability import TZ
from sharing.bookings.models import Booking, OpeningHours, ProblemReport, TrainingRequest
from sharing.bookings.selectors import booking_list, instruments_managed
from sharing.catalogue.models import Instrument

LIST_LIMIT = 100
SHORT_LIMIT = 20
SHOWN = (
    Booking.Status.REQUESTED,
    Booking.Status.APPROVED,
    Booking.Status.CHECKED_IN,
    Booking.Status.COMPLETED,
)


def day_bounds(day: datetime.date, days: int = 1) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=TZ)
    return start, start + datetime.timedelta(days=days)


def waiting_count(*, user: User) -> int:
    """Requests waiting for approval on the instruments the person manages: one query."""
    return booking_list(user=user, role="manager", status=Booking.Status.REQUESTED).count()


def instruments_with_today(*, user: User, today: datetime.date) -> QuerySet[Instrument]:
    """The instruments the person runs, each with ``today_bookings`` (live or done today),
    ``waiting`` (requests), ``open_problems`` and ``has_hours``; in one query."""
    lo, hi = day_bounds(today)
    bookings = Booking.objects.filter(instrument=OuterRef("pk"))
    return (
        instruments_managed(user=user)
        .select_related("organisation")
        .annotate(
            # Correlated counts, not joins: joined, the three would multiply each other's rows.
            today_bookings=_count(bookings.filter(status__in=SHOWN, period__overlap=(lo, hi))),
            waiting=_count(bookings.filter(status=Booking.Status.REQUESTED)),
            open_problems=_count(
                ProblemReport.objects.filter(
                    instrument=OuterRef("pk"), status=ProblemReport.Status.OPEN
                )
            ),
            hours_rows=_count(OpeningHours.objects.filter(instrument=OuterRef("pk"))),
        )
        .order_by("name", "pk")
    )


def _count(qs: QuerySet) -> Subquery:
    counted = qs.order_by().values("instrument").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass
class Overview:
    today: list[Booking]
    week: list[Booking]
    waiting: int
    forgotten: list[Booking]
    problems: list[ProblemReport]
    training: list[TrainingRequest]


def console_overview(*, user: User, now: datetime.datetime | None = None) -> Overview:
    now = now or timezone.now()
    today = now.astimezone(TZ).date()
    monday = today - datetime.timedelta(days=today.weekday())
    day_lo, day_hi = day_bounds(today)
    week_lo, week_hi = day_bounds(monday, 7)
    mine = booking_list(user=user, role="manager").filter(status__in=SHOWN).order_by("period")
    week = list(mine.filter(period__overlap=(week_lo, week_hi))[:LIST_LIMIT])
    managed = instruments_managed(user=user).values("pk")
    return Overview(
        today=list(mine.filter(period__overlap=(day_lo, day_hi))[:LIST_LIMIT]),
        week=week,
        waiting=waiting_count(user=user),
        forgotten=list(
            booking_list(user=user, role="manager", status=Booking.Status.COMPLETED)
            .filter(checkout_forgotten=True)
            .order_by("-period")[:SHORT_LIMIT]
        ),
        problems=list(
            ProblemReport.objects.filter(instrument__in=managed, status=ProblemReport.Status.OPEN)
            .select_related("instrument", "reporter")
            .order_by("-created_at")[:SHORT_LIMIT]
        ),
        training=list(
            TrainingRequest.objects.filter(instrument__in=managed, status__in=TrainingRequest.OPEN)
            .select_related("instrument", "user")
            .order_by("created_at")[:SHORT_LIMIT]
        ),
    )
