"""Server time of a list answer, page 20: instruments, technology listings, my bookings and
platforms, answered in-process by Django's test Client (no network, no gunicorn: the cost in
the code), with DEBUG=false. `/healthz` is measured in the same run as the floor. Each list is
asked `--repeat` times after a warm-up; p50 and p95 of the wall time per answer, and the ratio to
/healthz. `--profile NAME` prints the top of a cProfile of that list instead.

The bench database `mianbei_bench_lists` is the demo (about 55 instruments, 30 listings, 360
bookings); make it once with

    createdb -h 127.0.0.1 -U mianbei mianbei_bench_lists
    DATABASE_URL=postgis://mianbei:mianbei@127.0.0.1:5432/mianbei_bench_lists \\
        sh -c '.venv/bin/python manage.py migrate -v0 && .venv/bin/python manage.py load_demo'
    .venv/bin/python bench/bench_lists.py [--repeat 300] [--profile instruments]

The demo alone now holds 8 instruments and 3 listings, short of a page of 20: `--seed` (once, a
few seconds) imports 60 generated instruments and generates 40 published listings, so that
every list answers a full page (the rows column says how many it did).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Production settings: every address named, a real-looking secret (the settings refuse defaults).
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-" + "x7Kq2-" * 10)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
# Throttles still run (their Redis round trip is part of the answer), budget out of reach.
for rate in ("THROTTLE_ANON", "THROTTLE_USER", "THROTTLE_PAGES"):
    os.environ.setdefault(rate, "1000000/minute")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault(
    "DATABASE_URL", "postgis://mianbei:mianbei@127.0.0.1:5432/mianbei_bench_lists"
)

import bench_common as common  # noqa: E402

LISTS = {
    "healthz": ("/healthz", {}, None),
    "instruments": ("/api/instruments/", {"page_size": 20}, None),
    "instruments q=显微": ("/api/instruments/", {"page_size": 20, "q": "显微"}, None),
    "instruments (signed in)": ("/api/instruments/", {"page_size": 20}, "researcher_beibei"),
    "listings": ("/api/tech/listings/", {"page_size": 20}, None),
    "listings (signed in)": ("/api/tech/listings/", {"page_size": 20}, "firm_demo"),
    "my bookings": ("/api/bookings/", {"page_size": 20}, "researcher_mianyang"),
    "platforms": ("/api/geo/platforms/", {"page_size": 20}, None),
}
GOAL_MS = 8.0


def seed() -> None:
    from bench_techmarket import generate

    from sharing.catalogue.feed_import.store import InstrumentImport
    from sharing.catalogue.models import Instrument

    if Instrument.objects.count() < 40:
        InstrumentImport(path=common.feed_file(60)).run()
    generate(40, 20261203)
    print(f"instruments: {Instrument.objects.count()}")


def clients():
    from django.contrib.auth import get_user_model
    from django.test import Client

    made = {None: Client()}
    for _, _, who in LISTS.values():
        if who and who not in made:
            user = get_user_model().objects.get(username=who)
            client = Client()
            client.force_login(user)
            made[who] = client
    return made


def timed(client, url, params, repeat):
    """Wall time per answer, and this process's CPU time per answer: on a loaded machine the
    wall time waits for a core, the CPU time does not (PostgreSQL's share is in the wall only)."""
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, params, HTTP_HOST="127.0.0.1", secure=True)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])
    timed.cpu = cpu
    return times, response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--profile")
    parser.add_argument("--seed", action="store_true", help="fill the demo up to pages of 20")
    args = parser.parse_args()
    common.django_setup()
    if args.seed:
        seed()
    from django.conf import settings

    assert not settings.DEBUG, "run with DEBUG=false"
    made = clients()
    if args.profile:
        import cProfile
        import pstats

        url, params, who = LISTS[args.profile]
        timed(made[who], url, params, 20)
        profiler = cProfile.Profile()
        profiler.enable()
        timed(made[who], url, params, args.repeat)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("TOP", "45"))
        )
        return

    print(common.machine())
    print(common.postgres_version())
    print(f"load average before: {os.getloadavg()}")
    rows = []
    for name, (url, params, who) in LISTS.items():
        timed(made[who], url, params, 30)  # warm: caches, jieba, prepared plans
        times, response = timed(made[who], url, params, args.repeat)
        body = response.json() if name != "healthz" else {}
        count = len(body.get("results", body.get("features", [])) or [])
        if isinstance(body.get("results"), dict):  # GeoJSON pages put features under results
            count = len(body["results"].get("features", []))
        cpu = common.percentile(timed.cpu, 50)
        rows.append((name, count, common.percentile(times, 50), common.percentile(times, 95), cpu))
    floor = rows[0][2]
    print(
        f"\n{'list':<26} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} "
        f"{'p50/healthz':>12}  goal p50 ≤ {GOAL_MS} ms"
    )
    for name, count, p50, p95, cpu in rows:
        mark = "" if name == "healthz" else ("met" if p50 <= GOAL_MS else "missed")
        print(
            f"{name:<26} {count:>5} {p50:>8.2f} {p95:>8.2f} {cpu:>8.2f} "
            f"{p50 / floor:>12.1f}  {mark}"
        )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
