"""One InstrumentImport run of a file as the bench feed source's rows (issue 17): seconds,
counts, peak RSS and the load average, as one JSON line. For A/B runs of the re-import of
unchanged rows: run it from two checkouts against the same database, alternating.

    DATABASE_URL=…/mianbei_bench_x .venv/bin/python bench/bench_reimport.py FILE [--full]
      [--profile]

It writes to the database it is pointed at (the file's rows, under the source `bench-import`).
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    common.django_setup()
    common.ensure_regions()
    from sharing.catalogue.feed_import.store import InstrumentImport
    from sharing.catalogue.models import FeedSource

    source, _ = FeedSource.objects.get_or_create(
        name="bench-import", defaults={"location": str(args.path)}
    )
    load = os.getloadavg()
    runner = InstrumentImport(path=args.path, source=source, full=args.full)
    started = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        counts = profiler.runcall(runner.run)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    else:
        counts = runner.run()
    seconds = time.perf_counter() - started
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        json.dumps(
            {
                "code": str(Path.cwd()),
                "head": head,
                "seconds": round(seconds, 1),
                "counts": counts.as_dict(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "load_before": [round(x, 2) for x in load],
                "load_after": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
