"""Reading the outbox: a person's unread count and their preferences per kind."""

from django.db.models import QuerySet

from portal.notifications import kinds
from portal.notifications.models import Channel, Notification, NotificationPreference

# Without a preference a kind goes by e-mail too, as before preferences existed.
DEFAULT_CHANNELS: tuple[str, ...] = (Channel.EMAIL,)
# The header shows "99+" past this: the count never reads more rows than this.
UNREAD_SHOWN = 99


def notification_list(*, user, unread: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(*, user) -> int:
    """Up to UNREAD_SHOWN + 1, from the partial index notification_unread."""
    return notification_list(user=user, unread=True).values("pk")[: UNREAD_SHOWN + 1].count()


def channels_for(*, user, kind: str) -> tuple[str, ...]:
    pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    return tuple(pref.channels) if pref is not None else DEFAULT_CHANNELS


def preferences(*, user) -> list[dict]:
    """Every registered kind with the person's channels for it, in the kinds' order."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channels"))
    return [
        {"kind": kind, "label": str(label), "channels": list(chosen.get(kind, DEFAULT_CHANNELS))}
        for kind, label in kinds.choices()
    ]
