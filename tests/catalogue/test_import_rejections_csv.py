"""A job's rejected rows come back as a CSV to fix and upload again, and a blank template in the
national record's layout starts a feed; both for whoever may see the job, nobody else."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.accounts.models import Role
from sharing.catalogue.export import NATIONAL
from sharing.catalogue.feed_import.jobs import import_job_run
from sharing.catalogue.models import ImportJob, Instrument
from tests.catalogue.feeds import column, sample_rows, write_csv
from tests.factories import UserFactory, beibei, mianyang

pytestmark = pytest.mark.django_db

HEADERS = [header for header, _get in NATIONAL]


@pytest.fixture
def manager(db):
    mianyang(), beibei()
    return UserFactory(username="manager", roles=[Role.INSTRUMENT_MANAGER, Role.ADMINISTRATOR])


def _read(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _bad_feed(tmp_path) -> bytes:
    header, rows = sample_rows()
    rows[1][column(header, "启用日期")] = "2019-02-30"
    rows[3][column(header, "设备分类编码")] = "=1+1"
    return write_csv(tmp_path / "bad.csv", header, rows).read_bytes()


def _imported(api, manager, settings, tmp_path) -> int:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    api.force_authenticate(manager)
    upload = SimpleUploadedFile("bad.csv", _bad_feed(tmp_path), content_type="text/csv")
    job_id = api.post("/api/imports/", {"file": upload}, format="multipart").json()["id"]
    import_job_run(job_id=job_id)
    return job_id


def test_the_rejected_rows_come_back_as_they_were_with_their_reason(
    api, manager, settings, tmp_path
):
    job_id = _imported(api, manager, settings, tmp_path)
    assert ImportJob.objects.get(pk=job_id).rejected == 2
    response = api.get(f"/api/imports/{job_id}/rejections.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _read(response)
    assert header == [*HEADERS, "拒绝原因", "原行号"]
    assert [row[header.index("原行号")] for row in rows] == ["3", "5"]
    first, second = rows
    assert first[header.index("启用日期")] == "2019-02-30"
    assert first[header.index("拒绝原因")].startswith("启用日期：")
    assert second[header.index("设备分类编码")] == "'=1+1"  # guarded, as every export is
    assert "设备分类编码：" in second[header.index("拒绝原因")]
    # Fixed and uploaded again, the rows go in (the extra columns are ignored).
    first[header.index("启用日期")] = "2019-02-28"
    second[header.index("设备分类编码")] = "010102"
    fixed = write_csv(tmp_path / "fixed.csv", header, rows).read_bytes()
    upload = SimpleUploadedFile("fixed.csv", fixed, content_type="text/csv")
    again = api.post("/api/imports/", {"file": upload}, format="multipart").json()["id"]
    import_job_run(job_id=again)
    assert ImportJob.objects.get(pk=again).rejected == 0
    assert Instrument.objects.count() == 8


def test_without_the_stored_file_the_rejections_are_listed_by_row(api, manager, settings, tmp_path):
    job_id = _imported(api, manager, settings, tmp_path)
    job = ImportJob.objects.get(pk=job_id)
    job.file.delete()
    header, *rows = _read(api.get(f"/api/imports/{job_id}/rejections.csv"))
    assert header == ["行号", "列", "原因", "值"]
    assert rows[0][:2] == ["3", "启用日期"] and rows[0][3] == "2019-02-30"


def test_another_manager_gets_404_for_my_rejections(api, manager, settings, tmp_path):
    job_id = _imported(api, manager, settings, tmp_path)
    api.force_authenticate(UserFactory(roles=[Role.INSTRUMENT_MANAGER]))
    response = api.get(f"/api/imports/{job_id}/rejections.csv")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    api.force_authenticate(UserFactory(roles=[Role.RESEARCHER]))
    assert api.get(f"/api/imports/{job_id}/rejections.csv").status_code == 403


def test_the_template_has_the_national_headers_and_imports_as_it_is(api, manager):
    api.force_authenticate(manager)
    response = api.get("/api/imports/template.csv")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    [header] = _read(response)
    assert header == HEADERS


def test_the_template_is_for_those_who_import(api, db):
    api.force_authenticate(UserFactory(roles=[Role.RESEARCHER]))
    assert api.get("/api/imports/template.csv").status_code == 403
