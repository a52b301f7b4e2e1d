"""Rows for notifications in the pages and the API (list, mark read, preferences), the
password pages, and what anyone may reach of them."""

from portal.notifications.models import Notification, NotificationPreference
from tests.authz.matrix import ALL, LOGIN, ONLY, PAGE, SIGNED_IN, Row

MIANYANGS_NOTE = frozenset({"researcher_mianyang"})


def _read_at(w):
    return Notification.objects.get(pk=w.notification_mianyang.pk).read_at


def _preferences(w):
    return sorted(NotificationPreference.objects.values_list("user_id", "kind", "channels"))


# A page's POST answers with a redirect, which the matrix's effect check reads as a refusal:
# what those writes change, and that nobody else's is touched, is tested in
# tests/notifications/test_pages.py and test_preferences.py.
ROWS = [
    # --- Pages ------------------------------------------------------------------------------
    Row(
        "frontend:notifications",
        "GET",
        lambda w: "/notifications/",
        PAGE(200),
        secret=lambda w: "matrix-note-mianyang",
        seen_by=MIANYANGS_NOTE,
    ),
    Row(
        "frontend:notification-read",
        "POST",
        lambda w: f"/notifications/{w.notification_mianyang.pk}/read/",
        ONLY(MIANYANGS_NOTE, 302, else_=404, anon=LOGIN),
        fmt="form",
    ),
    Row(
        "frontend:notifications-read-all",
        "POST",
        lambda w: "/notifications/read-all/",
        SIGNED_IN(302, anon=LOGIN),
        fmt="form",
    ),
    Row(
        "frontend:notification-preferences",
        "GET",
        lambda w: "/notifications/preferences/",
        PAGE(200),
    ),
    Row(
        "frontend:notification-preferences",
        "POST",
        lambda w: "/notifications/preferences/",
        SIGNED_IN(302, anon=LOGIN),
        body=lambda w: {"kind-approved": "page"},
        fmt="form",
    ),
    # --- API --------------------------------------------------------------------------------
    Row(
        "api:notification-read-all",
        "POST",
        lambda w: "/api/notifications/read-all",
        SIGNED_IN(200),
        effect=_read_at,
        changed_by=MIANYANGS_NOTE,
    ),
    Row(
        "api:notification-preferences",
        "GET",
        lambda w: "/api/notifications/preferences/",
        SIGNED_IN(200),
    ),
    Row(
        "api:notification-preferences",
        "PUT",
        lambda w: "/api/notifications/preferences/",
        SIGNED_IN(200),
        body=lambda w: {"preferences": [{"kind": "approved", "channels": []}]},
        effect=_preferences,
    ),
    # --- Password pages -----------------------------------------------------------------------
    Row("frontend:password-reset", "GET", lambda w: "/password/reset/", ALL(200)),
    Row(
        "frontend:password-reset",
        "POST",
        lambda w: "/password/reset/",
        ALL(302),
        body=lambda w: {"email": "nobody@example.org"},
        fmt="form",
    ),
    Row("frontend:password-reset-done", "GET", lambda w: "/password/reset/sent/", ALL(200)),
    Row(
        "frontend:password-reset-confirm",
        "GET",
        lambda w: "/password/reset/MQ/bad-token/",
        ALL(200),  # the page that says the link is not valid
    ),
    Row(
        "frontend:password-reset-complete",
        "GET",
        lambda w: "/password/reset/complete/",
        ALL(200),
    ),
    Row("frontend:password-change", "GET", lambda w: "/password/change/", PAGE(200)),
    Row(
        "frontend:password-change",
        "POST",
        lambda w: "/password/change/",
        SIGNED_IN(200, anon=LOGIN),  # the wrong old password: the form again, nothing changed
        body=lambda w: {"old_password": "wrong", "new_password1": "x", "new_password2": "x"},
        fmt="form",
    ),
    Row("frontend:password-change-done", "GET", lambda w: "/password/change/done/", PAGE(200)),
]
