"""A test-only e-mail backend for the worker: Django's file backend, slowed down per message.

The delay stands for an SMTP conversation and comes before the message is written, so a kill
during it is a kill before the mail server accepted anything. A marker file tells the test which
notification is being handed over. With FAULTS_MAIL_HOLD_AFTER=n the process hands over n
messages and then holds the next one until it is killed: the kill lands mid-send by design.
"""

import itertools
import os
import re
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend

NOTIFICATION = re.compile(r"<notification-(\d+)@")
_handed_over = itertools.count()


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        delay = float(os.environ.get("FAULTS_MAIL_DELAY", "0.2"))
        hold_after = int(os.environ.get("FAULTS_MAIL_HOLD_AFTER", "-1"))
        sent = 0
        for message in email_messages:
            found = NOTIFICATION.search(message.extra_headers.get("Message-ID", ""))
            marker = Path(self.file_path) / f"sending-{found.group(1) if found else 'x'}"
            marker.touch()
            time.sleep(delay)
            if next(_handed_over) == hold_after:
                while True:  # the SMTP server that never answers, until SIGKILL
                    time.sleep(1)
            sent += super().send_messages([message])
            marker.unlink()
        return sent
