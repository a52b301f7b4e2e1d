"""Import throughput: InstrumentImport against a bare COPY of the same CSV.

Measures, in the bench database (mianbei_bench):
  (a) InstrumentImport(path=...).run() into an empty catalogue_instrument: rows/s, wall time;
      then the same file again (every row unchanged): rows/s;
  (b) COPY of the same file into a plain all-text table without indexes: rows/s;
and prints ours/COPY (goal >= 1/3). With --also-million, a 1,000,000-row import (goal < 60 s).
Each import runs in a child process so its peak RSS (ru_maxrss) is its own: flat memory means
the 1M peak is close to the 100k one. --profile N runs cProfile on an N-row import instead.
It TRUNCATEs catalogue_instrument CASCADE (bookings of those instruments go too): give it a
database nobody else is benchmarking in, e.g. DATABASE_URL=…/mianbei_bench_import.

    .venv/bin/python bench/bench_import.py --rows 100000 [--also-million]
    .venv/bin/python bench/bench_import.py --profile 20000
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

TABLE = "catalogue_instrument"
CODE = [
    "sharing/catalogue/feed_import/store.py",
    "sharing/catalogue/feed_import/upsert.py",
    "sharing/catalogue/feed_import/read.py",
    "sharing/catalogue/feed_import/rules.py",
    "sharing/catalogue/text.py",
]
# The rows belong to a feed source, as a scheduled feed's do: a re-import of a source's
# unchanged rows is what the issue 17 fast path (feed_fingerprint) serves.
SOURCE = "bench-import"


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE} CASCADE")


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def child_import(path: Path, empty: bool) -> dict:
    """One import in this (fresh) process; returns its figures."""
    common.django_setup()
    common.ensure_regions()
    from sharing.catalogue.feed_import.store import InstrumentImport
    from sharing.catalogue.models import FeedSource

    if empty:
        _truncate()
    source, _ = FeedSource.objects.get_or_create(name=SOURCE, defaults={"location": str(path)})
    rejections = []
    baseline = _peak_mb()
    started = time.perf_counter()
    counts = InstrumentImport(path=path, source=source, on_rejections=rejections.extend).run()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows_per_s": counts.rows_read / seconds,
        "counts": counts.as_dict(),
        "first_rejections": [str(r) for r in rejections[:5]],
        "rss_before_mb": baseline,
        "peak_rss_mb": _peak_mb(),
        # The largest child's peak, not a sum: the import's worker processes when it starts
        # any (workers.py), else the ldconfig that ctypes forks while Django starts (~100 MB:
        # a fork's RSS is its parent's at the time).
        "workers_peak_rss_mb": _peak_mb(resource.RUSAGE_CHILDREN),
    }


def run_child(path: Path, empty: bool) -> dict:
    args = [sys.executable, __file__, "--child", str(path)] + (["--empty"] if empty else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bare_copy(path: Path) -> dict:
    """COPY the CSV into a plain text table (no indexes, no constraints), committed."""
    from django.db import connection

    from sharing.catalogue.feed_import.read import COLUMNS

    columns = ", ".join(f"{field} text" for field, _zh, _en in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(f"CREATE TABLE bench_copy ({columns})")
    started = time.perf_counter()
    with connection.cursor() as cursor, open(path, "rb") as handle:
        raw = cursor.cursor
        with raw.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while data := handle.read(1 << 20):
                copy.write(data)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_copy")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy")
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds}


def profile(rows: int) -> None:
    import cProfile
    import pstats

    common.django_setup()
    common.ensure_regions()
    from sharing.catalogue.feed_import.store import InstrumentImport

    path = common.feed_file(rows)
    _truncate()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(InstrumentImport(path=path).run)
    print(f"profiled import of {rows} rows: {time.perf_counter() - started:.1f} s (with cProfile)")
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def _line(label: str, result: dict) -> str:
    counts = result["counts"]
    return (
        f"{label:<34} {result['seconds']:8.1f} s {result['rows_per_s']:9.0f} rows/s  "
        f"created {counts['created']} updated {counts['updated']} unchanged "
        f"{counts['unchanged']} rejected {counts['rejected']}  "
        f"peak RSS {result['peak_rss_mb']:.0f} MB (before run {result['rss_before_mb']:.0f} MB; "
        f"largest child {result.get('workers_peak_rss_mb', 0):.0f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--also-million", action="store_true")
    parser.add_argument("--profile", type=int, metavar="ROWS")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--empty", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_import(args.child, args.empty)))
        return
    if args.profile:
        profile(args.profile)
        return

    common.django_setup()
    common.ensure_regions()
    print(common.machine())
    print(common.postgres_version())
    print(common.code_version(*CODE))
    print(f"load average before: {os.getloadavg()}")
    path = common.feed_file(args.rows)
    print(f"file {path} ({path.stat().st_size / 1e6:.1f} MB, {args.rows} rows)\n")

    first = run_child(path, empty=True)
    print(_line("ours, empty table", first))
    for rejection in first["first_rejections"]:
        print("  rejected:", rejection)
    again = run_child(path, empty=False)
    print(_line("ours, same file again (unchanged)", again))
    copy = bare_copy(path)
    print(
        f"{'bare COPY, text table, no indexes':<34} {copy['seconds']:8.1f} s "
        f"{copy['rows_per_s']:9.0f} rows/s"
    )
    print(f"load average after: {os.getloadavg()}")
    ratio = first["rows_per_s"] / copy["rows_per_s"]
    verdict = "met" if ratio >= 1 / 3 else "MISSED"
    print(f"\nours/COPY (empty table) = {ratio:.3f}  (goal >= 0.333: {verdict})")
    print(f"ours/COPY (unchanged)   = {again['rows_per_s'] / copy['rows_per_s']:.3f}")

    if args.also_million:
        million = common.feed_file(1_000_000)
        print(f"\nfile {million} ({million.stat().st_size / 1e6:.1f} MB)")
        big = run_child(million, empty=True)
        print(_line("ours, 1,000,000 rows, empty table", big))
        verdict = "met" if big["seconds"] < 60 else "MISSED"
        print(f"1M rows in {big['seconds']:.1f} s (goal < 60 s: {verdict})")
        big_again = run_child(million, empty=False)
        print(_line("ours, 1M same file again", big_again))
        verdict = "met" if big_again["seconds"] <= 20 else "MISSED"
        print(f"1M unchanged rows in {big_again['seconds']:.1f} s (goal <= 20 s: {verdict})")
        copy = bare_copy(million)
        print(
            f"{'bare COPY, 1M rows':<34} {copy['seconds']:8.1f} s {copy['rows_per_s']:9.0f} rows/s"
        )
        print(
            f"peak RSS: {args.rows} rows {first['peak_rss_mb']:.0f} MB, "
            f"1M rows {big['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
