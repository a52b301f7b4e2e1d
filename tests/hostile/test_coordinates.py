"""Hostile coordinates on every API that takes them: 400 in the one error shape, the field named.

Endpoints: /api/geo/locate/ and /api/geo/nearest-instruments/ (lon, lat), /api/geo/platforms/
(in_bbox, point + dist). The catalogue's instrument filters take no coordinates.
"""

import pytest

pytestmark = pytest.mark.django_db

BAD_NUMBERS = [
    "91.5",
    "181",
    "-181",
    "nan",
    "NaN",
    "Infinity",
    "-inf",
    "1e400",
    "",
    "abc",
    "1" * 400,
]


def error_of(response) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    return error


@pytest.mark.parametrize("path", ["/api/geo/locate/", "/api/geo/nearest-instruments/"])
@pytest.mark.parametrize("field", ["lon", "lat"])
@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_a_bad_longitude_or_latitude_is_refused_by_name(api, path, field, value):
    if field == "lon" and value == "91.5":
        value = "180.5"
    query = {"lon": "106.4", "lat": "29.8", field: value}
    error = error_of(api.get(path, query))
    assert list(error["fields"]) == [field], error


@pytest.mark.parametrize("path", ["/api/geo/locate/", "/api/geo/nearest-instruments/"])
def test_missing_coordinates_are_named(api, path):
    assert set(error_of(api.get(path))["fields"]) == {"lon", "lat"}


def test_the_edges_of_the_world_are_still_coordinates(api):
    for lon, lat in [(180, 90), (-180, -90), ("-0", "0"), ("1.8e2", "9e1")]:
        response = api.get("/api/geo/locate/", {"lon": lon, "lat": lat})
        assert response.status_code == 200, response.content


BAD_BOXES = [
    "106,29,107",  # three numbers
    "106,29,107,30,1",
    "107,29,106,30",  # inverted longitude
    "106,30,107,29",  # inverted latitude
    "106,29,181,30",
    "106,-91,107,30",
    "nan,29,107,30",
    "106,29,Infinity,30",
    "1e400,29,107,30",
    ",,,",
    "106;29;107;30",
    "1" * 900,
]


@pytest.mark.parametrize("box", BAD_BOXES)
def test_a_bad_bbox_is_refused_by_name(api, box):
    error = error_of(api.get("/api/geo/platforms/", {"in_bbox": box}))
    assert list(error["fields"]) == ["in_bbox"]


@pytest.mark.parametrize(
    ("point", "dist", "field"),
    [
        ("106.4,91", "100", "point"),
        ("181,29.8", "100", "point"),
        ("nan,29.8", "100", "point"),
        ("1e400,29.8", "100", "point"),
        ("106.4", "100", "point"),
        ("", "100", "point"),
        ("106.4,29.8", "nan", "dist"),
        ("106.4,29.8", "Infinity", "dist"),
        ("106.4,29.8", "1e400", "dist"),
        ("106.4,29.8", "-5", "dist"),
        ("106.4,29.8", "", "dist"),
    ],
)
def test_a_bad_distance_filter_is_refused_by_name(api, point, dist, field):
    error = error_of(api.get("/api/geo/platforms/", {"point": point, "dist": dist}))
    assert field in error["fields"], error
