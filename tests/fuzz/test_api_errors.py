"""The API's error answers are documented once, in one shape, and unmatched API paths use it too."""

import json

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_an_api_path_that_matches_nothing_answers_404_in_the_error_shape(client):
    response = client.get("/api/bookings/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_a_page_that_matches_nothing_still_answers_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_documented_error_answer_has_the_error_body(client):
    spec = yaml.safe_load(client.get("/api/schema/").content)
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]
    bare = [
        f"{method.upper()} {path} {status}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for status, answer in operation["responses"].items()
        if status.startswith("4")
        and answer.get("content", {}).get("application/json", {}).get("schema")
        != {"$ref": "#/components/schemas/Error"}
    ]
    assert bare == []


def test_a_protected_operation_documents_403_and_a_write_409(client):
    spec = yaml.safe_load(client.get("/api/schema/").content)
    booking = spec["paths"]["/api/bookings/"]["post"]["responses"]
    assert {"201", "400", "403", "409"} <= set(booking)
    assert "404" in spec["paths"]["/api/bookings/{id}/"]["get"]["responses"]


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path", ["/api/bookings/null,null/", "/api/no-such-thing/", "/api/geo/zones/a/b/c/"]
)
def test_an_unmatched_api_path_answers_json_with_debug_on_or_off(client, settings, debug, path):
    settings.DEBUG = debug
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("debug", [True, False])
def test_a_wrong_method_on_an_api_path_answers_405_in_the_error_shape(client, settings, debug):
    settings.DEBUG = debug
    response = client.delete("/api/instruments/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_page_that_matches_nothing_answers_the_html_404_with_debug_on(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_any_html_error_under_the_api_leaves_in_the_error_shape(rf):
    from django.http import HttpResponse

    from portal.errors import ApiErrorShapeMiddleware

    def page(status):
        return ApiErrorShapeMiddleware(lambda request: HttpResponse("<h1>x</h1>", status=status))

    answer = page(500)(rf.get("/api/instruments/"))
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    assert json.loads(answer.content)["error"]["code"] == "server_error"
    assert json.loads(page(403)(rf.get("/api/me/")).content)["error"]["code"] == (
        "permission_denied"
    )
    assert page(500)(rf.get("/instruments/"))["Content-Type"].startswith("text/html")
