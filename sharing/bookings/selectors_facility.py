"""Reads of an instrument's closures and problem reports, for the API and the pages."""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFound
from sharing.bookings.models import Blackout, ProblemReport
from sharing.catalogue.models import Instrument

CLOSURES_SHOWN = 200
PAST_CLOSURE_DAYS = 30


def closures_of(
    *, instrument: Instrument, now: datetime.datetime | None = None, past_days: int = 0
) -> QuerySet[Blackout]:
    """The instrument's closures still to end (and those ended in the last ``past_days``),
    earliest first, at most CLOSURES_SHOWN."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=past_days)
    return (
        Blackout.objects.filter(instrument=instrument, period__endswith__gt=since)
        .select_related("created_by")
        .order_by("period")[:CLOSURES_SHOWN]
    )


def closure_get(*, instrument: Instrument, pk: int) -> Blackout:
    closure = (
        Blackout.objects.filter(instrument=instrument, pk=pk).select_related("instrument").first()
    )
    if closure is None:
        raise NotFound(_("停用时段不存在。"))
    return closure


def _problems() -> QuerySet[ProblemReport]:
    return ProblemReport.objects.select_related(
        "instrument", "reporter__organisation", "resolved_by", "closure"
    )


def problems_visible(*, user: User) -> QuerySet[ProblemReport]:
    """Administrators see every report; a manager those on their instruments; everyone their
    own."""
    if not user.is_authenticated:
        return ProblemReport.objects.none()
    if user.is_administrator:
        return _problems()
    managed = Instrument.objects.filter(managers=user).values("pk")
    return _problems().filter(Q(reporter=user) | Q(instrument__in=managed))


def problems_managed(*, user: User, status: str | None = None) -> QuerySet[ProblemReport]:
    """The reports on the instruments this person manages (all of them for administrators)."""
    qs = _problems()
    if not user.is_administrator:
        qs = qs.filter(instrument__in=Instrument.objects.filter(managers=user).values("pk"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def problem_get(*, pk: int, user: User) -> ProblemReport:
    problem = problems_visible(user=user).filter(pk=pk).first()
    if problem is None:
        raise NotFound(_("问题报告不存在。"))
    return problem


def problem_history(*, instrument: Instrument, limit: int = 50) -> list[ProblemReport]:
    """The instrument page's history: open and resolved reports, newest first."""
    return list(_problems().filter(instrument=instrument).order_by("-created_at", "-pk")[:limit])
