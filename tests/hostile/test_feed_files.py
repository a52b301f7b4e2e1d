"""Hostile feed files uploaded to POST /api/imports/.

Two outcomes, never a third: a file that cannot be read as a whole is refused at upload
(400, rule feed_unreadable, the reason under fields.file; no job, no rows), and a file that
reads is imported with each bad row rejected by row number and column while the rest land.
"""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from portal.accounts.models import Role
from sharing.catalogue.feed_import.jobs import import_job_run
from sharing.catalogue.models import ImportJob, ImportRejection, Instrument
from tests.catalogue.feeds import sample_rows, write_xlsx
from tests.factories import InstrumentFactory, UserFactory, beibei, mianyang
from tests.hostile import corpus


@pytest.fixture
def owner(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    mianyang(), beibei()
    return UserFactory(username="owner", roles=[Role.INSTRUMENT_MANAGER, Role.ADMINISTRATOR])


def counts() -> tuple[int, int, int]:
    return (
        Instrument.objects.count(),
        ImportJob.objects.count(),
        ImportRejection.objects.count(),
    )


def upload(api, user, content: bytes, name="feed.csv"):
    api.force_authenticate(user)
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return api.post("/api/imports/", {"file": file}, format="multipart")


def imported(api, user, content: bytes, name="feed.csv") -> dict:
    response = upload(api, user, content, name)
    assert response.status_code == 202, response.content
    import_job_run(job_id=response.json()["id"])
    return api.get(f"/api/imports/{response.json()['id']}/").json()


def assert_refused(response, *needles: str) -> str:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    if error.get("rule") == "upload_type":
        # The upload gate (portal.uploads.check_upload) saw from the first bytes that this is no
        # CSV or XLSX, before the content check: refused as a whole all the same.
        assert error["message"] and error["fields"]["file"]
        return error["message"]
    assert error["rule"] == "feed_unreadable"
    assert error["message"].startswith("文件无法导入：")
    reason = error["fields"]["file"][0]
    for needle in needles:
        assert needle in reason, reason
    return reason


# --- Whole file refused ------------------------------------------------------------------


REFUSED = {
    "unbalanced_quote": (corpus.unbalanced_quote, ["第 9 行", "引号没有闭合"]),
    "text_after_quote": (corpus.quote_then_text, ["第 4 行", "引号"]),
    "nul_bytes": (corpus.nul_bytes, ["NUL"]),
    "nul_bytes_past_the_sniffed_head": (corpus.nul_bytes_deep, ["第 403 行", "NUL"]),
    "no_header": (corpus.no_header, ["缺少必需的列"]),
    "only_a_bom": (corpus.only_bom, ["文件是空的"]),
    "binary_garbage": (corpus.binary_garbage, ["编码"]),
    "big5": (corpus.big5, ["Big5"]),
    "utf16_without_bom": (corpus.utf16_without_bom, ["NUL", "UTF-16"]),
    "utf16_with_bom": (corpus.utf16_with_bom, ["UTF-16"]),
    "latin1": (corpus.latin1, ["编码"]),
    "latin1_once": (corpus.latin1_once, ["编码"]),
    "huge_csv_cell": (corpus.huge_cell, ["第 2 行", "超过 20000 个字符"]),
}


@pytest.mark.parametrize("case", REFUSED)
def test_it_refuses_an_unreadable_csv_as_a_whole(api, owner, case):
    make, needles = REFUSED[case]
    response = upload(api, owner, make())
    assert_refused(response, *needles)
    assert counts() == (0, 0, 0)


def test_it_refuses_an_empty_file(api, owner):
    response = upload(api, owner, b"")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["file"]
    assert counts() == (0, 0, 0)


def test_it_refuses_an_xlsx_that_is_not_a_zip(api, owner):
    response = upload(api, owner, corpus.not_a_zip(), name="feed.xlsx")
    assert_refused(response, "不是有效的 XLSX 文件")
    assert counts() == (0, 0, 0)


def test_it_refuses_a_zip_that_is_not_a_workbook(api, owner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "你好")
    response = upload(api, owner, buffer.getvalue(), name="feed.xlsx")
    assert_refused(response, "XLSX")
    assert counts() == (0, 0, 0)


def test_the_expansion_ratio_check_fires_on_a_zip_bomb(api, owner, tmp_path):
    bomb = corpus.zip_bomb(tmp_path / "bomb.xlsx")
    content = bomb.read_bytes()
    with zipfile.ZipFile(bomb) as archive:
        inflated = sum(info.file_size for info in archive.infolist())
        # A real bomb, not a lying header: the start of the sheet inflates as declared.
        with archive.open("xl/worksheets/sheet1.xml") as sheet:
            assert len(sheet.read(8 * 1024 * 1024)) == 8 * 1024 * 1024
    assert inflated >= corpus.GIB and len(content) < 2 * 1024 * 1024
    response = upload(api, owner, content, name="feed.xlsx")
    assert_refused(response, "解压后过大")
    assert counts() == (0, 0, 0)


def test_a_zip_bomb_named_csv_is_still_caught(api, owner, tmp_path):
    content = corpus.zip_bomb(tmp_path / "bomb.xlsx", expands_to=64 * 1024 * 1024).read_bytes()
    assert_refused(upload(api, owner, content, name="feed.csv"), "解压后过大")
    assert counts() == (0, 0, 0)


def test_an_oversized_upload_is_refused_before_a_job_exists(api, owner, monkeypatch):
    # The real limit is 200 MB; the gate is the same code at any limit. (The early gate on
    # Content-Length belongs to the upload defences; this pins the behaviour either way.)
    from sharing.catalogue.feed_import import api as import_api

    monkeypatch.setattr(import_api, "MAX_UPLOAD_BYTES", 1024)
    response = upload(api, owner, corpus.sample_csv())
    assert response.status_code in (400, 413), response.content
    error = response.json()["error"]
    assert "文件" in error["message"] or "file" in error.get("fields", {})
    assert counts() == (0, 0, 0)


def test_an_oversized_body_is_refused_from_its_content_length(api, owner, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024
    response = upload(api, owner, corpus.sample_csv())
    assert response.status_code == 413, response.content
    assert response.json()["error"]["rule"] == "upload_size"
    assert "文件太大" in response.json()["error"]["message"]
    assert counts() == (0, 0, 0)


def test_a_problem_past_the_upload_scan_fails_the_job_before_any_row_is_written(
    api, owner, monkeypatch
):
    """Above UPLOAD_SCAN_BYTES (32 MB) the uploader does not wait for the whole read: the job
    is queued, and the worker reads the file through before its first batch."""
    from sharing.catalogue.feed_import import jobs

    monkeypatch.setattr(jobs, "UPLOAD_SCAN_BYTES", 1024)
    content = corpus.nul_bytes_deep().replace(b"\x00", b"") + b'X-1,"never closed\n'
    response = upload(api, owner, content)
    assert response.status_code == 202, response.content
    job = import_job_run(job_id=response.json()["id"])
    assert job.status == ImportJob.Status.FAILED
    assert "引号没有闭合" in job.error
    assert (Instrument.objects.count(), ImportRejection.objects.count()) == (0, 0)


def test_a_worker_given_a_broken_file_fails_the_job_and_writes_nothing(owner, tmp_path):
    """Files that never passed the upload check (a feed source's file): the whole file is read
    before the first batch is written, so a broken quote near the end costs nothing."""
    from sharing.catalogue.feed_import.read import FeedError
    from sharing.catalogue.feed_import.store import InstrumentImport

    path = tmp_path / "feed.csv"
    path.write_bytes(corpus.unbalanced_quote())
    with pytest.raises(FeedError, match="引号没有闭合"):
        InstrumentImport(path=path, batch_size=1).run()
    assert Instrument.objects.count() == 0


# --- Row rejected, the rest imported ------------------------------------------------------


def rejections(body) -> list[tuple[int, str, str]]:
    return [(r["row_number"], r["column"], r["reason"]) for r in body["rejections"]]


def test_ragged_rows_are_rejected_by_row_and_the_others_land(api, owner):
    body = imported(api, owner, corpus.ragged_rows())
    assert body["status"] == "succeeded", body
    assert (body["rows_read"], body["created"], body["rejected"]) == (8, 6, 2)
    found = [(n, c) for n, c, reason in rejections(body) if "单元格" in reason]
    assert found == [(3, ""), (4, "")]
    assert Instrument.objects.count() == 6


def test_a_huge_xlsx_cell_rejects_its_row_only(api, owner, tmp_path):
    header, rows = corpus.with_cell("仪器名称", "显" * (1024 * 1024))
    content = write_xlsx(tmp_path / "huge.xlsx", header, rows).read_bytes()
    body = imported(api, owner, content, name="feed.xlsx")
    assert body["status"] == "succeeded", body
    assert body["created"] == 7
    [(row, column, reason)] = rejections(body)
    assert (row, column) == (2, "仪器名称") and reason.startswith("超过 200 个字符")


@pytest.mark.parametrize("mark", ["\u202e", "\u2066", "\u200f", "\x1b"])
def test_hidden_direction_and_control_characters_in_names_reject_the_row(api, owner, mark):
    header, rows = corpus.with_cell("仪器名称", f"扫描电镜{mark}gpj.exe")
    body = imported(api, owner, corpus.csv_bytes(header, rows))
    assert body["created"] == 7
    [(row, column, reason)] = rejections(body)
    assert (row, column) == (2, "仪器名称")
    assert f"U+{ord(mark):04X}" in reason and "控制字符" in reason
    assert not Instrument.objects.filter(name__contains=mark).exists()


FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def test_formula_payloads_are_stored_inert_and_exported_guarded(api, owner, client):
    header, rows = sample_rows()
    name = header.index("仪器名称")
    for row, payload in zip(rows, FORMULAS, strict=False):
        row[name] = payload
    body = imported(api, owner, corpus.csv_bytes(header, rows))
    assert (body["created"], body["rejected"]) == (8, 0), body
    stored = set(Instrument.objects.values_list("name", flat=True))
    # Stored as the text it is (cells are trimmed, so a leading tab or CR goes).
    assert {p.strip() for p in FORMULAS} <= stored

    exported = client.get("/api/instruments/export.csv?layout=national")
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    names = {row[1] for row in csv.reader(io.StringIO(text))}
    for payload in FORMULAS:
        assert "'" + payload.strip() in names
    assert not any(n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)

    book = load_workbook(io.BytesIO(client.get("/api/instruments/export.xlsx").getvalue()))
    cells = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in cells), cells


def test_full_width_digits_in_numeric_fields_are_read_as_digits(api, owner):
    header, rows = sample_rows()
    row = rows[0]
    row[header.index("设备分类编码")] = "０１０１０２"
    row[header.index("原值（万元）")] = "３８６．５０"
    row[header.index("启用日期")] = "２０１９-０６-１８"
    row[header.index("经度")] = "１０６.４１３５"
    row[header.index("纬度")] = "２９.８１４８"
    body = imported(api, owner, corpus.csv_bytes(header, rows))
    assert (body["created"], body["rejected"]) == (8, 0), body["rejections"]
    instrument = Instrument.objects.get(internal_code=row[0])
    assert instrument.category_code == "010102"
    assert str(instrument.original_value) == "386.50"
    assert instrument.in_service_date.isoformat() == "2019-06-18"
    assert (round(instrument.location.x, 4), round(instrument.location.y, 4)) == (106.4135, 29.8148)


def test_emoji_and_markup_in_names_are_kept_as_data_and_escaped_on_pages(api, owner, client):
    header, rows = corpus.with_cell("仪器名称", "<script>alert(1)</script>电镜🔬")
    body = imported(api, owner, corpus.csv_bytes(header, rows))
    assert body["created"] == 8
    instrument = Instrument.objects.get(name="<script>alert(1)</script>电镜🔬")
    page = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;电镜🔬" in page
    assert "<script>alert(1)" not in page
    assert api.get(f"/api/instruments/{instrument.pk}/").json()["name"] == instrument.name


def test_a_control_character_cannot_smuggle_a_formula_into_the_xlsx_export(db, client):
    # Not through a feed (the rules refuse control characters) but through an edit elsewhere.
    InstrumentFactory(name="\x01=cmd|' /C calc'!A0")
    book = load_workbook(io.BytesIO(client.get("/api/instruments/export.xlsx").getvalue()))
    header = [c.value for c in book.active[1]]
    row = [c for c in book.active[2]]
    name = row[header.index("仪器名称")] if "仪器名称" in header else row[1]
    assert name.data_type == "s" and name.value == "'=cmd|' /C calc'!A0"


def test_entity_expansion_in_a_sheet_is_refused(api, owner, tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    path = write_xlsx(tmp_path / "laughs.xlsx", ["x"], [])
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = laughs.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    response = upload(api, owner, path.read_bytes(), name="feed.xlsx")
    assert_refused(response, "XLSX")
    assert counts() == (0, 0, 0)
