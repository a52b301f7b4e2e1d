"""Reads of training requests and qualifications: who sees which.

A person sees their own; a manager those on the instruments they manage (and so the names of
the people on those instruments, no others); an administrator all. Anything else is, for the
reader, not there (404).
"""

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFound
from sharing.bookings.models import Qualification, TrainingRequest
from sharing.catalogue.models import Instrument


def _managed(user: User):
    return Instrument.objects.filter(managers=user).values("pk")


def training_visible(*, user: User) -> QuerySet[TrainingRequest]:
    qs = TrainingRequest.objects.select_related(
        "instrument", "user", "user__organisation", "decided_by"
    )
    if user.is_administrator:
        return qs
    return qs.filter(Q(user=user) | Q(instrument_id__in=_managed(user)))


def training_list(
    *,
    user: User,
    role: str = "all",
    instrument: int | None = None,
    status: str | None = None,
) -> QuerySet[TrainingRequest]:
    """``mine``: my own requests; ``manager``: those on instruments I manage (all for an
    administrator); ``all``: both."""
    qs = training_visible(user=user)
    if role == "mine":
        qs = qs.filter(user=user)
    elif role == "manager" and not user.is_administrator:
        qs = qs.filter(instrument_id__in=_managed(user))
    if instrument is not None:
        qs = qs.filter(instrument_id=instrument)
    if status:
        qs = qs.filter(status=status)
    return qs


def training_get(*, pk: int, user: User) -> TrainingRequest:
    training = training_visible(user=user).filter(pk=pk).first()
    if training is None:
        raise NotFound(_("培训申请不存在。"))
    return training


def qualification_visible(*, user: User) -> QuerySet[Qualification]:
    qs = Qualification.objects.select_related(
        "instrument", "user", "user__organisation", "granted_by"
    )
    if user.is_administrator:
        return qs
    return qs.filter(Q(user=user) | Q(instrument_id__in=_managed(user)))


def qualification_list(
    *, user: User, role: str = "all", instrument: int | None = None
) -> QuerySet[Qualification]:
    qs = qualification_visible(user=user)
    if role == "mine":
        qs = qs.filter(user=user)
    elif role == "manager" and not user.is_administrator:
        qs = qs.filter(instrument_id__in=_managed(user))
    if instrument is not None:
        qs = qs.filter(instrument_id=instrument)
    return qs


def qualification_get(*, pk: int, user: User) -> Qualification:
    qualification = qualification_visible(user=user).filter(pk=pk).first()
    if qualification is None:
        raise NotFound(_("上机资格记录不存在。"))
    return qualification


def training_status_of(*, user: User, instrument: Instrument) -> dict:
    """What the instrument page tells a person: their qualification (valid or not) and their
    latest training request."""
    today = timezone.localdate()
    qualification = Qualification.objects.filter(user=user, instrument=instrument).first()
    latest = (
        TrainingRequest.objects.filter(user=user, instrument=instrument)
        .order_by("-created_at", "-pk")
        .first()
    )
    valid = (
        qualification is not None
        and qualification.revoked_at is None
        and qualification.valid_until >= today
    )
    return {"qualification": qualification, "qualified": valid, "training": latest}
