"""A blank filter (``?status=``) is a mistake, not "no filter": every list refuses it in the
one error shape, as the technology exchange always has and as the schema says (minLength 1).
A blank search text (``?q=``) stays allowed: it means no search."""

import pytest

from portal.accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS = [
    ("/api/instruments/", "status"),
    ("/api/instruments/", "category"),
    ("/api/instruments/", "region"),
    ("/api/instruments/", "organisation"),
    ("/api/instruments/", "sharing_mode"),
    ("/api/instruments/", "ordering"),
    ("/api/instruments/export.csv", "status"),
    ("/api/instruments/export.xlsx", "region"),
    ("/api/geo/platforms/", "zone"),
    ("/api/geo/platforms/", "kind"),
    ("/api/geo/platforms/", "region"),
    ("/api/geo/platforms/", "in_bbox"),
    ("/api/geo/nearest-instruments/?lon=104.7&lat=31.5", "category"),
    ("/api/tech/listings/", "status"),
]
SIGNED_IN = [
    ("/api/bookings/", "status"),
    ("/api/bookings/", "role"),
    ("/api/notifications/", "unread"),
    ("/api/indicators/?level=region", "year"),
    ("/api/service-records/export.csv?from=2026-01-01&to=2026-02-01", "instrument"),
    ("/api/tech/inquiries/", "stage"),
]


def _blank(path: str, name: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{name}="


def _refused(response, name):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    assert name in response.json()["error"]["fields"]


@pytest.mark.parametrize(("path", "name"), ANONYMOUS)
def test_a_blank_filter_is_refused_for_a_visitor(api, path, name):
    _refused(api.get(_blank(path, name)), name)


@pytest.mark.parametrize(("path", "name"), SIGNED_IN)
def test_a_blank_filter_is_refused_for_a_coordinator(api, path, name):
    api.force_authenticate(UserFactory(roles=[Role.COORDINATOR]))
    _refused(api.get(_blank(path, name)), name)


@pytest.mark.parametrize("path", ["/api/instruments/", "/api/tech/listings/"])
def test_a_blank_search_text_means_no_search(api, path):
    assert api.get(f"{path}?q=").status_code == 200
