"""Rows for vouchers, sharing indicators and service-record exports."""

import datetime

from tests.authz.matrix import ONLY, SIGNED_IN, Row

SEE_ALL = {"coordinator", "admin"}
MANAGERS = {"manager_this", "manager_other"}


def _records(w, extra=""):
    return f"?from={w.day_done - datetime.timedelta(days=30)}&to={w.day}{extra}"


def _indicator_key(w):
    return f'"key":{w.instrument.pk},'


REPORTERS = frozenset(SEE_ALL | {"manager_this"})  # who may report on w.instrument


ROWS = [
    Row(
        "api:voucher-list",
        "GET",
        lambda w: "/api/vouchers/",
        SIGNED_IN(200),
        secret=lambda w: w.voucher_mianyang.code,
        seen_by=frozenset(SEE_ALL | {"researcher_mianyang"}),
    ),
    # A voucher belongs to an organisation: its members, coordinators and administrators.
    Row(
        "api:voucher-detail",
        "GET",
        lambda w: f"/api/vouchers/{w.voucher_mianyang.pk}/",
        ONLY(SEE_ALL | {"researcher_mianyang"}, 200, else_=404),
        label="mianyang's",
    ),
    Row(
        "api:voucher-detail",
        "GET",
        lambda w: f"/api/vouchers/{w.voucher_beibei.pk}/",
        ONLY(SEE_ALL | {"researcher_beibei"}, 200, else_=404),
        label="beibei's",
    ),
    Row(
        "api:indicators",
        "GET",
        lambda w: f"/api/indicators/?level=instrument&year={w.day_done.year}",
        ONLY(SEE_ALL | MANAGERS, 200, else_=403),
        secret=_indicator_key,
        seen_by=REPORTERS,
        label="instrument level",
    ),
    Row(
        "api:indicators",
        "GET",
        lambda w: "/api/indicators/?level=region",
        ONLY(SEE_ALL, 200, else_=403),
        label="region level",
    ),
    Row(
        "api:service-records-export-csv",
        "GET",
        lambda w: f"/api/service-records/export.csv{_records(w)}",
        ONLY(SEE_ALL | MANAGERS, 200, else_=403),
        secret=lambda w: ("matrix-purpose-done", w.instrument.internal_code),
        seen_by=REPORTERS,
    ),
    Row(
        "api:service-records-export-csv",
        "GET",
        lambda w: f"/api/service-records/export.csv{_records(w, f'&instrument={w.instrument.pk}')}",
        ONLY(SEE_ALL | {"manager_this"}, 200, else_=403),
        label="one instrument",
    ),
    Row(
        "api:service-records-export-xlsx",
        "GET",
        lambda w: f"/api/service-records/export.xlsx{_records(w)}",
        ONLY(SEE_ALL | MANAGERS, 200, else_=403),
    ),
]
