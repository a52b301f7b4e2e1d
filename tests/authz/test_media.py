"""/media/ (only routed with DEBUG on, the default for `make run`): uploaded files go to
administrators, for admin's file links; anyone else gets 404, whatever the path. Import feeds
are stored as imports/<year>/<month>/feed.csv, an address anyone could guess, and technology
files have a view of their own that checks who may read them."""

import importlib.util

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory, override_settings

import portal.urls
from portal.accounts.models import Role
from portal.uploads import serve_private_media
from tests.factories import UserFactory

FEED = "imports/2026/11/feed.csv"
PEOPLE = {
    "anonymous": None,
    "researcher": {"roles": [Role.RESEARCHER]},
    "manager": {"roles": [Role.INSTRUMENT_MANAGER]},
    "coordinator": {"roles": [Role.COORDINATOR]},
    "admin": {"roles": [Role.ADMINISTRATOR], "is_superuser": True, "is_staff": True},
}


def test_the_debug_media_route_is_the_checked_one():
    # A copy of the URLconf as DEBUG builds it, leaving the loaded one alone.
    with override_settings(DEBUG=True):
        spec = importlib.util.spec_from_file_location("portal_urls_debug", portal.urls.__file__)
        urls = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(urls)
    media = [p for p in urls.urlpatterns if getattr(p, "name", None) == "media"]
    assert len(media) == 1
    assert media[0].callback is serve_private_media


@pytest.mark.parametrize(
    "person",
    list(PEOPLE),
    ids=[f"GET media[an uploaded feed] as {p} -> {200 if p == 'admin' else 404}" for p in PEOPLE],
)
def test_uploaded_files_go_to_administrators_only(person, db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / FEED).parent.mkdir(parents=True)
    (tmp_path / FEED).write_text("所在单位,联系电话\n测试单位,13812345678\n", encoding="utf-8")
    request = RequestFactory().get(f"/media/{FEED}")
    request.user = AnonymousUser() if PEOPLE[person] is None else UserFactory(**PEOPLE[person])
    if person == "admin":
        response = serve_private_media(request, FEED)
        assert response.status_code == 200
        assert response["Content-Disposition"] == "attachment"
    else:
        with pytest.raises(Http404):
            serve_private_media(request, FEED)
        with pytest.raises(Http404):
            serve_private_media(request, "imports/2026/11/nothing-here.csv")
