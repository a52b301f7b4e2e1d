"""Audit trail: who did what to which record, append-only.

``portal.audit.record(actor=..., action=..., target=...)`` is the one way in (see services).
"""


def record(**kwargs):
    # Imported on call: this package is imported while apps load, before models are ready.
    from portal.audit.services import audit_record

    return audit_record(**kwargs)
