"""Every route of the portal against every person: the answer each must get.

The rows are in matrix_<area>.py (format: matrix.py). A route without a row fails
test_every_route_has_a_row, which names it.
"""

import pytest
from django.urls import resolve

from tests.authz.matrix import all_rows, case_id, cases, portal_routes

CASES = cases()


def test_every_route_has_a_row():
    rows = all_rows()
    covered = {(row.route, row.method) for row in rows}
    named = {row.route for row in rows}
    missing = []
    for route in portal_routes():
        if route.name not in named:
            missing.append(f"{route.name}  /{route.pattern}  (no row at all)")
            continue
        missing += [
            f"{route.name}  /{route.pattern}  {method}"
            for method in route.methods
            if (route.name, method) not in covered
        ]
    assert not missing, "routes without a row in tests/authz/matrix_*.py:\n  " + "\n  ".join(
        missing
    )


def test_every_row_names_a_route_that_exists():
    known = {route.name for route in portal_routes()}
    stale = sorted({row.route for row in all_rows()} - known)
    assert not stale, f"rows for routes that do not exist (or are skipped): {stale}"


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _send(client, row, world):
    url = row.url(world)
    data = row.body(world) if row.body else None
    method = getattr(client, row.method.lower())
    if row.fmt == "form":
        return url, method(url, data or {})
    if row.method == "GET":
        return url, method(url, data)
    return url, method(url, data, format=row.fmt)


@pytest.mark.parametrize(("row", "person"), CASES, ids=[case_id(r, p) for r, p in CASES])
def test_matrix(row, person, world, client_as):
    before = row.effect(world) if row.effect else None
    url, response = _send(client_as(person), row, world)
    assert resolve(url.split("?")[0]).view_name == row.route, f"{url} is not {row.route}"
    expected = row.expect.of(person)
    streamed = getattr(response, "streaming", False)
    body = b"" if streamed or row.secret else response.content[:300]
    assert response.status_code in expected, (
        f"{row.method} {url} as {person}: {response.status_code}, expected "
        f"{sorted(expected)}: {body!r}"
    )
    if response.status_code == 302 and row.method == "GET":
        assert "login" in response["Location"], response["Location"]
    if row.secret and response.status_code == 200:
        secrets = row.secret(world)
        secrets = (secrets,) if isinstance(secrets, str) else secrets
        text = _text(response)
        shown = [secret for secret in secrets if secret in text]
        if person in row.seen_by:
            assert shown == list(secrets), f"{person} should see {secrets}, saw only {shown}"
        else:
            assert not shown, f"{url} shows {shown} to {person}"
    if row.effect:
        after = row.effect(world)
        changes = 200 <= response.status_code < 300 and (
            row.changed_by is None or person in row.changed_by
        )
        if changes:
            assert after != before, f"{person} got {response.status_code} but nothing changed"
        else:
            assert after == before, f"{person} got {response.status_code} and it changed"
