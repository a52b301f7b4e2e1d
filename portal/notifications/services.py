"""Recording a notification: once per key, in the caller's transaction, e-mailed after commit.

Once rests on two things in the database, not on timing: the unique ``key`` (a sweep run twice,
or two at once, inserts the row once) and the row lock plus ``emailed_at`` stamp in
mail.notification_send (a task delivered twice sends once). The one window no database can
close, a crash between the mail server's "accepted" and our commit, is described in mail.py.
"""

import logging
import time

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors

from portal.accounts.models import User
from portal.errors import RuleBroken
from portal.notifications import kinds
from portal.notifications.models import Channel, Notification, NotificationPreference
from portal.text import one_line

logger = logging.getLogger(__name__)


def notification_key(*, kind: str, user: User, ref: str = "-", extra: str = "") -> str:
    """``ref`` names what it is about as the sending domain keys it ("42" for a booking, "w7"
    for a waitlist entry); ``extra`` tells apart two notices of one kind about one thing."""
    return f"{kind}:{ref}:{user.pk}:{extra}"[:120]


def _is_duplicate_key(exc: IntegrityError) -> bool:
    # `key` is the only unique column we write (the primary key is generated, and foreign keys
    # are deferred to commit), so a unique violation here means "already recorded".
    return isinstance(exc.__cause__, pg_errors.UniqueViolation)


# A broker that hangs rather than refuses (Redis paused, a half-open connection) costs each
# publish its socket timeouts; after one slow failure the process stops trying for a while and
# the rows wait in the outbox for the resend sweep. A fast refusal (Redis stopped) costs
# milliseconds and trips nothing.
SLOW_FAILURE_SECONDS = 1.0
BROKER_BACKOFF_SECONDS = 30.0
_broker_skip_until = 0.0


def _enqueue_send(notification_id: int) -> None:
    global _broker_skip_until
    from portal.notifications import tasks

    if time.monotonic() < _broker_skip_until:
        logger.info("broker backoff: notification %s waits in the outbox", notification_id)
        return
    started = time.monotonic()
    try:
        tasks.send_notification.delay(notification_id)
    except Exception:
        if time.monotonic() - started >= SLOW_FAILURE_SECONDS:
            _broker_skip_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        raise


def notify(
    *,
    kind: str,
    user: User,
    subject: str,
    body: str,
    about: tuple[str, int] | None = None,
    ref: str = "-",
    extra: str = "",
) -> Notification | None:
    """Record a notification once; a second call with the same key does nothing (returns None).
    ``about`` is what it concerns, (type, id); ``ref`` and ``extra`` make its key (see
    notification_key). The e-mail is sent by a task enqueued on commit."""
    if not kinds.is_known(kind):
        raise ValueError(f"unregistered notification kind {kind!r}")
    about_type, about_id = about or ("", None)
    try:
        # A savepoint, so a duplicate does not break the caller's transaction.
        with transaction.atomic():
            note = Notification.objects.create(
                user=user,
                kind=kind,
                about_type=about_type,
                about_id=about_id,
                key=notification_key(kind=kind, user=user, ref=ref, extra=extra),
                subject=one_line(subject, limit=200),
                body=body,
            )
    except IntegrityError as exc:
        if not _is_duplicate_key(exc):
            raise
        return None

    # This is delay_on_commit made robust: the row is already committed when the callback runs,
    # so a broker that is down must not turn the change into a 500. The outbox sweep
    # (resend_unsent) sends what was not enqueued once Redis is back.
    # (A named function, not a partial: Django logs a robust callback's __qualname__.)
    def enqueue_send() -> None:
        _enqueue_send(note.pk)

    transaction.on_commit(enqueue_send, robust=True)
    return note


def notification_mark_read(*, user: User, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read (once; the first time stays); None when it is
    not theirs, so the caller answers 404 without telling whether it exists."""
    note = Notification.objects.filter(pk=notification_id, user=user).first()
    if note is None:
        return None
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
        note.refresh_from_db(fields=["read_at"])
    return note


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def channels_offered(*, user: User) -> list[str]:
    """The channels the person may choose besides the pages: e-mail always (it waits for an
    address), SMS when it is enabled and their phone is known."""
    from portal.notifications.channels import CHANNELS

    offered = [Channel.EMAIL]
    if CHANNELS[Channel.SMS].reaches(user):
        offered.append(Channel.SMS)
    return offered


@transaction.atomic
def notification_preferences_set(*, user: User, choices: dict[str, list[str]]) -> None:
    """Set the person's channels per kind ({kind: [channel, ...]}; [] is "page only"). Unknown
    kinds and channels not offered to them are refused before anything is written."""
    offered = set(channels_offered(user=user))
    for kind, channels in choices.items():
        if not kinds.is_known(kind):
            raise RuleBroken(_("未知的通知类型：%(kind)s") % {"kind": kind}, rule="unknown_kind")
        refused = set(channels) - offered
        if refused:
            raise RuleBroken(
                _("不能选择的通知方式：%(channels)s") % {"channels": "、".join(sorted(refused))},
                rule="channel_not_offered",
            )
    for kind, channels in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"channels": sorted(set(channels))}
        )
