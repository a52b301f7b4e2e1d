"""Who may see what of geo's. The layout map and the spatial API are public; the coordinators'
dashboard is not. Asked by the dashboard page and by the navigation (frontend's ``can``)."""

from django.utils.translation import gettext as _

from portal.accounts.models import Role
from portal.errors import Forbidden, Refusal


def may_see_dashboard(user) -> Refusal:
    """The dashboard (协调看板) and its charts and exports: Mianbei coordinators and
    administrators only."""
    if user.is_authenticated and user.has_any_role(Role.COORDINATOR):
        return None
    return Forbidden(_("只有绵碚协调员和管理员可以查看协调看板。"), rule="may_see_dashboard")
