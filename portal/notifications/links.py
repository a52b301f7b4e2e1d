"""Where a notification leads: each domain registers, per ``about_type``, how to build the page
addresses of what its notifications are about (in its AppConfig's ready(), like its kinds), so
the outbox knows none of the domains and every list (pages, API) builds links in one place.

A builder takes the ids of one page of notifications and answers {id: address}, so a page of
twenty costs at most one query per type, whatever the builder needs to read."""

from collections.abc import Callable, Iterable

from portal.notifications.models import Notification

Builder = Callable[[list[int]], dict[int, str]]

_BUILDERS: dict[str, Builder] = {}


def register(about_type: str, builder: Builder) -> None:
    _BUILDERS.setdefault(about_type, builder)


def each(build_one: Callable[[int], str]) -> Builder:
    """A builder from a function of one id that needs no query (a reverse())."""
    return lambda ids: {pk: build_one(pk) for pk in ids}


def attach(notes: Iterable[Notification]) -> list[Notification]:
    """Sets ``link`` (an address, or None) on each notification and returns them as a list."""
    notes = list(notes)
    wanted: dict[str, set[int]] = {}
    for note in notes:
        if note.about_type in _BUILDERS and note.about_id is not None:
            wanted.setdefault(note.about_type, set()).add(note.about_id)
    found = {kind: _BUILDERS[kind](sorted(ids)) for kind, ids in wanted.items()}
    for note in notes:
        note.link = found.get(note.about_type, {}).get(note.about_id)
    return notes
