"""What templates may ask of the domain rules, so a link is shown exactly to those the page
behind it lets in: ``{% if can.import_instruments %}``, ``{% if can.see_dashboard %}``."""

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import cached_property

from geo import rules as geo_rules
from portal.accounts import rules as account_rules
from portal.accounts.models import Role
from portal.accounts.verifications import verification_list
from portal.notifications.selectors import UNREAD_SHOWN, unread_count
from sharing.bookings import rules as booking_rules
from sharing.bookings.console import waiting_count
from sharing.bookings.projects import rules as project_rules
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

    @property
    def organisation_members(self) -> bool:
        """An organisation administrator: the verification page lists their members too."""
        return account_rules.is_organisation_admin(self._user)

    @cached_property
    def verifications_waiting(self) -> int:
        """Verifications waiting for this person's decision, for the link: one query."""
        return verification_list(user=self._user).count() if self.decide_verifications else 0

    @cached_property
    def decide_voucher_applications(self) -> bool:
        """The voucher applications page (/vouchers/applications/): coordinators."""
        return self._user.is_authenticated and self._user.has_any_role(Role.COORDINATOR)

    @cached_property
    def voucher_settlements(self) -> bool:
        """The settlement page (/vouchers/settlements/): coordinators, who decide requests,
        and instrument managers, who speak for their provider (asked with the console link,
        so no query of its own)."""
        return self.decide_voucher_applications or self.manage

    @cached_property
    def manage(self) -> bool:
        """The manager's console (/manage/): instrument managers and administrators."""
        return self._user.is_authenticated and booking_rules.manages_any(user=self._user)

    @cached_property
    def manage_waiting(self) -> int:
        """Requests waiting for this manager's approval, for the console link: one query."""
        return waiting_count(user=self._user) if self.manage else 0

    @cached_property
    def projects(self) -> bool:
        """The project page (/projects/): members of an organisation. A principal investigator
        reaches the approvals and the statement of their projects from there (and from the
        notification each waiting charge sends), so the bar asks no query of its own."""
        return self._user.is_authenticated and bool(self._user.organisation_id)

    @cached_property
    def statements(self) -> bool:
        """The monthly statement (/statements/) of the whole organisation: its administrators,
        coordinators and administrators (no query)."""
        user = self._user
        return self.projects and (
            user.is_administrator
            or user.has_any_role(Role.COORDINATOR)
            or project_rules.is_organisation_admin_of(
                user=user, organisation_id=user.organisation_id
            )
        )


def can(request) -> dict:
    # A page rendered before the authentication middleware ran has no user: nothing is allowed.
    return {"can": _Can(getattr(request, "user", None) or AnonymousUser())}


class _Unread:
    """The signed-in person's unread notifications, counted when a template first reads it."""

    def __init__(self, user):
        self._user = user
        self._count: int | None = None

    def _counted(self) -> int:
        if self._count is None:
            self._count = unread_count(user=self._user) if self._user.is_authenticated else 0
        return self._count

    @property
    def count(self) -> int:
        return min(self._counted(), UNREAD_SHOWN)

    @property
    def more(self) -> bool:
        return self._counted() > UNREAD_SHOWN


def notifications(request) -> dict:
    return {"unread": _Unread(getattr(request, "user", None) or AnonymousUser())}
