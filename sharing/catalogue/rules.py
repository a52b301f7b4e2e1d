"""Who may do what in the catalogue: import instruments, import by source, write rows into an
organisation, see contacts in full. Services, APIs, pages and templates ask here.

A rule answers None when allowed, else the refusal (portal.errors.Refusal) with its message;
plain yes/no questions answer a bool. ``user=None`` is the site itself (the scheduler, the
command line), which may do everything.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Role
from portal.errors import Forbidden, Refusal


def may_import(user) -> Refusal:
    """Instrument managers and administrators upload feeds and follow their imports."""
    if user is None or (user.is_authenticated and user.has_any_role(Role.INSTRUMENT_MANAGER)):
        return None
    return Forbidden(_("只有仪器管理员和管理员可以导入仪器数据。"), rule="import_managers_only")


def may_import_by_source(user) -> Refusal:
    """Only administrators import by source or run a full sync: a source's sync can update and
    withdraw every organisation's instruments. The import page asks this too, so it offers
    (and names) the sources to nobody else."""
    if user is None or user.is_administrator:
        return None
    return Forbidden(_("只有管理员可以按数据源导入或全量同步。"), rule="source_admin_only")


def may_follow_every_import(user) -> bool:
    """Administrators follow every import job; anyone else who may import, their own."""
    return user.is_administrator


@dataclass(frozen=True)
class ImportScope:
    """Where an import's rows may write: into any organisation (``everywhere``), or only into
    ``organisation`` (None: a manager without an organisation writes nowhere)."""

    everywhere: bool = False
    organisation: Organisation | None = None


EVERYWHERE = ImportScope(everywhere=True)


def import_scope(user) -> ImportScope:
    """Administrators and the site write any organisation's rows (creating organisations on the
    way); an instrument manager's upload touches their own organisation's instruments only."""
    if user is None or user.is_administrator:
        return EVERYWHERE
    return ImportScope(organisation=user.organisation)


def may_write_row(scope: ImportScope, *, uscc: str, match: Callable[[], int | None]) -> bool:
    """Whether a feed row may be written under ``scope``. Outside ``everywhere`` the row must
    carry no credit code but the organisation's own, and the one matching rule (``match``, the
    id organisation_match finds for the row, asked only when needed) must resolve it to that
    organisation: a row naming us with another's code, or with a code nobody has yet, would
    otherwise overwrite the other's instruments or squat the code."""
    if scope.everywhere:
        return True
    own = scope.organisation
    if own is None:
        return False
    if uscc and uscc != own.uscc:
        return False
    return match() == own.pk


def may_see_contacts(user) -> bool:
    """Instrument contacts are personal data: in full for signed-in users, masked for anonymous
    visitors (in the API, the exports and the pages alike)."""
    return user is not None and user.is_authenticated
