"""Rows for the geo API, the layout map, the dashboard and the health check."""

from tests.authz.matrix import ALL, LOGIN, ONLY, Row

DASHBOARD = {"coordinator", "admin"}

ROWS = [
    Row("api:geo-zones", "GET", lambda w: "/api/geo/zones/", ALL(200)),
    Row("api:geo-zone-stats", "GET", lambda w: f"/api/geo/zones/{w.zone.code}/stats/", ALL(200)),
    Row("api:geo-platforms", "GET", lambda w: "/api/geo/platforms/?region=beibei", ALL(200)),
    Row("api:geo-locate", "GET", lambda w: "/api/geo/locate/?lon=106.43&lat=29.83", ALL(200)),
    Row(
        "api:geo-nearest-instruments",
        "GET",
        lambda w: "/api/geo/nearest-instruments/?lon=106.43&lat=29.83",
        ALL(200),
    ),
    Row("geo:map", "GET", lambda w: "/map/", ALL(200)),
    Row("geo:map-frame", "GET", lambda w: "/map/frame/", ALL(200)),
    Row(
        "dashboard:dashboard",
        "GET",
        lambda w: "/dashboard/",
        ONLY(DASHBOARD, 200, else_=403, anon=LOGIN),
    ),
    Row(
        "dashboard:chart",
        "GET",
        lambda w: "/dashboard/chart/flows.png",
        ONLY(DASHBOARD, 200, else_=403, anon=LOGIN),
    ),
    Row(
        "dashboard:export",
        "GET",
        lambda w: "/dashboard/export/regions.csv",
        ONLY(DASHBOARD, 200, else_=403, anon=LOGIN),
    ),
    Row("healthz", "GET", lambda w: "/healthz", ALL(200)),
]
