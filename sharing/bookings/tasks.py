from celery import shared_task


@shared_task
def send_notification(notification_id: int) -> str:
    from sharing.bookings.mail import notification_send

    return notification_send(notification_id=notification_id)
