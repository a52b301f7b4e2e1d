"""Rows for the accounts API: tokens and the signed-in user."""

from rest_framework.authtoken.models import Token

from tests.authz.matrix import ALL, SIGNED_IN, Row


def _mianyang_api_token(w):
    # Revoking ends one's own token only, never another person's.
    return list(
        Token.objects.filter(user=w.people["researcher_mianyang"]).values_list("key", flat=True)
    )


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
    # Anyone signed in may end their own token (204 also when they had none).
    Row(
        "api:token",
        "DELETE",
        lambda w: "/api/auth/token/",
        SIGNED_IN(204),
        effect=_mianyang_api_token,
        changed_by=frozenset({"researcher_mianyang"}),
    ),
    Row("api:me", "GET", lambda w: "/api/me/", SIGNED_IN(200)),
]
