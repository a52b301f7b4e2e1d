"""Celery tasks of the outbox: thin and idempotent (acks_late may deliver a task twice).

The task names are those they had when the outbox lived in bookings, so tasks already queued
and the beat entries in the database keep working."""

import logging

from celery import shared_task
from celery.signals import worker_ready

from portal.notifications.mail import notification_send, notifications_resend

logger = logging.getLogger(__name__)


# No result: a caller that keeps one also subscribes to it in Redis when it sends, and against
# a Redis that accepts connections but never answers that held a web request for minutes.
@shared_task(name="sharing.bookings.tasks.send_notification", ignore_result=True)
def send_notification(notification_id: int) -> str:
    return notification_send(notification_id=notification_id)


@shared_task(name="sharing.bookings.tasks.resend_unsent", ignore_result=True)
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
