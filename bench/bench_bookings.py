"""Booking engine: no double booking under a stampede, booking throughput, availability speed.

In the bench database (mianbei_bench), against gunicorn (2 workers, 127.0.0.1, DEBUG=true):
  (a) hot slot: 64 HTTP clients for 30 s all POST /api/bookings/ for the same time; every
      250 ms the hot time moves on (so there are ~120 races, not one), and the clients ask for
      different but overlapping periods. Counts status codes (only 201 and 409 may appear) and
      then overlapping live bookings with a self-join on bookings_booking (must be 0);
  (b) throughput: 8 clients for 15 s booking distinct free slots: bookings/s through HTTP;
  (c) availability over 28 days with 2,000 live bookings on the instrument (all inside the
      window, the worst case): availability() in-process p50/p95 (goal p95 <= 20 ms), and the
      same through HTTP.
Exits 1 when (a) finds an overlap or a status other than 201/409. gunicorn is stopped at the
end whatever happens. Rows it makes are namespaced (organisation "基准测试-预约") and replaced on
each run.

    .venv/bin/python bench/bench_bookings.py [--seconds 30] [--clients 64]
"""

import argparse
import collections
import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

CODE = [
    "sharing/bookings/services/bookings.py",
    "sharing/bookings/times.py",
    "sharing/bookings/rules.py",
    "sharing/bookings/availability.py",
    "sharing/bookings/workdays.py",
    "sharing/bookings/api/bookings.py",
]
ORG_NAME = "基准测试-预约"
OVERLAPS = """
    SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
      ON a.instrument_id = b.instrument_id AND a.id < b.id AND a.blocked && b.blocked
     WHERE a.status IN ('requested', 'approved', 'checked_in')
       AND b.status IN ('requested', 'approved', 'checked_in')
"""


# --- Data -----------------------------------------------------------------------------------


def prepare(clients: int):
    """A fresh organisation, people with tokens, and three always-open instruments."""
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from portal.accounts.models import Organisation, Region, Role, User
    from sharing.bookings.models import Booking, BookingPolicy, OpeningHours
    from sharing.catalogue.models import Instrument
    from sharing.catalogue.services import instrument_save

    common.ensure_regions()
    beibei = Region.objects.get(adcode="500109")
    with transaction.atomic():
        old = Organisation.objects.filter(name=ORG_NAME).first()
        if old:
            instruments = Instrument.objects.filter(organisation=old)
            Booking.objects.filter(instrument__in=instruments).delete()
            Booking.objects.filter(requester__organisation=old).delete()
            User.objects.filter(organisation=old).delete()
            instruments.delete()
            old.delete()
        org = Organisation.objects.create(
            name=ORG_NAME, kind=Organisation.Kind.UNIVERSITY, region=beibei
        )
        now = timezone.now()
        users = User.objects.bulk_create(
            [
                User(
                    username=f"bench-booker-{i}",
                    organisation=org,
                    roles=[Role.RESEARCHER],
                    verified_region=beibei,
                    verified_at=now,
                )
                for i in range(max(clients, 8))
            ]
        )
        tokens = [Token.objects.create(user=user).key for user in users]
        made = []
        for name in ("热点仪器", "吞吐仪器", "可用时段仪器"):
            instrument = Instrument(
                organisation=org,
                region=beibei,
                internal_code=f"BENCH-{name}",
                name=name,
                category_code="010102",
                approval_required=False,
                rate_internal=100,
            )
            instrument = instrument_save(instrument=instrument)
            BookingPolicy.objects.create(
                instrument=instrument,
                slot_minutes=15,
                min_minutes=15,
                max_minutes=24 * 60,
                min_notice_minutes=0,
                max_advance_days=365,
                closed_on_holidays=False,
            )
            OpeningHours.objects.bulk_create(
                OpeningHours(
                    instrument=instrument,
                    weekday=d,
                    opens=datetime.time(0, 0),
                    closes=datetime.time(23, 59),
                )
                for d in range(7)
            )
            made.append(instrument)
    return made, tokens


def base_time() -> datetime.datetime:
    """Midnight in Shanghai 30 days from now: inside every horizon, outside every notice."""
    from django.utils import timezone

    return datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=30),
        datetime.time(),
        tzinfo=timezone.get_current_timezone(),
    )


def overlapping_live_bookings() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS)
        return cursor.fetchone()[0]


# --- gunicorn -----------------------------------------------------------------------------


def wait_ready(client, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code in (200, 503):
                return
        except Exception:  # noqa: S110 (still starting)
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


# --- The three measurements ------------------------------------------------------------------


def hot_slot(url: str, instrument_id: int, tokens: list[str], seconds: float) -> dict:
    """All clients on one time, moving on every 250 ms; returns status counts."""
    import httpx

    base = base_time()
    statuses: collections.Counter = collections.Counter()
    bodies: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))
    started = [0.0]

    def client(i: int, token: str) -> None:
        local: collections.Counter = collections.Counter()
        headers = {"Authorization": f"Token {token}"}
        with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
            barrier.wait()
            if i == 0:
                started[0] = time.monotonic()
            t0 = time.monotonic()
            while (elapsed := time.monotonic() - t0) < seconds:
                window = int(elapsed / 0.25)
                # Two hours apart per window; four overlapping shapes inside it.
                start = base + datetime.timedelta(hours=2 * window, minutes=15 * (i % 4))
                end = start + datetime.timedelta(minutes=60 + 15 * (i % 3))
                response = http.post(
                    "/api/bookings/",
                    json={
                        "instrument": instrument_id,
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "purpose": "基准测试：抢同一时段",
                    },
                )
                local[response.status_code] += 1
                if response.status_code not in (201, 409) and len(bodies) < 5:
                    with lock:
                        bodies.append(f"{response.status_code} {response.text[:300]}")
        with lock:
            statuses.update(local)

    threads = [threading.Thread(target=client, args=(i, t)) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return {"statuses": dict(statuses), "bodies": bodies}


def throughput(url: str, instrument_id: int, tokens: list[str], seconds: float) -> dict:
    """Each client books its own sequence of free slots: no contention, only the work."""
    import httpx

    base = base_time()
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))

    def client(i: int, token: str) -> None:
        local: collections.Counter = collections.Counter()
        headers = {"Authorization": f"Token {token}"}
        with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
            barrier.wait()
            t0 = time.monotonic()
            n = 0
            while time.monotonic() - t0 < seconds:
                slot = n * len(tokens) + i
                start = base + datetime.timedelta(minutes=15 * slot)
                response = http.post(
                    "/api/bookings/",
                    json={
                        "instrument": instrument_id,
                        "start": start.isoformat(),
                        "end": (start + datetime.timedelta(minutes=15)).isoformat(),
                        "purpose": "基准测试：空闲时段",
                    },
                )
                local[response.status_code] += 1
                n += 1
        with lock:
            counts.update(local)

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i, t)) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    wall = time.monotonic() - t0
    return {"statuses": dict(counts), "per_s": counts[201] / wall, "wall": wall}


def fill_for_availability(instrument, count: int) -> tuple:
    """count live bookings of 15 minutes inside a 28-day window, with 15-minute gaps between
    most of them (so the free list is long, too). Written directly: this sets the scene."""
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

    from portal.accounts.models import User
    from sharing.bookings.models import Booking

    base = base_time()
    requester = User.objects.filter(organisation=instrument.organisation).first()
    step = datetime.timedelta(days=28) / count
    rows = []
    for k in range(count):
        start = base + step * k
        start = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
        period = DateTimeTZRange(start, start + datetime.timedelta(minutes=15), "[)")
        rows.append(
            Booking(
                instrument=instrument,
                requester=requester,
                period=period,
                blocked=period,
                status=Booking.Status.APPROVED,
                purpose="基准测试：占用",
                rate_category=Booking.RateCategory.INTERNAL,
            )
        )
    Booking.objects.bulk_create(rows, batch_size=1000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE bookings_booking")
    return base, base + datetime.timedelta(days=28)


def time_availability(instrument, start, end, repeat: int) -> tuple[list[float], int]:
    from sharing.bookings.availability import availability
    from sharing.bookings.selectors import bookable_instrument_get

    times = []
    size = 0
    for i in range(repeat + 5):
        t0 = time.perf_counter()
        # As the view does it: the instrument and its policy in one query, then availability.
        fresh = bookable_instrument_get(pk=instrument.pk)
        size = len(availability(instrument=fresh, start=start, end=end))
        elapsed = time.perf_counter() - t0
        if i >= 5:
            times.append(elapsed)
    return times, size


def time_availability_http(url, instrument_id, start, end, repeat: int) -> list[float]:
    import httpx

    times = []
    params = {"start": start.isoformat(), "end": end.isoformat()}
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(repeat + 5):
            t0 = time.perf_counter()
            response = http.get(f"/api/instruments/{instrument_id}/availability/", params=params)
            elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise SystemExit(f"availability: HTTP {response.status_code} {response.text[:300]}")
            if i >= 5:
                times.append(elapsed)
    return times


def ms(values: list[float]) -> str:
    return (
        f"p50 {common.percentile(values, 50) * 1000:6.1f} ms  "
        f"p95 {common.percentile(values, 95) * 1000:6.1f} ms  (n={len(values)})"
    )


def report_hot_slot(url, hot, tokens, args) -> bool:
    result = hot_slot(url, hot.pk, tokens[: args.clients], args.seconds)
    statuses = result["statuses"]
    overlaps = overlapping_live_bookings()
    others = {code: n for code, n in statuses.items() if code not in (201, 409)}
    print(
        f"\n(a) hot slot: {args.clients} clients × {args.seconds:.0f} s through gunicorn "
        f"(2 workers): {sum(statuses.values())} requests, 201 × {statuses.get(201, 0)}, "
        f"409 × {statuses.get(409, 0)}, other {others or 'none'}"
    )
    print(f"    overlapping live bookings (self-join): {overlaps}")
    for body in result["bodies"]:
        print("    unexpected:", body)
    return bool(overlaps or others)


def report_throughput(url, fast, tokens, args) -> None:
    result = throughput(url, fast.pk, tokens[: args.throughput_clients], args.throughput_seconds)
    print(
        f"\n(b) free slots: {args.throughput_clients} clients × "
        f"{args.throughput_seconds:.0f} s: {result['per_s']:.1f} bookings/s "
        f"(statuses {result['statuses']})"
    )


def report_availability(url, busy, args) -> None:
    start, end = fill_for_availability(busy, args.bookings)
    times, size = time_availability(busy, start, end, args.repeat)
    print(
        f"\n(c) availability over 28 days, {args.bookings} live bookings in the window, "
        f"{size} free intervals:"
    )
    verdict = "met" if common.percentile(times, 95) <= 0.020 else "MISSED"
    print(f"    in-process availability(): {ms(times)}  (goal p95 <= 20 ms: {verdict})")
    http_times = time_availability_http(url, busy.pk, start, end, args.repeat // 2)
    print(f"    HTTP GET …/availability/:  {ms(http_times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--throughput-clients", type=int, default=8)
    parser.add_argument("--throughput-seconds", type=float, default=15)
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--parts", default="abc", help="which of (a), (b), (c) to run")
    args = parser.parse_args()

    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    common.django_setup()
    print(common.machine())
    print(common.postgres_version())
    print(common.code_version(*CODE))
    print(f"load average before: {os.getloadavg()}")
    (hot, fast, busy), tokens = prepare(args.clients)

    failed = False
    port = common.free_port()
    url = f"http://127.0.0.1:{port}"
    server = common.start_gunicorn(port, log_name="bench_bookings-gunicorn.log")
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            wait_ready(client, time.monotonic() + 60)

        if "a" in args.parts:
            failed = report_hot_slot(url, hot, tokens, args)
        if "b" in args.parts:
            report_throughput(url, fast, tokens, args)
        if "c" in args.parts:
            report_availability(url, busy, args)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    print(f"\nload average after: {os.getloadavg()}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
