"""The kinds of notification, registered by the domains that send them (in their AppConfig's
ready()), in the order of INSTALLED_APPS. notify() refuses a kind nobody registered."""

from django.db import models

_KINDS: dict[str, object] = {}


def register(choices: type[models.TextChoices]) -> None:
    for value, label in choices.choices:
        _KINDS.setdefault(value, label)


def choices() -> list[tuple[str, object]]:
    return list(_KINDS.items())


def label(kind: str) -> str:
    return str(_KINDS.get(kind, kind))


def is_known(kind: str) -> bool:
    return kind in _KINDS
