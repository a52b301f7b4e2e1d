"""Rows for the accounts API: tokens and the signed-in user."""

from tests.authz.matrix import ALL, SIGNED_IN, Row

ROWS = [
    # Anyone may ask for a token; the username and password decide (here: valid ones).
    Row(
        "api:token",
        "POST",
        lambda w: "/api/auth/token/",
        ALL(200),
        body=lambda w: {"username": "researcher_mianyang", "password": w.password},
    ),
    Row(
        "api:token",
        "POST",
        lambda w: "/api/auth/token/",
        ALL(400),
        label="wrong password",
        body=lambda w: {"username": "researcher_mianyang", "password": "wrong"},
    ),
    Row("api:me", "GET", lambda w: "/api/me/", SIGNED_IN(200)),
]
