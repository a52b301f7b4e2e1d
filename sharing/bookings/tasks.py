"""Celery tasks of bookings: thin, each loads by id or calls one function. All are idempotent
(acks_late may deliver a task twice); beat runs the sweeps, see CELERY_BEAT_SCHEDULE. The
outbox's own tasks (sending, resending) are in portal.notifications.tasks."""

from celery import shared_task

from sharing.bookings.notifications import sweep_reminders


@shared_task(ignore_result=True)
def send_reminders() -> int:
    return sweep_reminders()


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


@shared_task(ignore_result=True)
def close_forgotten_check_outs():
    from sharing.bookings.services import sweep_forgotten_check_outs

    return sweep_forgotten_check_outs()
