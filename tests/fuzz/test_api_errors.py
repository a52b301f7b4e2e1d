"""The API's error answers are documented once, in one shape, and unmatched API paths use it too."""

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
