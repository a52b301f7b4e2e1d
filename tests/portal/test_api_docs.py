import re

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_schema_validates_as_openapi_3(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    spec = yaml.safe_load(response.content)
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert "/api/auth/token/" in spec["paths"]


def test_swagger_ui_loads_its_assets_from_the_portal(client):
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(src.startswith("/") and not src.startswith("//") for src in sources), sources


def test_the_schema_documents_token_expiry_and_revocation(client):
    spec = yaml.safe_load(client.get("/api/schema/").content)
    token = spec["paths"]["/api/auth/token/"]
    answer = spec["components"]["schemas"]["TokenResponse"]
    assert answer["properties"]["expires"] == {
        **answer["properties"]["expires"],
        "format": "date-time",
    }
    assert set(answer["required"]) == {"token", "expires"}
    assert "401" in token["post"]["responses"]
    revoke = token["delete"]
    assert {"204", "401"} <= set(revoke["responses"])
    # Only a signed-in caller may revoke: no anonymous security requirement.
    assert {} not in revoke["security"]
