"""Reads from PostgreSQL streaming replicas, for the views that can live with a little lag.

A view opts in (``replica_ok = True`` on its class, or ``@replica_reads`` on a function): search,
availability, maps and dashboards show what was true a moment ago and nobody can tell. Every
other read stays on the primary, and so does everything a request writes or must see written:
a booking is created and checked against the exclusion constraint on the primary, so a lagging
replica can show a slot as free but never let two bookings overlap. Accounts, sessions and
tokens are always read on the primary: a person who has just signed in must be signed in.
"""

import random
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

_allowed: ContextVar[bool] = ContextVar("replica_reads_allowed", default=False)

# Models whose reads must see the latest write, whatever the view.
PRIMARY_ONLY_APPS = frozenset({"accounts", "auth", "sessions", "authtoken", "axes", "audit"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def replica_reads_allowed():
    token = _allowed.set(True)
    try:
        yield
    finally:
        _allowed.reset(token)


def replica_reads(view: Callable) -> Callable:
    """Marks a function view whose GETs may read from a replica."""
    view.replica_ok = True
    return view


def _view_allows(view_func) -> bool:
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    return bool(getattr(view_func, "replica_ok", False) or getattr(view_class, "replica_ok", False))


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _allowed.set(False)
        try:
            return self.get_response(request)
        finally:
            # A worker thread serves the next request in the same context: nothing carries over.
            _allowed.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            settings.DATABASE_REPLICAS
            and request.method in SAFE_METHODS
            and _view_allows(view_func)
        ):
            _allowed.set(True)
        return None


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        replicas = settings.DATABASE_REPLICAS
        if not replicas or not _allowed.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return None
        # Inside a transaction on the primary, a read must see what it wrote.
        if connections["default"].in_atomic_block:
            return None
        return random.choice(replicas)  # noqa: S311 -- spreading load, not a secret

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
