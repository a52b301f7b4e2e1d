"""Checking uploaded files before anything stores or parses them.

``check_upload(file, kinds={"csv", "xlsx"}, max_bytes=...)`` looks at the size and at the
file's first bytes, not only at its name: a renamed executable is refused whatever it is
called. ``safe_upload_name(original)`` gives the name to store under: random, with the
original's extension only when it is one we know, never any part of the uploader's path.
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.static import serve as static_serve

from portal.errors import RuleBroken, error_body

# kind -> the extensions it may carry
EXTENSIONS = {
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg"},
    "webp": {".webp"},
    "pdf": {".pdf"},
    "docx": {".docx"},
    "xlsx": {".xlsx"},
    "csv": {".csv"},
}
SAFE_EXTENSIONS = set().union(*EXTENSIONS.values())
# Office files are ZIP archives; this member tells which application wrote them.
_OOXML_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_TEXT_SAMPLE = 64 * 1024


def _extension(name: str) -> str:
    # PurePath of the last component only: "a/b/../x.csv" and "C:\\x.csv" both end in ".csv".
    last = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return PurePath(last).suffix.lower()


def _head(file, size: int) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        return file.read(size)
    finally:
        file.seek(position)


def _is_text(head: bytes) -> bool:
    """CSV: text with no NUL byte, in UTF-8 (with or without BOM) or GB18030, the two
    encodings the feed reader accepts."""
    if not head or b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sample's end is still text.
            if encoding == "utf-8-sig" and exc.start >= len(head) - 3:
                return True
    return False


def _ooxml_kind(file) -> str | None:
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        file.seek(position)
    if "[Content_Types].xml" not in names:
        return None
    for kind, part in _OOXML_PART.items():
        if part in names:
            return kind
    return None


def detect_kind(file) -> str | None:
    """What the file's bytes say it is, among the kinds this module knows; None otherwise."""
    head = _head(file, _TEXT_SAMPLE)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(file)
    if _is_text(head):
        return "csv"
    return None


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return int(size)
    position = file.tell()
    file.seek(0, 2)
    try:
        return file.tell()
    finally:
        file.seek(position)


def check_upload(file, *, kinds: set[str], max_bytes: int) -> str:
    """The file's kind, when its name and its bytes agree on one of ``kinds`` and it is no
    larger than ``max_bytes``. Raises RuleBroken (rule upload_size or upload_type)."""
    unknown = set(kinds) - EXTENSIONS.keys()
    if unknown:
        raise ValueError(f"unknown upload kinds: {sorted(unknown)}")
    allowed = ", ".join(sorted(ext for kind in kinds for ext in EXTENSIONS[kind]))
    size = _size(file)
    if size > max_bytes:
        raise RuleBroken(
            too_large_message(max_bytes),
            rule="upload_size",
            fields={"file": [_("文件太大。")]},
        )
    if size == 0:
        raise RuleBroken(
            _("文件是空的。"), rule="upload_type", fields={"file": [_("文件是空的。")]}
        )
    extension = _extension(getattr(file, "name", ""))
    by_name = {kind for kind in kinds if extension in EXTENSIONS[kind]}
    by_bytes = detect_kind(file)
    if not by_name or by_bytes not in by_name:
        message = _("文件类型不符：只接受 %(allowed)s 文件，且内容须与扩展名一致。") % {
            "allowed": allowed
        }
        raise RuleBroken(message, rule="upload_type", fields={"file": [message]})
    return by_bytes


def too_large_message(limit: int) -> str:
    """The one wording for a file over ``limit`` bytes (check_upload, the 413 gate, imports)."""
    return _("文件太大：最大 %(limit)s MB，请压缩或拆分后再上传。") % {"limit": _megabytes(limit)}


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def safe_upload_name(original_name: str) -> str:
    """A fresh random name keeping only a known extension (lower case): ``3f2a….csv``."""
    extension = _extension(original_name)
    return uuid.uuid4().hex + (extension if extension in SAFE_EXTENSIONS else "")


class UploadSizeLimitMiddleware:
    """Refuses an upload whose Content-Length is over UPLOAD_MAX_REQUEST_BYTES before Django
    reads the body (413), so an oversized file never reaches a temporary file on disk. Each
    endpoint still checks its own, smaller limit with check_upload."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = getattr(settings, "UPLOAD_MAX_REQUEST_BYTES", None)
        content_type = request.META.get("CONTENT_TYPE", "")
        if limit and content_type.startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return _too_large(request, limit)
        return self.get_response(request)


def _too_large(request, limit: int) -> HttpResponse:
    message = too_large_message(limit)
    if request.path.startswith("/api/"):
        body = error_body("too_large", message, rule="upload_size")
        return JsonResponse(body, status=413, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def serve_media(request, path: str):
    """User files (MEDIA_ROOT) as downloads that can never run as a page of this site."""
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "attachment"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def serve_private_media(request, path: str):
    """serve_media for administrators only (admin's file links); 404 for anyone else, so the
    address of a file tells nothing. Uploads are private: a feed belongs to its uploader, a
    technology file is reached through its own checked view, and names like
    imports/<year>/<month>/feed.csv are easy to guess."""

    user = request.user
    if not (user.is_authenticated and user.is_administrator):
        raise Http404
    return serve_media(request, path)
