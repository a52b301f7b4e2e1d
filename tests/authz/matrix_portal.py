"""Rows for the API documentation and Django admin (its index and one changelist stand for
the rest of admin's own routes)."""

from tests.authz.matrix import ALL, LOGIN, ONLY, Row

ADMIN_ONLY = ONLY({"admin"}, 200, else_=LOGIN, anon=LOGIN)

ROWS = [
    # Public, the same for everyone, and a second to generate: three callers stand for all.
    Row(
        "api:schema",
        "GET",
        lambda w: "/api/schema/",
        ALL(200),
        people=("anonymous", "researcher_mianyang", "admin"),
    ),
    Row("api:docs", "GET", lambda w: "/api/docs/", ALL(200)),
    # Admin sends people without staff status to its own login page.
    Row("admin:index", "GET", lambda w: "/admin/", ADMIN_ONLY),
    Row(
        "admin:bookings_booking_changelist", "GET", lambda w: "/admin/bookings/booking/", ADMIN_ONLY
    ),
]
