"""Load test: N virtual users browsing and booking for S seconds against gunicorn + PostgreSQL +
Redis on loopback; per-endpoint counts, status codes, p50/p95/p99, throughput, 5xx (must be 0).

    .venv/bin/python bench/bench_load.py [--users 200] [--seconds 60] [--runs 2] \
        [--workers 2] [--threads 8] [--think 1.0] [--timeout 120] [--instruments 20000]
    (BENCH_GUNICORN_LOG_LEVEL=debug for gunicorn's own log in $BENCH_DATA_DIR. Two 60-s runs
    take ~3.5 min; the first invocation also seeds the database, ~1 min.)

Everything runs against a database of its own, mianbei_bench_load (made from mianbei_template,
migrated, seeded with load_demo plus --instruments generated ones), a Redis of its own
(redis-server on a free port, no persistence: notification and map tasks are enqueued there
and nobody consumes them) and a MEDIA_ROOT of its own (the layout map is built once, in
process). gunicorn runs gthread workers (--workers × --threads, CONN_MAX_AGE 60: one database
connection per thread at most) with DEBUG=false as in production (static files collected into
STATIC_ROOT first, HTTPS redirect and secure cookies off for plain HTTP on loopback; --debug for
DEBUG=true, as the runs before issue 17 were made) and with generous throttle rates
(THROTTLE_ANON / THROTTLE_USER / THROTTLE_PAGES) so the app is measured, not the throttle.

Virtual users (asyncio + httpx, one process, one client and connection per user): a share
(--researchers, default 30 %) sign in with their own token (distinct people, so per-person
quotas don't dominate) and loop: availability of a bookable instrument over 14 days → POST
/api/bookings/ on a random free-looking slot → now and then their own bookings. The others
browse anonymously: home, search page and search API with Chinese queries (电镜, 光谱, 质谱 …),
instrument detail page, availability API, /map/, geo API.
Each user thinks uniform(0.5, 1.5) × --think seconds between requests. 201, 409 (slot taken)
and 400 (a booking rule) are expected outcomes of a POST and are counted separately. Exits 1
when any response is a 5xx or a live booking overlaps another.
"""

import argparse
import asyncio
import collections
import contextlib
import datetime
import functools
import os
import random
import resource
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

DATABASE = "mianbei_bench_load"
DATABASE_URL = f"postgis://mianbei:mianbei@127.0.0.1:5432/{DATABASE}"
ORG_NAME = "基准测试-负载"
QUERIES = ["电镜", "光谱", "质谱", "扫描电镜", "液质", "色谱", "显微镜", "核磁", "X射线", "热分析"]
# WGS-84 points and boxes inside the two districts (北碚, 绵阳).
POINTS = [(106.43, 29.83), (106.40, 29.80), (104.74, 31.47), (104.68, 31.46)]
BOXES = ["106.3,29.7,106.6,29.9", "104.5,31.3,104.9,31.6"]
AVAILABILITY_DAYS = 14
CODE = [
    "sharing/bookings/api/bookings.py",
    "sharing/bookings/services/bookings.py",
    "sharing/catalogue/api.py",
    "frontend/views/catalogue.py",
    "geo/api/platforms.py",
    "portal/settings.py",
]
OVERLAPS = """
    SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
      ON a.instrument_id = b.instrument_id AND a.id < b.id AND a.blocked && b.blocked
     WHERE a.status IN ('requested', 'approved', 'checked_in')
       AND b.status IN ('requested', 'approved', 'checked_in')
"""


# --- Isolation: database, Redis, media -------------------------------------------------------


def isolate(data_dir: Path) -> subprocess.Popen:
    """Own Redis and MEDIA_ROOT in os.environ (read by this process and by gunicorn)."""
    port = common.free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    os.environ["MEDIA_ROOT"] = str(data_dir / "load-media")
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = "bench-load"
    os.environ.setdefault("DATABASE_URL", DATABASE_URL)
    for _ in range(50):
        import socket

        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return redis
        time.sleep(0.1)
    redis.kill()
    raise SystemExit("redis-server did not start")


def ensure_database() -> None:
    """Create the bench database from the template when it is missing."""
    import psycopg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to use database {name!r}: use a *bench* one")
    with psycopg.connect(
        "host=127.0.0.1 user=mianbei password=mianbei dbname=postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE mianbei_template')
            print(f"created database {name} from mianbei_template")


def seed(instruments: int) -> None:
    """Migrations, the demo data and generated instruments (only what is missing)."""
    from django.core.management import call_command

    from sharing.catalogue.feed_import.store import InstrumentImport
    from sharing.catalogue.models import FeedSource, Instrument

    call_command("migrate", verbosity=0, skip_checks=True)
    if not FeedSource.objects.filter(name="demo-sample").exists():
        call_command("load_demo", force=True, verbosity=0)
    have = Instrument.objects.count()
    if have < instruments:
        started = time.perf_counter()
        InstrumentImport(path=common.feed_file(instruments)).run()
        print(
            f"imported {instruments} generated instruments in {time.perf_counter() - started:.1f} s"
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"instruments in the database: {Instrument.objects.count()}")


def prepare_people(users: int, pool_size: int) -> tuple[list[str], list[int]]:
    """A fresh organisation with `users` verified researchers (tokens) and `pool_size`
    bookable instruments (weekdays 08:00–20:00, some with approval, some with a weekly quota).
    Returns the tokens and the ids of every instrument to book (the demo ones too)."""
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from portal.accounts.models import Organisation, Region, Role, User
    from sharing.bookings.models import Booking, BookingPolicy, OpeningHours
    from sharing.catalogue.models import FeedSource, Instrument
    from sharing.catalogue.services import instrument_save

    beibei = Region.objects.get(adcode="500109")
    mianyang = Region.objects.get(adcode="510700")
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
        people = User.objects.bulk_create(
            User(
                username=f"bench-load-{i}",
                organisation=org,
                roles=[Role.RESEARCHER],
                verified_region=beibei if i % 2 else mianyang,
                verified_at=now,
            )
            for i in range(users)
        )
        tokens = [Token.objects.create(user=person).key for person in people]
        pool = []
        for k in range(pool_size):
            instrument = instrument_save(
                instrument=Instrument(
                    organisation=org,
                    region=beibei if k % 2 else mianyang,
                    internal_code=f"BENCH-LOAD-{k}",
                    name=f"负载测试仪器 {k}",
                    category_code="010102",
                    approval_required=k % 3 == 0,
                    rate_internal=100,
                    rate_same_region=150,
                    rate_other_region=200,
                )
            )
            BookingPolicy.objects.create(
                instrument=instrument,
                slot_minutes=30,
                min_minutes=30,
                max_minutes=4 * 60,
                min_notice_minutes=60,
                max_advance_days=60,
                weekly_quota_minutes=240 if k % 4 == 0 else None,
            )
            OpeningHours.objects.bulk_create(
                OpeningHours(
                    instrument=instrument,
                    weekday=d,
                    opens=datetime.time(8, 0),
                    closes=datetime.time(20, 0),
                )
                for d in range(5)
            )
            pool.append(instrument.pk)
    demo = list(
        Instrument.objects.filter(source=FeedSource.objects.get(name="demo-sample")).values_list(
            "pk", flat=True
        )
    )
    return tokens, pool + demo


def browse_ids(limit: int = 3000) -> list[int]:
    from sharing.catalogue.models import Instrument

    return list(
        Instrument.objects.filter(withdrawn_at=None)
        .order_by("?")
        .values_list("pk", flat=True)[:limit]
    )


def clear_bench_bookings() -> int:
    from sharing.bookings.models import Booking

    deleted, _ = Booking.objects.filter(requester__organisation__name=ORG_NAME).delete()
    return deleted


def build_map() -> None:
    from geo.map.build import build_layout_map

    started = time.perf_counter()
    build_layout_map()
    print(f"layout map built in {time.perf_counter() - started:.1f} s → {os.environ['MEDIA_ROOT']}")


def overlapping_live_bookings() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS)
        return cursor.fetchone()[0]


# --- gunicorn ------------------------------------------------------------------------------


def start_gunicorn(port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    """gthread workers on loopback, in their own session so the whole group can be stopped."""
    env = {
        **os.environ,
        "CONN_MAX_AGE": "60",
        # Generous rates: the throttle (when present) must not shape the figures.
        "THROTTLE_ANON": "1000000/minute",
        "THROTTLE_USER": "1000000/minute",
        "THROTTLE_PAGES": "1000000/minute",
    }
    args = [
        str(common.ROOT / ".venv/bin/gunicorn"),
        "portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--keep-alive",
        "5",
        "--timeout",
        "120",
        "--log-level",
        os.environ.get("BENCH_GUNICORN_LOG_LEVEL", "warning"),
    ]
    output = open(log, "w")  # noqa: SIM115 (lives as long as the server)
    return subprocess.Popen(
        args, cwd=common.ROOT, env=env, start_new_session=True, stdout=output, stderr=output
    )


def stop(process: subprocess.Popen, group: bool) -> None:
    try:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


def _cpu_of(stat: str) -> tuple[int, float]:
    """(process group, user + system CPU seconds) from a /proc/<pid>/stat line."""
    # After the command: state ppid pgrp session … utime(12) stime(13).
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[3]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU of every live process in the gunicorn session (master and workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                group, cpu = _cpu_of((entry / "stat").read_text())
            except OSError:
                continue
            if group == pgid:
                total += cpu
    return total


def pid_cpu_seconds(pid: int) -> float | None:
    try:
        return _cpu_of(Path(f"/proc/{pid}/stat").read_text())[1]
    except OSError:
        return None


# --- Virtual users -------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.errors: collections.Counter = collections.Counter()
        self.rules: collections.Counter = collections.Counter()
        self.server_errors: list[str] = []
        self.error_details: list[str] = []
        self.calls: collections.Counter = collections.Counter()
        self.started = time.perf_counter()

    async def call(self, http, name: str, method: str, url: str, **kwargs):
        self.calls[id(http)] += 1
        t0 = time.perf_counter()
        try:
            response = await http.request(method, url, **kwargs)
        except Exception as exc:  # transport: refused, reset, timeout
            self.errors[f"{name}: {type(exc).__name__}"] += 1
            if len(self.error_details) < 10:
                self.error_details.append(
                    f"{name}: {type(exc).__name__} {exc} · sent at "
                    f"{t0 - self.started:.1f} s, failed after {time.perf_counter() - t0:.1f} s, "
                    f"request {self.calls[id(http)]} of this user"
                )
            return None
        self.latencies[name].append(time.perf_counter() - t0)
        self.statuses[name][response.status_code] += 1
        if response.status_code >= 500 and len(self.server_errors) < 10:
            self.server_errors.append(
                f"{name} {url} → {response.status_code} {response.text[:400]}"
            )
        return response


async def think(rng: random.Random, mean: float) -> None:
    await asyncio.sleep(rng.uniform(0.5 * mean, 1.5 * mean))


async def browser(http, rec: Recorder, rng: random.Random, ids: list[int], deadline, mean):
    """An anonymous visitor: home, search (page and API), an instrument, its free time, the
    map, the geo API; then again."""
    while time.monotonic() < deadline:
        q = rng.choice(QUERIES)
        await rec.call(http, "GET /", "GET", "/")
        await think(rng, mean)
        if time.monotonic() >= deadline:
            return
        await rec.call(http, "GET /instruments/?q=", "GET", "/instruments/", params={"q": q})
        await think(rng, mean)
        if time.monotonic() >= deadline:
            return
        response = await rec.call(
            http, "GET /api/instruments/?q=", "GET", "/api/instruments/", params={"q": q}
        )
        found = []
        if response is not None and response.status_code == 200:
            found = [row["id"] for row in _json(response, {}).get("results", [])]
        # Mostly an instrument the search found, sometimes any one (a link from elsewhere).
        pk = rng.choice(found) if found and rng.random() < 0.7 else rng.choice(ids)
        await think(rng, mean)
        if time.monotonic() >= deadline:
            return
        await rec.call(http, "GET /instruments/<id>/", "GET", f"/instruments/{pk}/")
        await think(rng, mean)
        if time.monotonic() >= deadline:
            return
        start = datetime.datetime.now().astimezone()
        params = {
            "start": start.isoformat(),
            "end": (start + datetime.timedelta(days=AVAILABILITY_DAYS)).isoformat(),
        }
        await rec.call(
            http,
            "GET /api/instruments/<id>/availability/",
            "GET",
            f"/api/instruments/{pk}/availability/",
            params=params,
        )
        await think(rng, mean)
        if time.monotonic() >= deadline:
            return
        if rng.random() < 0.5:
            await rec.call(http, "GET /map/", "GET", "/map/")
        else:
            lon, lat = rng.choice(POINTS)
            choice = rng.random()
            if choice < 0.4:
                await rec.call(
                    http,
                    "GET /api/geo/platforms/?in_bbox=",
                    "GET",
                    "/api/geo/platforms/",
                    params={"in_bbox": rng.choice(BOXES)},
                )
            elif choice < 0.8:
                await rec.call(
                    http,
                    "GET /api/geo/nearest-instruments/",
                    "GET",
                    "/api/geo/nearest-instruments/",
                    params={"lon": lon, "lat": lat},
                )
            else:
                await rec.call(http, "GET /api/geo/zones/", "GET", "/api/geo/zones/")
        await think(rng, mean)


def _json(response, default):
    try:
        return response.json()
    except ValueError:
        return default


def pick_slot(rng: random.Random, free: list[dict]) -> tuple[str, str] | None:
    """A random 30-minute-aligned period of 30–120 minutes inside a random free interval."""
    half = datetime.timedelta(minutes=30)
    intervals = []
    for item in free:
        lo = datetime.datetime.fromisoformat(item["start"])
        hi = datetime.datetime.fromisoformat(item["end"])
        # Round up to the half hour.
        aligned = lo.replace(minute=lo.minute - lo.minute % 30, second=0, microsecond=0)
        lo = aligned + half if aligned < lo else aligned
        if hi - lo >= half:
            intervals.append((lo, hi))
    if not intervals:
        return None
    lo, hi = rng.choice(intervals)
    length = half * rng.randint(1, min(4, int((hi - lo) / half)))
    steps = int((hi - lo - length) / half)
    start = lo + half * rng.randint(0, steps)
    return start.isoformat(), (start + length).isoformat()


async def researcher(http, rec: Recorder, rng: random.Random, token, pool, deadline, mean):
    """A signed-in researcher: free time of an instrument, a booking on it, sometimes a look at
    their own bookings."""
    headers = {"Authorization": f"Token {token}"}
    while time.monotonic() < deadline:
        pk = rng.choice(pool)
        start = datetime.datetime.now().astimezone()
        params = {
            "start": start.isoformat(),
            "end": (start + datetime.timedelta(days=AVAILABILITY_DAYS)).isoformat(),
        }
        response = await rec.call(
            http,
            "GET /api/instruments/<id>/availability/ (token)",
            "GET",
            f"/api/instruments/{pk}/availability/",
            params=params,
            headers=headers,
        )
        await think(rng, mean)
        if time.monotonic() >= deadline:
            return
        slot = pick_slot(rng, _json(response, [])) if response is not None else None
        if slot is not None and response.status_code == 200:
            body = {"instrument": pk, "start": slot[0], "end": slot[1], "purpose": "负载测试：预约"}
            posted = await rec.call(
                http, "POST /api/bookings/", "POST", "/api/bookings/", json=body, headers=headers
            )
            if posted is not None and posted.status_code in (400, 409):
                error = _json(posted, {}).get("error", {})
                rec.rules[f"{posted.status_code} {error.get('rule') or error.get('code')}"] += 1
            await think(rng, mean)
        if rng.random() < 0.25 and time.monotonic() < deadline:
            await rec.call(
                http, "GET /api/bookings/ (token)", "GET", "/api/bookings/", headers=headers
            )
            await think(rng, mean)


async def monitor(stop_event: asyncio.Event, samples: dict) -> None:
    """Every second: load average, and connections to PostgreSQL (all, and to the bench
    database), so the max_connections claim is measured rather than assumed."""
    import psycopg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    conn = await psycopg.AsyncConnection.connect(
        "host=127.0.0.1 user=mianbei password=mianbei dbname=postgres", autocommit=True
    )
    try:
        while not stop_event.is_set():
            cur = await conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE datname = %s) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend'",
                [name],
            )
            total, ours = await cur.fetchone()
            samples["pg_total"].append(total)
            samples["pg_ours"].append(ours)
            samples["load"].append(os.getloadavg()[0])
            # The PostgreSQL backends serving gunicorn, for the database's CPU per request.
            # A backend that ends between two samples loses at most a second of CPU.
            cur = await conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
            first = not samples["pg_cpu"]
            for (pid,) in await cur.fetchall():
                cpu = pid_cpu_seconds(pid)
                if cpu is not None:
                    base = samples["pg_cpu"].get(pid, (cpu if first else 0.0, 0.0))[0]
                    samples["pg_cpu"][pid] = (base, cpu)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), timeout=1)
    finally:
        await conn.close()


async def run_load(url, args, tokens, pool, ids, seed) -> tuple[Recorder, float, dict]:
    rec = Recorder()
    researchers = round(args.users * args.researchers)
    samples = {"pg_total": [], "pg_ours": [], "load": [], "pg_cpu": {}}
    stop_event = asyncio.Event()
    watcher = asyncio.create_task(monitor(stop_event, samples))
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    tasks = []
    for i in range(args.users):
        rng = random.Random(seed * 1000 + i)
        if i < researchers:
            work = functools.partial(researcher, rec=rec, rng=rng, token=tokens[i], pool=pool)
        else:
            work = functools.partial(browser, rec=rec, rng=rng, ids=ids)
        tasks.append(asyncio.create_task(_user(url, rng, work, deadline, args.think, args.timeout)))
    await asyncio.gather(*tasks)
    wall = time.monotonic() - t0
    stop_event.set()
    await watcher
    return rec, wall, samples


_TLS_CONTEXT = ssl.create_default_context()


async def _user(url, rng, work, deadline, mean, timeout) -> None:
    """One person, one client with its own keep-alive connection, as a browser would have.
    The client drops an idle connection after 2 s, well before gunicorn's 5 s keep-alive, so
    a request never races the server closing the connection under it."""
    import httpx

    limits = httpx.Limits(max_connections=2, max_keepalive_connections=1, keepalive_expiry=2.0)
    # Arrivals spread over the first think time rather than all at once.
    await asyncio.sleep(rng.uniform(0, mean))
    # One TLS context for all (never used on http://): a client of its own loads the CA bundle,
    # ~70 ms of CPU that blocks the event loop; 200 of them stalled the first requests long
    # enough (> 10 s between connect and send) for gunicorn to drop them as slow clients.
    async with httpx.AsyncClient(
        base_url=url, timeout=timeout, limits=limits, verify=_TLS_CONTEXT
    ) as http:
        await work(http=http, deadline=deadline, mean=mean)


async def warm_up(url, ids, pool, token) -> None:
    """One of each request per worker thread or so, not counted: imports, templates, the
    first connection of each thread."""
    import httpx

    start = datetime.datetime.now().astimezone()
    params = {
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(days=AVAILABILITY_DAYS)).isoformat(),
    }
    requests = [
        ("/", {}),
        ("/instruments/", {"params": {"q": "电镜"}}),
        ("/api/instruments/", {"params": {"q": "光谱"}}),
        (f"/instruments/{ids[0]}/", {}),
        (f"/api/instruments/{pool[0]}/availability/", {"params": params}),
        ("/map/", {}),
        ("/api/geo/zones/", {}),
        ("/api/geo/nearest-instruments/", {"params": {"lon": 106.43, "lat": 29.83}}),
        ("/api/bookings/", {"headers": {"Authorization": f"Token {token}"}}),
    ]
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for _ in range(3):
            await asyncio.gather(*(http.get(u, **kw) for u, kw in requests for _ in range(4)))


# --- Report --------------------------------------------------------------------------------


def ms(values: list[float], p: float) -> str:
    return f"{common.percentile(values, p) * 1000:7.0f}" if values else "      -"


def report(rec: Recorder, wall: float, samples: dict, cpu: dict, args) -> bool:
    every = [x for values in rec.latencies.values() for x in values]
    total = sum(sum(c.values()) for c in rec.statuses.values())
    overall = collections.Counter()
    for counter in rec.statuses.values():
        overall.update(counter)
    fivexx = sum(n for code, n in overall.items() if code >= 500)
    transport = sum(rec.errors.values())

    print(f"\n{'endpoint':<48} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  statuses")
    for name in sorted(rec.latencies):
        values = rec.latencies[name]
        codes = " ".join(f"{c}×{n}" for c, n in sorted(rec.statuses[name].items()))
        print(
            f"{name:<48} {len(values):>6} {ms(values, 50)} {ms(values, 95)} {ms(values, 99)} "
            f"{max(values) * 1000:7.0f}  {codes}"
        )
    print(
        f"{'ALL (ms)':<48} {len(every):>6} {ms(every, 50)} {ms(every, 95)} {ms(every, 99)} "
        f"{max(every) * 1000 if every else 0:7.0f}"
    )
    posts = rec.statuses.get("POST /api/bookings/", collections.Counter())
    print(
        f"\nrequests {total} in {wall:.1f} s = {total / wall:.1f} req/s; "
        f"status histogram {dict(sorted(overall.items()))}"
    )
    print(
        f"bookings: 201 × {posts.get(201, 0)} ({posts.get(201, 0) / wall:.1f}/s), "
        f"409 × {posts.get(409, 0)}, 400 × {posts.get(400, 0)}; "
        f"refusals by rule {dict(rec.rules.most_common())}"
    )
    print(f"5xx: {fivexx}   transport errors: {transport} {dict(rec.errors) or ''}")
    for body in rec.server_errors:
        print("    5xx:", body)
    for detail in rec.error_details:
        print("    transport:", detail)
    print(
        f"PostgreSQL client connections during the run: all databases max "
        f"{max(samples['pg_total'], default=0)}, bench database max "
        f"{max(samples['pg_ours'], default=0)} (max_connections {cpu['max_connections']})"
    )
    print(
        f"load average (1 min) during the run: min {min(samples['load'], default=0):.2f}, "
        f"max {max(samples['load'], default=0):.2f}"
    )
    database = sum(last - base for base, last in samples["pg_cpu"].values())
    print(
        f"CPU over the run: gunicorn {cpu['server']:.1f} s ({cpu['server'] / wall:.2f} cores), "
        f"its PostgreSQL backends {database:.1f} s ({database / wall:.2f} cores), "
        f"load generator {cpu['client']:.1f} s ({cpu['client'] / wall:.2f} cores)"
    )
    if total:
        per = (cpu["server"] + database) / total
        print(
            f"CPU per request: gunicorn {cpu['server'] / total * 1000:.1f} ms + PostgreSQL "
            f"{database / total * 1000:.1f} ms = {per * 1000:.1f} ms → at most "
            f"~{(os.cpu_count() or 1) / per:.0f} req/s on {os.cpu_count()} idle cores"
        )
    return fivexx > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument(
        "--timeout", type=float, default=120, help="client timeout, s (gunicorn's is 120)"
    )
    parser.add_argument("--researchers", type=float, default=0.3, help="share signed in")
    parser.add_argument("--instruments", type=int, default=20000)
    parser.add_argument("--pool", type=int, default=24, help="bench instruments to book")
    parser.add_argument("--debug", action="store_true", help="DEBUG=true (default: false)")
    args = parser.parse_args()
    production_mode(debug=args.debug)

    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    data_dir = common.DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    redis = isolate(data_dir)
    server = None
    failed = False
    try:
        ensure_database()
        common.django_setup()
        print(common.machine())
        print(common.postgres_version())
        print(common.code_version(*CODE))
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            max_connections = cursor.fetchone()[0]
        seed(args.instruments)
        if not args.debug:
            from django.core.management import call_command

            # DEBUG off serves static files from the manifest collectstatic writes.
            call_command("collectstatic", interactive=False, verbosity=0)
        tokens, pool = prepare_people(args.users, args.pool)
        ids = browse_ids()
        build_map()
        connection.close()

        port = common.free_port()
        url = f"http://127.0.0.1:{port}"
        log = data_dir / "bench_load-gunicorn.log"
        server = start_gunicorn(port, args.workers, args.threads, log)
        _wait_ready(url)
        print(
            f"gunicorn gthread: {args.workers} workers × {args.threads} threads on {url} "
            f"(log {log}); {args.users} users ({round(args.users * args.researchers)} signed in), "
            f"{args.seconds:.0f} s, think uniform(0.5, 1.5) × {args.think} s, "
            f"client timeout {args.timeout:.0f} s; "
            f"{len(pool)} bookable instruments, {len(ids)} instruments to browse"
        )
        asyncio.run(warm_up(url, ids, pool, tokens[0]))

        for run in range(1, args.runs + 1):
            removed = clear_bench_bookings()
            connection.close()
            print(
                f"\n=== run {run}/{args.runs} · {time.strftime('%H:%M:%S %Z')} · "
                f"load average before {os.getloadavg()} · bookings cleared {removed}"
            )
            cpu_server0 = group_cpu_seconds(server.pid)
            usage0 = resource.getrusage(resource.RUSAGE_SELF)
            rec, wall, samples = asyncio.run(run_load(url, args, tokens, pool, ids, seed=run))
            usage1 = resource.getrusage(resource.RUSAGE_SELF)
            cpu = {
                "server": group_cpu_seconds(server.pid) - cpu_server0,
                "client": (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime),
                "max_connections": max_connections,
            }
            failed |= report(rec, wall, samples, cpu, args)
            overlaps = overlapping_live_bookings()
            connection.close()
            print(f"overlapping live bookings (self-join): {overlaps}")
            print(f"load average after {os.getloadavg()}")
            failed |= overlaps > 0
    finally:
        if server is not None:
            stop(server, group=True)
        stop(redis, group=False)
    if failed:
        sys.exit(1)


def production_mode(*, debug: bool) -> None:
    """DEBUG in os.environ, for this process and gunicorn's. With DEBUG off the settings want a
    secret key and the hosts, and default to HTTPS only, which loopback HTTP cannot follow."""
    os.environ["DEBUG"] = "true" if debug else "false"
    if debug:
        return
    os.environ.setdefault("SECRET_KEY", "bench-load-" + "x7Kq2-" * 10)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        os.environ.setdefault(name, "false")


def _wait_ready(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


if __name__ == "__main__":
    main()
