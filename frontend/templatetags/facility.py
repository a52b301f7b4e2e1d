"""``{% instrument_problems instrument %}``: the instrument page's problem history and, for those
the rule lets report, the form (frontend/_instrument_problems.html)."""

from django import template

from frontend.views.facility import ProblemForm
from sharing.bookings import rules
from sharing.bookings.selectors_facility import problem_history

register = template.Library()


@register.inclusion_tag("frontend/_instrument_problems.html", takes_context=True)
def instrument_problems(context, instrument):
    user = context["request"].user
    problems = problem_history(instrument=instrument)
    for problem in problems:
        problem.may_see_photo = rules.may_see_problem(user=user, problem=problem)
    may_report = user.is_authenticated and (
        rules.may_report_problem(user=user, instrument=instrument) is None
    )
    is_manager = user.is_authenticated and rules.is_manager_of(user=user, instrument=instrument)
    return {
        "instrument": instrument,
        "problems": problems,
        "may_report": may_report,
        "is_manager": is_manager,
        "form": ProblemForm() if may_report else None,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
