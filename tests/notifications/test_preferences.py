"""Preferences per kind (pages only, or also e-mail or SMS), respected by the sender; the SMS
channel's logging backend; the preferences page and API."""

import logging

import pytest
from django.core import mail

from portal.notifications import mail as outbox
from portal.notifications.models import NotificationPreference
from portal.notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def sms_on(settings):
    settings.EMAIL_BACKEND = LOCMEM
    settings.SMS_ENABLED = True
    settings.SMS_BACKEND = "portal.notifications.channels.LoggingSmsBackend"


@pytest.fixture
def researcher():
    return UserFactory(username="researcher", email="r@example.org", phone="13812345678")


def prefer(user, kind, channels):
    NotificationPreference.objects.create(user=user, kind=kind, channels=channels)


def send(user, kind="approved"):
    note = notify(kind=kind, user=user, subject="预约已批准", body="正文")
    return outbox.notification_send(notification_id=note.pk), note


def test_without_a_preference_it_is_emailed(researcher):
    outcome, note = send(researcher)
    assert outcome == "sent"
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.sent_via == ["email"]


def test_page_only_sends_no_email_and_is_done(researcher):
    prefer(researcher, "approved", [])
    outcome, note = send(researcher)
    assert outcome == "sent"
    assert mail.outbox == []
    note.refresh_from_db()
    assert note.emailed_at is not None and note.sent_via == []
    assert outbox.notifications_resend(older_than_minutes=0) == 0


def test_a_preference_counts_for_its_kind_only(researcher):
    prefer(researcher, "rejected", [])
    send(researcher, kind="approved")
    assert len(mail.outbox) == 1


def test_sms_goes_to_the_log_until_a_provider_is_configured(researcher, caplog):
    prefer(researcher, "approved", ["sms"])
    with caplog.at_level(logging.INFO, logger="portal.notifications.channels"):
        outcome, note = send(researcher)
    assert outcome == "sent"
    assert mail.outbox == []
    assert "SMS to 13812345678: 【绵碚共享】预约已批准" in caplog.text
    note.refresh_from_db()
    assert note.sent_via == ["sms"]


class BrokenSms:
    def send(self, *, phone, text):
        raise OSError("provider down")


def test_a_failed_channel_is_retried_without_repeating_the_one_that_went_out(researcher, settings):
    prefer(researcher, "approved", ["email", "sms"])
    settings.SMS_BACKEND = "tests.notifications.test_preferences.BrokenSms"
    outcome, note = send(researcher)
    assert outcome == "failed"
    note.refresh_from_db()
    assert note.emailed_at is None and note.sent_via == ["email"] and note.attempts == 1
    settings.SMS_BACKEND = "portal.notifications.channels.LoggingSmsBackend"
    assert outbox.notification_send(notification_id=note.pk) == "sent"
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.sent_via == ["email", "sms"]


def test_the_old_task_names_still_send(researcher):
    from portal.notifications import tasks

    note = notify(kind="approved", user=researcher, subject="s", body="b")
    assert tasks.send_notification.name == "sharing.bookings.tasks.send_notification"
    assert tasks.resend_unsent.name == "sharing.bookings.tasks.resend_unsent"
    assert tasks.send_notification.apply(args=[note.pk]).get() == "sent"


# --- The page --------------------------------------------------------------------------------


def test_the_page_lists_every_kind_with_the_offered_choices(client, researcher):
    client.force_login(researcher)
    page = client.get("/notifications/preferences/").content.decode()
    assert "预约已批准" in page and "成果审查结论" in page
    assert 'value="sms"' in page and 'value="page"' in page


def test_sms_is_not_offered_without_a_phone(client, settings):
    someone = UserFactory(email="x@example.org", phone="")
    client.force_login(someone)
    assert 'value="sms"' not in client.get("/notifications/preferences/").content.decode()
    answer = client.post("/notifications/preferences/", {"kind-approved": "sms"})
    assert answer.status_code == 400
    assert "不能选择的通知方式" in answer.content.decode()
    assert not NotificationPreference.objects.exists()


def test_saving_page_only_stops_the_email(client, researcher):
    client.force_login(researcher)
    answer = client.post("/notifications/preferences/", {"kind-approved": "page"})
    assert answer.status_code == 302
    assert NotificationPreference.objects.get(user=researcher, kind="approved").channels == []
    send(researcher)
    assert mail.outbox == []
    page = client.get("/notifications/preferences/").content.decode()
    assert '<option value="page" selected>' in page


# --- The API ---------------------------------------------------------------------------------


def test_the_api_reads_and_sets_preferences(api, researcher):
    api.force_authenticate(researcher)
    got = api.get("/api/notifications/preferences/").json()
    assert got["offered"] == ["email", "sms"]
    assert {"kind": "approved", "label": "预约已批准", "channels": ["email"]} in got["preferences"]
    answer = api.put(
        "/api/notifications/preferences/",
        {"preferences": [{"kind": "approved", "channels": []}]},
        format="json",
    )
    assert answer.status_code == 200
    row = next(p for p in answer.json()["preferences"] if p["kind"] == "approved")
    assert row["channels"] == []


def test_the_api_refuses_an_unknown_kind_or_channel_and_writes_nothing(api, researcher):
    api.force_authenticate(researcher)
    for bad in (
        {"preferences": [{"kind": "nonsense", "channels": []}]},
        {"preferences": [{"kind": "approved", "channels": ["fax"]}]},
        {"preferences": [{"kind": "approved", "channels": []}, {"kind": "x", "channels": []}]},
    ):
        answer = api.put("/api/notifications/preferences/", bad, format="json")
        assert answer.status_code == 400
        assert "error" in answer.json()
    assert not NotificationPreference.objects.exists()


def test_the_api_refuses_sms_when_it_is_off(api, researcher, settings):
    settings.SMS_ENABLED = False
    api.force_authenticate(researcher)
    answer = api.put(
        "/api/notifications/preferences/",
        {"preferences": [{"kind": "approved", "channels": ["sms"]}]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["rule"] == "channel_not_offered"
