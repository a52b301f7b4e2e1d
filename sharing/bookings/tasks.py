"""Celery tasks of bookings: thin, each loads by id or calls one function. All are idempotent
(acks_late may deliver a task twice); beat runs the sweeps, see CELERY_BEAT_SCHEDULE."""

import logging

from celery import shared_task
from celery.signals import worker_ready

from sharing.bookings.mail import notification_send, notifications_resend
from sharing.bookings.notifications import sweep_reminders

logger = logging.getLogger(__name__)


# No result: a caller that keeps one also subscribes to it in Redis when it sends, and against
# a Redis that accepts connections but never answers that held a web request for minutes.
@shared_task(ignore_result=True)
def send_notification(notification_id: int) -> str:
    return notification_send(notification_id=notification_id)


@shared_task(ignore_result=True)
def send_reminders() -> int:
    return sweep_reminders()


@shared_task(ignore_result=True)
def resend_unsent(older_than_minutes: int = 5) -> int:
    return notifications_resend(older_than_minutes=older_than_minutes)


@worker_ready.connect(dispatch_uid="bookings-resend-unsent-at-start")
def _resend_at_start(**kwargs) -> None:
    # A restarted worker sends what a killed one left at once, without waiting for beat or for
    # the broker's visibility timeout; rows whose tasks are still queued are simply skipped.
    try:
        resend_unsent.delay(older_than_minutes=0)
    except Exception:
        logger.warning("could not enqueue the outbox sweep at start", exc_info=True)


# The booking sweeps live in services.py; imported inside the task so this module loads (and
# the notification tasks register) even before, or without, that module.


@shared_task(ignore_result=True)
def expire_requests():
    from sharing.bookings.services import sweep_expired_requests

    return sweep_expired_requests()


@shared_task(ignore_result=True)
def release_no_shows():
    from sharing.bookings.services import sweep_no_shows

    return sweep_no_shows()
