"""What templates may ask of the domain rules, so a link is shown exactly to those the page
behind it lets in: ``{% if can.import_instruments %}``, ``{% if can.see_dashboard %}``."""

from django.contrib.auth.models import AnonymousUser

from geo import rules as geo_rules
from portal.accounts import rules as account_rules
from sharing.catalogue import rules as catalogue_rules


class _Can:
    """Each answer asked of its rule when a template first reads it, and only then."""

    def __init__(self, user):
        self._user = user

    @property
    def import_instruments(self) -> bool:
        return catalogue_rules.may_import(self._user) is None

    @property
    def see_dashboard(self) -> bool:
        return geo_rules.may_see_dashboard(self._user) is None

    @property
    def decide_verifications(self) -> bool:
        return account_rules.may_see_verifications(user=self._user) is None


def can(request) -> dict:
    # A page rendered before the authentication middleware ran has no user: nothing is allowed.
    return {"can": _Can(getattr(request, "user", None) or AnonymousUser())}
