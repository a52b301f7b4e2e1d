"""Response headers: the Content Security Policy, nosniff, and the production cookie and HSTS
settings (checked in a fresh production-mode process, as a deployment starts)."""

import json
import re

import pytest
from django.test import RequestFactory

from geo.map.frame import frame_policy
from portal.uploads import UploadSizeLimitMiddleware, serve_media
from tests.portal.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_every_page_gets_a_policy_without_inline_script_or_other_hosts(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # Only the tile server is another host, and only for images.
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    others = [
        source
        for name, sources in policy.items()
        if name != "img-src"
        for source in sources
        if source.startswith("http")
    ]
    assert others == []


def test_an_inline_block_carries_the_nonce_the_header_names(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    policy = directives(response["Content-Security-Policy"])
    [nonce_source] = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    nonce = nonce_source[len("'nonce-") : -1]
    assert f'<script nonce="{nonce}">' in html
    assert f'<style nonce="{nonce}">' in html
    assert nonce_source in policy["style-src"]
    # Every inline script has it; no other inline script exists.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    # A fresh nonce each response.
    again = directives(client.get("/api/docs/")["Content-Security-Policy"])
    assert nonce_source not in again["script-src"]


def test_responses_say_nosniff_and_same_origin_referrer(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_map_frame_allows_exactly_its_own_inline_blocks():
    html = (
        b"<html><head><script src='/static/x.js'></script><style>.a{color:red}</style>"
        b"</head><body><script>var map = L.map('m');</script>\n"
        b"<SCRIPT type='text/javascript'>\nL.tileLayer('x');\n</SCRIPT></body></html>"
    )
    policy = directives(frame_policy(html))
    import base64
    import hashlib

    def sha(text: bytes) -> str:
        return f"'sha256-{base64.b64encode(hashlib.sha256(text).digest()).decode()}'"

    assert policy["script-src"] == [
        "'self'",
        sha(b"var map = L.map('m');"),
        sha(b"\nL.tileLayer('x');\n"),
    ]
    assert policy["style-src"] == ["'self'", sha(b".a{color:red}")]
    assert policy["frame-ancestors"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]


def test_the_frame_policy_follows_the_basemap(settings):
    settings.MAP_BASEMAP = "gaode"
    assert "https://*.is.autonavi.com" in directives(frame_policy(b""))["img-src"]
    settings.MAP_BASEMAP = "none"
    assert directives(frame_policy(b""))["img-src"] == ["'self'", "data:"]


def test_uploaded_files_are_served_as_downloads_that_cannot_run(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "feed.csv").write_text("<script>alert(1)</script>")
    response = serve_media(RequestFactory().get("/media/imports/feed.csv"), "imports/feed.csv")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "attachment"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_an_oversized_upload_is_refused_before_its_body_is_read(settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024
    read = []
    middleware = UploadSizeLimitMiddleware(lambda request: read.append(request) or None)
    request = RequestFactory().post(
        "/api/imports/",
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH="5000",
    )
    response = middleware(request)
    assert response.status_code == 413
    error = json.loads(response.content)["error"]
    assert (error["code"], error["rule"]) == ("too_large", "upload_size")
    assert read == []


def test_production_mode_sets_secure_cookies_and_hsts():
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "AXES_ENABLED",
    ]
    script = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {names!r}}}))"
    )
    result = manage("shell", "-c", script, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "AXES_ENABLED": True,
    }


def test_a_malformed_throttle_rate_stops_start_up():
    result = manage("check", **{**PRODUCTION, "THROTTLE_ANON": "lots"})
    assert result.returncode == 2
    assert "THROTTLE_ANON" in result.stderr
