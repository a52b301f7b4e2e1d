"""Writing the audit trail. Call audit_record inside the service's transaction, so the event
commits (or rolls back) with the change it describes."""

from __future__ import annotations

from typing import Any

from django.db import models

from portal.audit.models import AuditEvent

SYSTEM = "system"


def _label(value: Any, limit: int) -> str:
    return str(value)[:limit] if value is not None else ""


def _actor(actor) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, SYSTEM if actor is None else "anonymous"
    return actor, actor.get_username()


def _target(target) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    if isinstance(target, models.Model):
        meta = target._meta
        return meta.label_lower, _label(target.pk, 64), _label(target, 255)
    if isinstance(target, tuple):  # (type, id, label) for things that are not model rows
        kind, pk, label = target
        return _label(kind, 100), _label(pk, 64), _label(label, 255)
    raise TypeError(f"audit target must be a model instance or (type, id, label), not {target!r}")


def audit_record(
    *,
    actor,
    action: str,
    target,
    changes: dict | None = None,
    request=None,
) -> AuditEvent:
    """Record that ``actor`` (a user, or None for the system: sweeps, imports by schedule) did
    ``action`` (a dotted slug such as ``booking.approved``) to ``target`` (a model instance).
    ``changes`` is JSON: ``{"field": [before, after]}`` or any small facts worth keeping."""
    from portal.security import client_ip

    user, label = _actor(actor)
    target_type, target_id, target_label = _target(target)
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        action=action[:64],
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        changes=changes or {},
        ip=client_ip(request) if request is not None else None,
    )


record = audit_record
