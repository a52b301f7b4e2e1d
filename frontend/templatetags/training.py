"""Training and qualification panels, each included in its page with one line:
``{% load training %}{% training_panel instrument %}`` on the instrument page and
``{% load training %}{% my_training %}`` on "我的预约"."""

from django import template
from django.utils import timezone

from sharing.bookings import rules
from sharing.bookings.models import TrainingRequest
from sharing.bookings.selectors_training import (
    qualification_list,
    training_list,
    training_status_of,
)

register = template.Library()

MY_SHOWN = 20


@register.inclusion_tag("frontend/_training_panel.html", takes_context=True)
def training_panel(context, instrument) -> dict:
    """The person's standing on an instrument that requires a qualification: qualified until
    a date, a request in progress, or the form to ask (when the rule lets them)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    answer = {"instrument": instrument, "shown": rules.needs_qualification(instrument)}
    if not answer["shown"]:
        return answer
    answer["signed_in"] = bool(user and user.is_authenticated)
    if not answer["signed_in"]:
        answer["login_next"] = request.path if request else ""
        return answer
    answer.update(training_status_of(user=user, instrument=instrument))
    training = answer["training"]
    answer["training_open"] = training is not None and training.status in TrainingRequest.OPEN
    refusal = rules.may_request_training(
        user=user, instrument=instrument, today=timezone.localdate()
    )
    answer["may_ask"] = refusal is None
    answer["refusal"] = refusal.message if refusal is not None else ""
    answer["csrf_token"] = context.get("csrf_token")
    answer["manages"] = rules.may_manage_instrument(user=user, instrument=instrument) is None
    return answer


@register.inclusion_tag("frontend/_my_training.html", takes_context=True)
def my_training(context) -> dict:
    """My training requests and qualifications, newest first; nothing when I have none."""
    user = context["request"].user
    today = timezone.localdate()
    qualifications = list(
        qualification_list(user=user, role="mine").order_by("-valid_until")[:MY_SHOWN]
    )
    for qualification in qualifications:
        qualification.valid = (
            qualification.revoked_at is None and qualification.valid_until >= today
        )
    return {
        "trainings": list(training_list(user=user, role="mine").order_by("-created_at")[:MY_SHOWN]),
        "qualifications": qualifications,
        "csrf_token": context.get("csrf_token"),
        "open_statuses": ("requested", "scheduled"),
    }
