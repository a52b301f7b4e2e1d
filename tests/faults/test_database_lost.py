"""A database connection lost under a request answers 503 and leaves nothing half-written.

The connection is really lost: PostgreSQL terminates the backend (pg_terminate_backend), from
another connection before the request, or from inside the request's own transaction by a
trigger that fires after the booking, its transition and its voucher entry were written.
"""

import datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from portal.accounts.models import Role
from portal.notifications.models import Notification
from sharing.bookings.models import Booking, BookingTransition, VoucherEntry
from sharing.bookings.vouchers.services import voucher_issue
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions
from tests.faults.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _dsn() -> str:
    db = connection.settings_dict
    return (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} "
        f"user={db['USER']} password={db['PASSWORD']}"
    )


@pytest.fixture
def lose_connection():
    """Terminate the backend of this thread's connection, the one the next request will use."""

    def lose() -> None:
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        with psycopg.connect(_dsn(), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
            wait_until(
                lambda: (
                    not other.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]
                    ).fetchone()
                ),
                what="the backend to go",
            )

    try:
        yield lose
    finally:
        connection.close()  # the next query connects afresh


def test_a_page_whose_database_connection_is_gone_answers_503_not_500(client, lose_connection):
    lose_connection()
    response = client.get("/instruments/")
    assert response.status_code == 503
    assert "数据库暂时不可用" in response.content.decode()
    assert response["Retry-After"]


def test_a_client_asking_for_json_gets_the_error_shape(client, lose_connection):
    lose_connection()
    response = client.get("/instruments/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_the_api_answers_503_in_the_error_shape(api, member, lose_connection):
    api.force_authenticate(member)
    lose_connection()
    response = api.get("/api/bookings/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


KILL_TRIGGER = """
CREATE OR REPLACE FUNCTION faults_die() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_terminate_backend(pg_backend_pid());
    RETURN NEW;
END $$;
CREATE TRIGGER faults_die AFTER UPDATE ON bookings_voucher
    FOR EACH ROW WHEN (NEW.code = 'FAULT-DIE') EXECUTE FUNCTION faults_die();
"""


@pytest.fixture
def connection_dies_on_redeeming():
    """The backend kills itself when the voucher 'FAULT-DIE' is debited: by then the booking,
    its transition and the voucher entry are written in the same, uncommitted transaction."""
    with connection.cursor() as cursor:
        cursor.execute(KILL_TRIGGER)
    try:
        yield
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS faults_die ON bookings_voucher")
            cursor.execute("DROP FUNCTION IF EXISTS faults_die()")


def test_a_booking_that_loses_its_connection_mid_transaction_leaves_no_rows(
    api, connection_dies_on_redeeming
):
    bb, my = regions()
    manager = person("manager", roles=[Role.INSTRUMENT_MANAGER])
    instrument = instrument_with_rules(managers=[manager], closed_on_holidays=False)
    researcher = person("researcher", region=my)
    day = next_weekday(2)
    voucher = voucher_issue(
        issuing_region=my,
        organisation=researcher.organisation,
        amount=Decimal("1000.00"),
        valid_from=day - datetime.timedelta(days=30),
        valid_until=day + datetime.timedelta(days=30),
        accepted_in=[bb, my],
        code="FAULT-DIE",
    )

    api.force_authenticate(researcher)
    response = api.post(
        "/api/bookings/",
        {
            "instrument": instrument.pk,
            "start": local(day, "09:00").isoformat(),
            "end": local(day, "10:00").isoformat(),
            "purpose": "XRD 物相分析",
            "voucher": voucher.pk,
        },
        format="json",
    )

    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "unavailable"
    connection.close()
    assert not Booking.objects.exists()
    assert not BookingTransition.objects.exists()
    assert not VoucherEntry.objects.exists()
    assert not Notification.objects.exists()
    voucher.refresh_from_db()
    assert voucher.balance == voucher.amount
