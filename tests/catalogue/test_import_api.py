import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.accounts.models import Role
from sharing.catalogue.models import ImportJob, Instrument
from tests.catalogue.feeds import SAMPLE
from tests.factories import UserFactory, beibei, mianyang


@pytest.fixture
def owner(db):
    mianyang(), beibei()
    return UserFactory(username="owner", roles=[Role.INSTRUMENT_MANAGER, Role.ADMINISTRATOR])


def upload(name="feed.csv", content=None):
    return SimpleUploadedFile(name, content or SAMPLE.read_bytes(), content_type="text/csv")


def wait_for(job_id, api, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/imports/{job_id}/").json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.5)
    raise AssertionError(f"import {job_id} did not finish: {body}")


@pytest.mark.worker
def test_an_upload_is_imported_by_a_real_worker_and_followed(api, owner, celery_worker):
    api.force_authenticate(owner)
    response = api.post("/api/imports/", {"file": upload()}, format="multipart")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    body = wait_for(response.json()["id"], api)
    assert body["status"] == "succeeded", body
    assert (body["rows_read"], body["created"], body["rejected"]) == (8, 8, 0)
    assert body["progress"] == 1.0
    assert Instrument.objects.count() == 8


def test_rejected_rows_are_listed_with_number_column_and_reason(api, owner, settings, tmp_path):
    from sharing.catalogue.feed_import.jobs import import_job_run

    settings.MEDIA_ROOT = str(tmp_path)
    content = SAMPLE.read_text(encoding="utf-8").replace("2019-06-18", "2019-02-30")
    api.force_authenticate(owner)
    response = api.post(
        "/api/imports/", {"file": upload(content=content.encode())}, format="multipart"
    )
    import_job_run(job_id=response.json()["id"])
    body = api.get(f"/api/imports/{response.json()['id']}/").json()
    assert body["rejected"] == 1
    assert body["rejections"] == [
        {
            "row_number": 2,
            "column": "启用日期",
            "reason": "日期应为 YYYY-MM-DD",
            "value": "2019-02-30",
        }
    ]


@pytest.mark.parametrize("who", ["anonymous", "researcher"])
def test_only_managers_and_administrators_may_upload(api, db, who):
    if who == "researcher":
        api.force_authenticate(UserFactory(roles=[Role.RESEARCHER]))
    response = api.post("/api/imports/", {"file": upload()}, format="multipart")
    assert response.status_code in (401, 403)
    assert "error" in response.json()
    assert not ImportJob.objects.exists()


def test_another_manager_cannot_see_my_import(api, owner, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    api.force_authenticate(owner)
    job_id = api.post("/api/imports/", {"file": upload()}, format="multipart").json()["id"]
    api.force_authenticate(UserFactory(roles=[Role.INSTRUMENT_MANAGER]))
    assert api.get(f"/api/imports/{job_id}/").status_code == 404


def test_a_file_of_another_type_is_refused_clearly(api, owner):
    api.force_authenticate(owner)
    response = api.post(
        "/api/imports/", {"file": upload("feed.exe", b"MZ\x90\x00")}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert not ImportJob.objects.exists()


def test_a_manager_imports_only_their_own_organisations_instruments(api, db, settings, tmp_path):
    from sharing.catalogue.feed_import.jobs import import_job_run
    from tests.factories import OrganisationFactory

    settings.MEDIA_ROOT = str(tmp_path)
    mianyang(), beibei()
    swu = OrganisationFactory(name="西南大学", uscc=None)
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER], organisation=swu)
    api.force_authenticate(manager)
    job_id = api.post("/api/imports/", {"file": upload()}, format="multipart").json()["id"]
    import_job_run(job_id=job_id)
    body = api.get(f"/api/imports/{job_id}/").json()
    assert (body["created"], body["rejected"]) == (2, 6)
    assert {r["reason"] for r in body["rejections"]} == {"只能导入本单位的仪器"}
    assert set(Instrument.objects.values_list("organisation__name", flat=True)) == {"西南大学"}


@pytest.mark.parametrize("field", ["source", "full"])
def test_only_administrators_sync_a_source_or_run_a_full_import(api, db, field):
    from sharing.catalogue.models import FeedSource

    FeedSource.objects.create(name="national", location="/nonexistent.csv")
    api.force_authenticate(UserFactory(roles=[Role.INSTRUMENT_MANAGER]))
    data = {"file": upload(), "source": "national"}
    if field == "full":
        data["full"] = True
    response = api.post("/api/imports/", data, format="multipart")
    assert response.status_code == 403
    assert response.json()["error"]["rule"] == "source_admin_only"
    assert not ImportJob.objects.exists()


def test_a_manager_naming_a_source_is_refused_alike_whether_it_exists_or_not(api, db):
    # Sources are the administrators' business: a manager cannot learn their names by trying.
    from sharing.catalogue.models import FeedSource

    FeedSource.objects.create(name="national", location="/nonexistent.csv")
    api.force_authenticate(UserFactory(roles=[Role.INSTRUMENT_MANAGER]))
    answers = [
        api.post("/api/imports/", {"file": upload(), "source": name}, format="multipart")
        for name in ("national", "no-such-source")
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["error"]["rule"] == "source_admin_only"
    assert not ImportJob.objects.exists()


def test_an_administrator_naming_a_missing_source_is_told_which_field(api, db):
    api.force_authenticate(UserFactory(roles=[Role.ADMINISTRATOR]))
    data = {"file": upload(), "source": "no-such-source"}
    response = api.post("/api/imports/", data, format="multipart")
    assert response.status_code == 400
    assert "source" in response.json()["error"]["fields"]
    assert not ImportJob.objects.exists()


def test_the_import_service_itself_keeps_sources_for_administrators(db):
    # The rule lives in import_job_create, so the admin, the command line and any later caller
    # acting for a person meet it, not only the API view.
    from portal.errors import Forbidden
    from sharing.catalogue.feed_import.jobs import import_job_create
    from sharing.catalogue.models import FeedSource

    source = FeedSource.objects.create(name="national", location="/nonexistent.csv")
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER])
    with pytest.raises(Forbidden) as caught:
        import_job_create(user=manager, source=source, full=True)
    assert caught.value.rule == "source_admin_only"
    assert not ImportJob.objects.exists()
    administrator = UserFactory(roles=[Role.ADMINISTRATOR])
    assert import_job_create(user=administrator, source=source).source_name == "national"
