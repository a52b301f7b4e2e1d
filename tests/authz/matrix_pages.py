"""Rows for the web pages. Public pages answer anyone; personal pages send anonymous visitors
to the login page and refuse (403) people without the role."""

from tests.authz.matrix import ALL, LOGIN, ONLY, PAGE, SIGNED, SIGNED_IN, Row

MINE = "matrix-purpose-mianyang"  # the purpose of researcher_mianyang's request

IMPORTERS = {"manager_this", "manager_other", "admin"}
# researcher_mianyang's and researcher_beibei's bookings are on manager_this's instrument.
MIANYANGS = {"researcher_mianyang", "manager_this", "admin"}
BEIBEIS = {"researcher_beibei", "manager_this", "admin"}


def _quote(w):
    return f"/instruments/{w.instrument.pk}/book/quote/?start={w.day}T14:00:00&end={w.day}T15:00:00"


ROWS = [
    Row("frontend:home", "GET", lambda w: "/", ALL(200)),
    Row("frontend:platforms", "GET", lambda w: "/platforms/", ALL(200)),
    Row("frontend:platform", "GET", lambda w: f"/platforms/{w.platform.pk}/", ALL(200)),
    Row("frontend:instruments", "GET", lambda w: "/instruments/?q=显微镜", ALL(200)),
    Row(
        "frontend:instrument",
        "GET",
        lambda w: f"/instruments/{w.instrument.pk}/",
        ALL(200),
        secret=lambda w: "13812345678",
        seen_by=SIGNED,
    ),
    Row("frontend:organisation", "GET", lambda w: f"/organisations/{w.org_lab.pk}/", ALL(200)),
    Row(
        "frontend:instrument-import",
        "GET",
        lambda w: "/instruments/import/",
        ONLY(IMPORTERS, 200, else_=403, anon=LOGIN),
        secret=lambda w: "matrix-import-this.csv",
        seen_by=frozenset({"manager_this", "admin"}),
    ),
    Row("frontend:login", "GET", lambda w: "/login/", ALL(200)),
    Row(
        "frontend:login",
        "POST",
        lambda w: "/login/",
        ALL(302),
        body=lambda w: {"username": "researcher_mianyang", "password": w.password},
        fmt="form",
    ),
    Row("frontend:logout", "POST", lambda w: "/logout/", ALL(302), fmt="form"),
    Row("frontend:logout", "GET", lambda w: "/logout/", ALL(405)),
    Row(
        "frontend:booking-week",
        "GET",
        lambda w: f"/instruments/{w.instrument.pk}/book/?week={w.day}",
        ALL(200),
        secret=lambda w: MINE,  # taken time, nobody's purpose
    ),
    Row("frontend:booking-quote", "GET", _quote, SIGNED_IN(200, anon=401)),
    Row(
        "frontend:bookings",
        "GET",
        lambda w: "/bookings/",
        PAGE(200),
        secret=lambda w: (MINE, w.calendar_token.token),
        seen_by=frozenset({"researcher_mianyang"}),
    ),
    Row(
        "frontend:booking-queue",
        "GET",
        lambda w: "/bookings/queue/",
        ONLY(IMPORTERS, 200, else_=403, anon=LOGIN),
        secret=lambda w: MINE,
        seen_by=frozenset({"manager_this", "admin"}),
    ),
    Row(
        "frontend:booking",
        "GET",
        lambda w: f"/bookings/{w.booking_mianyang.pk}/",
        ONLY(MIANYANGS, 200, else_=404, anon=LOGIN),
        label="mianyang's",
        secret=lambda w: MINE,
        seen_by=frozenset(MIANYANGS),
    ),
    Row(
        "frontend:booking",
        "GET",
        lambda w: f"/bookings/{w.booking_beibei.pk}/",
        ONLY(BEIBEIS, 200, else_=404, anon=LOGIN),
        label="beibei's",
    ),
    # A refusal also answers 302 (back to the page, with the rule's message): the services'
    # own effects are tested in tests/frontend/test_booking_detail.py.
    Row(
        "frontend:booking",
        "POST",
        lambda w: f"/bookings/{w.booking_mianyang.pk}/",
        ONLY(MIANYANGS, 302, else_=404, anon=LOGIN),
        label="cancel mianyang's",
        body=lambda w: {"action": "cancel", "reason": "授权矩阵测试"},
        fmt="form",
    ),
    Row(
        "frontend:vouchers",
        "GET",
        lambda w: "/vouchers/",
        PAGE(200),
        secret=lambda w: w.voucher_mianyang.code,
        seen_by=frozenset({"researcher_mianyang", "coordinator", "admin"}),
    ),
]
