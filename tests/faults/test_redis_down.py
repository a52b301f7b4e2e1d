"""Redis stopped (our own redis-server, never the shared one): pages, search and bookings go on,
the e-mails wait in the outbox and leave once Redis is back, and /healthz says what is down."""

import pytest
from django.core.cache import cache

from portal.accounts.models import Role
from portal.notifications import tasks as outbox_tasks
from portal.notifications.models import Notification
from sharing.bookings.models import Booking
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions
from tests.faults.conftest import emailed, wait_until

pytestmark = [pytest.mark.worker]


def test_the_default_cache_fails_soft_and_sessions_do_not_use_it(settings, redis_server, portal_on):
    portal_on(redis_server.url)
    cache.set("faults:probe", "here")
    assert cache.get("faults:probe") == "here"
    redis_server.stop()
    assert cache.get("faults:probe", "missed") == "missed"
    cache.set("faults:probe", "lost")  # no error: a dropped write
    assert cache.add("faults:other", 1) is False
    assert cache.get_many(["faults:probe"]) == {}
    assert cache.incr("faults:counter") == 1
    assert settings.SESSION_ENGINE == "portal.accounts.sessions"  # the database backend


def test_with_redis_down_pages_and_bookings_work_and_the_outbox_waits_for_its_return(
    worker, redis_server, portal_on, maildir, api, client
):
    portal_on(redis_server.url)
    regions()
    manager = person("manager", roles=[Role.INSTRUMENT_MANAGER])
    instrument = instrument_with_rules(managers=[manager], closed_on_holidays=False)
    researcher = person("researcher")
    for someone in (manager, researcher):
        someone.email = f"{someone.username}@example.org"
        someone.save(update_fields=["email"])
    redis_server.stop()

    assert client.get("/").status_code == 200
    assert client.get("/instruments/", {"q": "显微镜"}).status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["down"] == ["broker", "cache"]
    assert health.json()["checks"]["database"] == "ok"

    api.force_authenticate(researcher)
    day = next_weekday(2)
    response = api.post(
        "/api/bookings/",
        {
            "instrument": instrument.pk,
            "start": local(day, "09:00").isoformat(),
            "end": local(day, "10:00").isoformat(),
            "purpose": "XRD 物相分析",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["id"])
    notes = Notification.objects.filter(about_type="booking", about_id=booking.pk)
    assert sorted(notes.values_list("kind", flat=True)) == ["approved", "requested"]
    assert not notes.filter(emailed_at__isnull=False).exists()  # waiting in the outbox

    redis_server.start()  # Redis is back, same address, empty
    assert client.get("/healthz").status_code == 200
    worker.env.update(
        REDIS_URL=redis_server.url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(maildir),
    )
    worker.start()
    outbox_tasks.resend_unsent.delay(older_than_minutes=0)  # what beat runs every 5 minutes
    wait_until(
        lambda: not notes.filter(emailed_at__isnull=True).exists(),
        what="the outbox to be sent once Redis is back",
    )
    assert emailed(maildir) == dict.fromkeys(notes.values_list("pk", flat=True), 1)


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_an_upload_is_accepted_and_waits_for_the_sweep(
    redis_server, portal_on, api, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sharing.catalogue.models import ImportJob
    from tests.catalogue.feeds import SAMPLE

    portal_on(redis_server.url)
    settings.MEDIA_ROOT = str(tmp_path)
    regions()
    redis_server.stop()
    api.force_authenticate(person("admin", roles=[Role.ADMINISTRATOR]))
    upload = SimpleUploadedFile("feed.csv", SAMPLE.read_bytes(), content_type="text/csv")
    response = api.post("/api/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    # Recorded, not lost: recover_imports hands it to a worker once Redis is back.
    assert ImportJob.objects.get().status == ImportJob.Status.QUEUED
