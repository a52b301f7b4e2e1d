"""portal.uploads: a file's name and its first bytes must agree on an allowed kind, its size
must be under the limit, and it is stored under a name of ours."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.errors import RuleBroken
from portal.uploads import check_upload, safe_upload_name

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
CSV = "仪器名称,型号\n扫描电镜,SU8010\n".encode()
CSV_GB18030 = "仪器名称,型号\n扫描电镜,SU8010\n".encode("gb18030")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


XLSX = office("xl/workbook.xml")
DOCX = office("word/document.xml")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("photo.PNG", PNG, "png"),
        ("photo.jpg", JPEG, "jpeg"),
        ("photo.jpeg", JPEG, "jpeg"),
        ("spec.pdf", PDF, "pdf"),
        ("contract.docx", DOCX, "docx"),
        ("feed.xlsx", XLSX, "xlsx"),
        ("feed.csv", CSV, "csv"),
        ("feed.csv", b"\xef\xbb\xbf" + CSV, "csv"),
        ("feed.csv", CSV_GB18030, "csv"),
    ],
)
def test_it_accepts_a_file_whose_name_and_bytes_agree(name, content, kind):
    allowed = {"png", "jpeg", "pdf", "docx", "xlsx", "csv"}
    assert check_upload(upload(name, content), kinds=allowed, max_bytes=1024 * 1024) == kind


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", EXE),  # wrong name, wrong bytes
        ("feed.csv", EXE),  # a renamed program
        ("photo.png", JPEG),  # a real image, but not what its name says
        ("feed.csv", XLSX),  # a workbook called CSV
        ("contract.xlsx", DOCX),  # a Word file called a workbook
        ("feed.xlsx", b"PK\x03\x04not really a zip"),
        ("page.html", b"<html><script>alert(1)</script></html>"),  # text, but not .csv
        ("feed", CSV),  # no extension
        ("feed.csv.exe", CSV),
    ],
)
def test_it_refuses_a_file_whose_name_or_bytes_are_wrong(name, content):
    with pytest.raises(RuleBroken) as caught:
        check_upload(upload(name, content), kinds={"png", "csv", "xlsx"}, max_bytes=1024 * 1024)
    assert caught.value.rule == "upload_type"
    assert "文件类型不符" in caught.value.message
    assert "file" in caught.value.fields


def test_it_refuses_a_kind_the_caller_did_not_allow():
    with pytest.raises(RuleBroken) as caught:
        check_upload(upload("spec.pdf", PDF), kinds={"png", "jpeg"}, max_bytes=1024)
    assert caught.value.rule == "upload_type"


def test_it_refuses_a_file_over_the_limit():
    with pytest.raises(RuleBroken) as caught:
        check_upload(upload("feed.csv", CSV * 100), kinds={"csv"}, max_bytes=1024)
    assert caught.value.rule == "upload_size"
    assert "文件太大" in caught.value.message


def test_it_refuses_an_empty_file():
    with pytest.raises(RuleBroken) as caught:
        check_upload(upload("feed.csv", b""), kinds={"csv"}, max_bytes=1024)
    assert caught.value.rule == "upload_type"


def test_it_leaves_the_file_where_it_was():
    file = upload("feed.csv", CSV)
    file.read(3)
    check_upload(file, kinds={"csv"}, max_bytes=1024)
    assert file.tell() == 3


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        check_upload(upload("a.csv", CSV), kinds={"exe"}, max_bytes=1024)


@pytest.mark.parametrize(
    ("original", "extension"),
    [
        ("报告.PDF", ".pdf"),
        ("../../etc/passwd", ""),
        ("..\\..\\windows\\evil.docx", ".docx"),
        ("photo.php", ""),
        ("photo.png.php", ""),
        ("", ""),
        ("feed.csv", ".csv"),
    ],
)
def test_stored_names_are_ours_with_only_a_known_extension(original, extension):
    name = safe_upload_name(original)
    assert re.fullmatch(r"[0-9a-f]{32}" + re.escape(extension), name), name
    assert safe_upload_name(original) != name
