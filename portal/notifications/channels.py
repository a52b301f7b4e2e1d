"""The channels a notification leaves the portal by, besides the pages: e-mail now, and SMS
through a backend chosen in settings (SMS_BACKEND), which writes the message to the log until
a provider is configured. The send task (mail.notification_send) asks the person's preference
for the kind (selectors.channels_for) and sends through each chosen channel that can reach them.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from portal.notifications.models import Channel, Notification
from portal.text import one_line

logger = logging.getLogger(__name__)


class Sender(Protocol):
    name: str

    def reaches(self, user) -> bool:
        """Whether this channel can reach the person at all (an address, a phone)."""

    def send(self, note: Notification) -> None:
        """Sends, or raises: the caller counts the failed attempt and the sweep retries."""


def email_message(note: Notification) -> EmailMessage:
    return EmailMessage(
        # One line whatever the row holds: a CR/LF in a subject stored before it was flattened
        # on the way in would make Django refuse the header on every attempt.
        subject=one_line(note.subject, limit=200),
        body=note.body,  # text/plain only: user text is never read as HTML
        to=[note.user.email],
        headers={
            # The same Message-ID for every attempt lets mail systems drop a duplicate in the
            # rare case that a worker dies between handing the mail over and committing.
            "Message-ID": f"<notification-{note.pk}@mianbei-portal>",
            "Auto-Submitted": "auto-generated",
        },
    )


class EmailChannel:
    name = Channel.EMAIL

    def reaches(self, user) -> bool:
        return bool(user.email)

    def send(self, note: Notification) -> None:
        email_message(note).send()


class LoggingSmsBackend:
    """The SMS backend until a provider is configured: the message goes to the log only."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def sms_text(note: Notification) -> str:
    # A short message: the subject and where to read the rest.
    return one_line(f"【绵碚共享】{note.subject}", limit=140)


class SmsChannel:
    name = Channel.SMS

    def reaches(self, user) -> bool:
        return settings.SMS_ENABLED and bool(user.phone)

    def send(self, note: Notification) -> None:
        sms_backend().send(phone=note.user.phone, text=sms_text(note))


CHANNELS: dict[str, Sender] = {Channel.EMAIL: EmailChannel(), Channel.SMS: SmsChannel()}
