"""The authorisation matrix: who gets which answer from every route of the portal.

One row is one request (a route and a method, with a URL and maybe a body) and what each
person must get back from it::

    Row(
        "api:booking-detail",             # the route's name as reverse() knows it
        "GET",                            # GET, POST, PUT, PATCH or DELETE
        lambda w: f"/api/bookings/{w.booking_mianyang.pk}/",   # the URL, from the world
        PARTY(200, else_=404),            # Expect: status per person, a default for the rest
        label="mianyang's",               # optional: tells two rows of one route apart
        body=lambda w: {...},             # optional: request data (JSON unless fmt says so)
        fmt="json",                       # optional: "json" or "multipart"
        effect=lambda w: ...,             # optional: a snapshot of what the call may change
    )

The world ``w`` (tests/authz/conftest.py) holds the people (``w.people["admin"]``) and the
objects: instruments and their managers, each researcher's bookings and vouchers, imports,
a feed source, a notification, a calendar token, a zone. It is built once per test module;
each case runs in a savepoint rolled back afterwards, so rows cannot disturb each other and a
write may use the shared objects. A row that needs an object in a particular state builds it
in its ``url`` or ``body`` builder (it is rolled back with the case).

Expectations name people (PEOPLE below) and a status, or a set of acceptable statuses:

    ALL(200)                                   every person, anonymous included
    SIGNED_IN(200)                             anonymous gets ANON_API (401/403)
    PAGE(200)                                  anonymous is redirected to the login page
    ONLY({"admin", "manager_this"}, 200, else_=403)   the rest get else_, anonymous ANON_API
    ONLY(..., anon=LOGIN)                      the same for a page
    expect | {"researcher_mianyang": 403}      override single people

A 302 answering a GET must point at a login page. With ``effect``, a case answered 2xx must
change the snapshot and any other answer must leave it as it was (a refused write is refused);
``changed_by`` narrows the change to some people (another person's 2xx must not touch it).
With ``secret`` (a text, or several, of someone's object), a 200 answer must contain it for
the people in ``seen_by`` and must not for anyone else: lists and pages leak nothing.
``people`` limits a costly row whose answer cannot depend on the caller (the schema) to a few.

Rows live per area in matrix_<area>.py, each exporting ``ROWS``; ``all_rows()`` collects
them, together with tests/authz/matrix_techmarket.py when that exists (which may also export
``setup(world)`` to add its objects to the world). test_matrix.py fails for every route of
the root URLconf without a row, naming it, so a new endpoint cannot go untested.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PEOPLE = (
    "anonymous",
    "researcher_mianyang",
    "researcher_beibei",
    "manager_this",
    "manager_other",
    "firm",
    "tech_owner",
    "broker_assigned",
    "broker_other",
    "reviewer",
    "coordinator",
    "orgadmin",
    "admin",
)
SIGNED = frozenset(p for p in PEOPLE if p != "anonymous")

# DRF answers an anonymous caller 403 while session authentication comes first, 401 when a
# scheme with a WWW-Authenticate challenge does; either means "sign in first".
ANON_API = frozenset({401, 403})
LOGIN = 302  # a page sending the visitor to the login page

Status = int | frozenset[int]


@dataclass(frozen=True)
class Expect:
    by_person: Mapping[str, Status]
    default: Status

    def __or__(self, overrides: Mapping[str, Status]) -> Expect:
        unknown = set(overrides) - set(PEOPLE)
        assert not unknown, f"unknown people in an expectation: {unknown}"
        return Expect({**self.by_person, **overrides}, self.default)

    def of(self, person: str) -> frozenset[int]:
        status = self.by_person.get(person, self.default)
        return status if isinstance(status, frozenset) else frozenset({status})


def ALL(status: Status) -> Expect:
    return Expect({}, status)


def SIGNED_IN(status: Status, *, anon: Status = ANON_API) -> Expect:
    return Expect({"anonymous": anon}, status)


def PAGE(status: Status = 200) -> Expect:
    return SIGNED_IN(status, anon=LOGIN)


def ONLY(
    people: Iterable[str], status: Status, *, else_: Status, anon: Status = ANON_API
) -> Expect:
    people = set(people)
    unknown = people - set(PEOPLE)
    assert not unknown, f"unknown people in an expectation: {unknown}"
    return Expect({"anonymous": anon, **dict.fromkeys(people, status)}, else_)


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    url: Callable[[Any], str]
    expect: Expect
    label: str = ""
    body: Callable[[Any], Any] | None = None
    fmt: str = "json"
    effect: Callable[[Any], Any] | None = field(default=None, compare=False)
    changed_by: frozenset[str] | None = None  # whose 2xx changes the effect (None: anyone's)
    secret: Callable[[Any], str | tuple[str, ...]] | None = field(default=None, compare=False)
    seen_by: frozenset[str] = frozenset()  # who finds the secret in a 200 answer
    people: tuple[str, ...] = PEOPLE  # fewer only where the answer cannot depend on who asks

    @property
    def name(self) -> str:
        label = f"[{self.label}]" if self.label else ""
        return f"{self.method} {self.route}{label}"


AREAS = (
    "matrix_accounts",
    "matrix_catalogue",
    "matrix_bookings",
    "matrix_money",
    "matrix_geo",
    "matrix_pages",
    "matrix_portal",
    "matrix_kiosk",
    "matrix_notifications",
    "matrix_console",
)
OPTIONAL_AREAS = (
    "matrix_techmarket",
    "matrix_training",
    "matrix_onboarding",
    "matrix_facility_closures",
    "matrix_orders",
    "matrix_voucher_lifecycle",
    "matrix_projects",
)


def area_modules() -> list:
    modules = [importlib.import_module(f"tests.authz.{name}") for name in AREAS]
    for name in OPTIONAL_AREAS:
        try:
            modules.append(importlib.import_module(f"tests.authz.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.authz.{name}":
                raise
    return modules


def all_rows() -> list[Row]:
    rows = [row for module in area_modules() for row in module.ROWS]
    names = [row.name for row in rows]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"rows must differ by route, method or label: {duplicates}"
    return rows


def cases() -> list[tuple[Row, str]]:
    return [(row, person) for row in all_rows() for person in row.people]


def case_id(row: Row, person: str) -> str:
    statuses = "/".join(str(s) for s in sorted(row.expect.of(person)))
    return f"{row.name} as {person} -> {statuses}"


# --- The routes of the root URLconf ----------------------------------------------------------

# Admin internals are Django's own; the index and one changelist stand for them.
ADMIN_KEPT = {"admin:index", "admin:bookings_booking_changelist"}
SKIPPED_PREFIXES = ("i18n/", "media/", "static/", "^media/", "^static/")
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    methods: tuple[str, ...]  # the methods that must have a row (DRF views); () → any one row


def _methods(callback) -> tuple[str, ...]:
    """The methods a DRF view implements; for other views, nothing required beyond one row."""
    from rest_framework.views import APIView

    actions = getattr(callback, "actions", None)  # a ViewSet route: {"get": "list", ...}
    if actions:
        return tuple(sorted(m.upper() for m in actions))
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None and issubclass(view_class, APIView):
        return tuple(m.upper() for m in HTTP_METHODS if hasattr(view_class, m))
    return ()


def portal_routes() -> list[Route]:
    from django.urls import URLResolver, get_resolver

    found: list[Route] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, text, ns)
                continue
            name = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {text}>"
            if text.startswith("admin/") and name not in ADMIN_KEPT:
                continue
            if text.startswith(SKIPPED_PREFIXES):
                continue
            found.append(Route(name, text, _methods(pattern.callback)))

    walk(get_resolver().url_patterns, "", "")
    return found
