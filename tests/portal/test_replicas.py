"""Reads on a streaming replica: a real one, started on this machine from the test database's
cluster (scripts/replica.sh), and the router that sends the views that allow it there."""

import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from portal.accounts.models import Role
from portal.replicas import ReplicaRouter, replica_reads_allowed
from sharing.bookings.models import Booking
from tests.bookings import instrument_with_rules, local, make_booking, next_weekday, person, regions

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ALIAS = "replica1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _caught_up(timeout: float = 120) -> None:
    # The replica replays the whole cluster's WAL: a bulk import in another database on this
    # machine (a benchmark) can keep it behind for tens of seconds.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


@pytest.fixture
def replica(settings):
    where = f"/tmp/mianbei-replica-{uuid.uuid4().hex[:8]}"  # noqa: S108 -- a directory of its own
    port = _free_port()
    subprocess.run(
        ["bash", str(ROOT / "scripts/replica.sh"), "start", where, str(port)],
        check=True,
        capture_output=True,
    )
    # A connection made here, not in settings: the test case then lets this thread use it.
    config = {
        **connections["default"].settings_dict,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "CONN_MAX_AGE": 0,
    }
    connection = load_backend(config["ENGINE"]).DatabaseWrapper(config, ALIAS)
    connections[ALIAS] = connection
    settings.DATABASE_REPLICAS = [ALIAS]
    try:
        yield connection
    finally:
        connection.close()
        del connections[ALIAS]
        subprocess.run(["bash", str(ROOT / "scripts/replica.sh"), "stop", where], check=True)


def _replay(replica, what: str) -> None:
    # Pausing replay is a superuser's act; the portal's own role may only read.
    port = replica.settings_dict["PORT"]
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qAtc",
            f"SELECT pg_wal_replay_{what}()",
        ],
        check=True,
        capture_output=True,
    )


def _queries_on(captured, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if table in q["sql"]]


@pytest.fixture
def instrument(db):
    regions()
    manager = person("manager", roles=[Role.INSTRUMENT_MANAGER])
    return instrument_with_rules(managers=[manager], closed_on_holidays=False)


def test_the_replica_is_a_read_only_standby(replica):
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True


def test_availability_is_read_on_the_replica_and_a_lagging_one_cannot_cause_an_overlap(
    api, replica, instrument
):
    _bb, my = regions()
    researcher = person("researcher", region=my)
    day = next_weekday(2)
    url = f"/api/instruments/{instrument.pk}/availability/"
    window = {"start": local(day, "08:00").isoformat(), "end": local(day, "18:00").isoformat()}
    _caught_up()

    # The replica stops replaying, as one lagging behind would; the primary takes a booking.
    _replay(replica, "pause")
    make_booking(
        requester=person("first", region=my),
        instrument=instrument,
        start=local(day, "09:00"),
        hours=1,
    )

    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        free = api.get(url, window).json()
    assert _queries_on(on_replica, "bookings_booking"), "availability read on the replica"
    assert not _queries_on(on_primary, "bookings_booking")
    # The lagging replica still shows 09:00–10:00 free …
    assert free == [{"start": f"{day}T08:00:00+08:00", "end": f"{day}T18:00:00+08:00"}]

    # … and booking it is refused on the primary, by the exclusion constraint.
    api.force_authenticate(researcher)
    response = api.post(
        "/api/bookings/",
        {
            "instrument": instrument.pk,
            "start": local(day, "09:00").isoformat(),
            "end": local(day, "10:00").isoformat(),
            "purpose": "副本读取测试",
        },
        format="json",
    )
    assert response.status_code == 409, response.content
    assert Booking.objects.filter(instrument=instrument).count() == 1

    _replay(replica, "resume")
    _caught_up()
    api.force_authenticate(None)
    caught_up = api.get(url, window).json()
    assert caught_up[0] == {"start": f"{day}T08:00:00+08:00", "end": f"{day}T09:00:00+08:00"}


def test_views_that_do_not_allow_it_and_accounts_read_on_the_primary(api, replica, instrument):
    _bb, my = regions()
    researcher = person("researcher", region=my)
    make_booking(requester=researcher, instrument=instrument)
    _caught_up()
    api.force_authenticate(researcher)
    with CaptureQueriesContext(replica) as on_replica:
        mine = api.get("/api/bookings/")
        search = api.get("/api/instruments/", {"q": instrument.name})
    assert mine.status_code == 200 and search.status_code == 200
    assert not _queries_on(on_replica, "bookings_booking"), "my bookings stay on the primary"
    assert _queries_on(on_replica, "catalogue_instrument"), "the search reads the replica"
    assert not _queries_on(on_replica, "accounts_user")


def test_the_router_keeps_reads_inside_a_transaction_and_without_leave_on_the_primary(settings):
    settings.DATABASE_REPLICAS = [ALIAS]
    router = ReplicaRouter()
    assert router.db_for_read(Booking) is None
    with replica_reads_allowed():
        assert router.db_for_read(Booking) == ALIAS
        with transaction.atomic():
            assert router.db_for_read(Booking) is None
    assert router.db_for_write(Booking) == "default"
    assert router.allow_migrate(ALIAS, "bookings") is False
    settings.DATABASE_REPLICAS = []
    with replica_reads_allowed():
        assert router.db_for_read(Booking) is None
