"""Tell people about listings, needs, matches and inquiries through the portal's one outbox
(sharing.bookings.notifications): recorded once per key, e-mailed after commit."""

from portal.accounts.models import User
from sharing.bookings.notifications import notify


def tech_notify(*, kind: str, user: User, subject: str, body: str, extra: str) -> None:
    notify(kind=kind, user=user, subject=subject, body=body, extra=extra)
