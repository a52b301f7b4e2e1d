"""What every write of the exchange shares: the audit record and the matching it sets off."""

from portal.enqueue import enqueue_on_commit


def audit(*, actor, action: str, target, changes: dict | None = None) -> None:
    from portal.audit.services import audit_record

    audit_record(actor=actor, action=action, target=target, changes=changes)


def set_status(item, status: str, *, actor, action: str) -> None:
    """Move a listing or need to ``status`` (the rule allowing it already asked) and audit it."""
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    audit(actor=actor, action=action, target=item)


def enqueue_matching(*, listing_id: int | None = None, need_id: int | None = None) -> None:
    from sharing.techmarket import tasks

    if listing_id is not None:
        enqueue_on_commit(tasks.match_listing, listing_id)
    if need_id is not None:
        enqueue_on_commit(tasks.match_need, need_id)
