"""What templates may ask of the domain rules, so a link is shown exactly to those the page
behind it lets in: ``{% if can.import_instruments %}``."""

from sharing.catalogue import rules as catalogue_rules


class _Can:
    """Each answer asked of its rule when a template first reads it, and only then."""

    def __init__(self, user):
        self._user = user

    @property
    def import_instruments(self) -> bool:
        return catalogue_rules.may_import(self._user) is None


def can(request) -> dict:
    return {"can": _Can(request.user)}
