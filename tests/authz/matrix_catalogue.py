"""Rows for the catalogue API: the public catalogue and feed imports."""

from django.core.files.uploadedfile import SimpleUploadedFile

from sharing.catalogue.models import ImportJob
from tests.authz.matrix import ALL, ONLY, SIGNED, Row
from tests.catalogue.feeds import SAMPLE

PHONE = "13812345678"  # the instrument's contact: personal data, for signed-in people

IMPORTERS = {"manager_this", "manager_other", "admin"}


def _upload(w):
    # The import itself never runs (its task is enqueued on commit and a case never commits):
    # only the upload and its job are judged.
    return {"file": SimpleUploadedFile("feed.csv", SAMPLE.read_bytes(), content_type="text/csv")}


ROWS = [
    Row("api:instrument-list", "GET", lambda w: "/api/instruments/?q=显微镜", ALL(200)),
    Row(
        "api:instrument-detail",
        "GET",
        lambda w: f"/api/instruments/{w.instrument.pk}/",
        ALL(200),
        secret=lambda w: PHONE,
        seen_by=SIGNED,
    ),
    Row(
        "api:instrument-export-csv",
        "GET",
        lambda w: "/api/instruments/export.csv",
        ALL(200),
        secret=lambda w: PHONE,
        seen_by=SIGNED,
    ),
    Row("api:instrument-export-xlsx", "GET", lambda w: "/api/instruments/export.xlsx", ALL(200)),
    Row(
        "api:imports",
        "POST",
        lambda w: "/api/imports/",
        ONLY(IMPORTERS, 202, else_=403),
        body=_upload,
        fmt="multipart",
        effect=lambda w: ImportJob.objects.count(),
    ),
    # Importing by source is the administrators': managers get the same 403 whether the source
    # exists or not, so its name cannot be guessed by trying (an administrator is told 400).
    Row(
        "api:imports",
        "POST",
        lambda w: "/api/imports/",
        ONLY({"admin"}, 202, else_=403),
        label="an existing source",
        body=lambda w: {**_upload(w), "source": w.feed_source.name},
        fmt="multipart",
        effect=lambda w: ImportJob.objects.count(),
    ),
    Row(
        "api:imports",
        "POST",
        lambda w: "/api/imports/",
        ONLY({"admin"}, 400, else_=403),
        label="a missing source",
        body=lambda w: {**_upload(w), "source": "no-such-source"},
        fmt="multipart",
        effect=lambda w: ImportJob.objects.count(),
    ),
    # The uploader and administrators; another importer gets 404, not a hint it exists.
    Row(
        "api:import-detail",
        "GET",
        lambda w: f"/api/imports/{w.import_this.pk}/",
        ONLY({"manager_this", "admin"}, 200, else_=403) | {"manager_other": 404},
        label="manager_this's",
    ),
    Row(
        "api:import-detail",
        "GET",
        lambda w: f"/api/imports/{w.import_other.pk}/",
        ONLY({"manager_other", "admin"}, 200, else_=403) | {"manager_this": 404},
        label="manager_other's",
    ),
    # The rejected rows as CSV: exactly who sees the job (404 for another importer).
    Row(
        "api:import-rejections",
        "GET",
        lambda w: f"/api/imports/{w.import_this.pk}/rejections.csv",
        ONLY({"manager_this", "admin"}, 200, else_=403) | {"manager_other": 404},
        label="manager_this's",
    ),
    Row(
        "api:import-rejections",
        "GET",
        lambda w: f"/api/imports/{w.import_other.pk}/rejections.csv",
        ONLY({"manager_other", "admin"}, 200, else_=403) | {"manager_this": 404},
        label="manager_other's",
    ),
    Row(
        "api:import-template",
        "GET",
        lambda w: "/api/imports/template.csv",
        ONLY(IMPORTERS, 200, else_=403),
    ),
]
