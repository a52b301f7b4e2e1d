"""What the signed-in user may do, for templates: ``{% if can.see_dashboard %}``. Each answer
comes from the domain's rules module, so a page's link and the page itself never disagree."""

from django.contrib.auth.models import AnonymousUser

from geo.rules import may_see_dashboard


def can(request) -> dict:
    # A page rendered before the authentication middleware ran has no user: nothing is allowed.
    user = getattr(request, "user", None) or AnonymousUser()
    return {"can": {"see_dashboard": may_see_dashboard(user) is None}}
