"""Search latency: GET /api/instruments/ through gunicorn against the same SQL run directly.

With N instruments in the bench database (imported from the generated feed when fewer are
there), for each query of a fixed set (2-character words, longer words, abbreviations, model
numbers whole and partial, English, filter combinations):
  - SQL: the exact statements and parameters the list endpoint's first page runs (captured from
    instrument_page with an execute wrapper: one, or two for a search, which first counts its
    matches up to selectors.RANKED_MAX), executed in turn on a cursor and fetched; p50 / p95;
  - API: the first page over HTTP from gunicorn (2 workers, 127.0.0.1, DEBUG=false); p50 / p95;
  - goals: SQL p95 <= 50 ms over all runs, no query's SQL p95 above 100 ms, API p95 <= SQL p95
    + 10 ms;
  - EXPLAIN (ANALYZE, BUFFERS): no plan may contain "Seq Scan on catalogue_instrument".
Exits 1 when a plan has such a scan. gunicorn is stopped at the end whatever happens.

    .venv/bin/python bench/bench_search.py --n 1000000 [--repeat 20]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

QUERIES = [
    {"q": "质谱"},
    {"q": "光谱"},
    {"q": "显微"},
    {"q": "色谱"},
    {"q": "扫描电子显微镜"},
    {"q": "液相色谱"},
    {"q": "激光共聚焦显微镜"},
    {"q": "电镜"},
    {"q": "SU8020"},
    {"q": "7890B"},
    {"q": "SU80"},
    {"q": "Exactive"},
    {"q": "microscope"},
    # issue 13: abbreviations, makers, model numbers spelt with a space, codes
    {"q": "XPS"},
    {"q": "ICP-MS"},
    {"q": "Bruker"},
    {"q": "赛默飞 质谱"},
    {"q": "SU 8020"},
    {"q": "ORG263-2017-000001"},
    {"q": "010102"},
    {"category": "01"},
    {"region": "beibei"},
    {"category": "01", "region": "beibei"},
    {"q": "质谱", "category": "01"},
    {"q": "显微镜", "region": "beibei"},
    {"q": "光谱", "category": "01", "region": "mianyang"},
]
CODE = ["sharing/catalogue/selectors.py", "sharing/catalogue/api.py", "sharing/catalogue/text.py"]
SEQ_SCAN = re.compile(r"Seq Scan on catalogue_instrument\b")  # not …_instrumentclass


def label(params: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def ensure_rows(n: int) -> int:
    from django.db import connection

    from sharing.catalogue.feed_import.store import InstrumentImport
    from sharing.catalogue.models import Instrument

    have = Instrument.objects.count()
    if have < n:
        path = common.feed_file(n)
        print(f"{have} instruments in the bench database; importing {path} …")
        started = time.perf_counter()
        InstrumentImport(path=path).run()
        print(f"imported in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalogue_instrument")
    return Instrument.objects.count()


def captured_sql(params: dict) -> list[tuple[str, tuple]]:
    """The statements the list endpoint runs for these parameters (first page, 20 rows)."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from sharing.catalogue.api import INSTRUMENT_LEAN
    from sharing.catalogue.selectors import instrument_page, instrument_search

    statements = []
    q = params.get("q")
    # The endpoint's own narrowing: the lean list's columns (sharing.catalogue.api).
    extra = ["rank"] if q else []

    def wrapper(execute, sql, sql_params, many, context):
        statements.append((sql, sql_params))
        return execute(sql, sql_params, many, context)

    ordering = "relevance" if params.get("q") else "id"
    with connection.execute_wrapper(wrapper):
        qs = instrument_search(user=AnonymousUser(), **params)
        instrument_page(
            qs,
            ordering=ordering,
            after=None,
            size=20,
            q=q,
            columns=lambda qs: INSTRUMENT_LEAN.queryset(qs, extra=extra),
        )
    assert 1 <= len(statements) <= 2, statements
    return statements


def _enough(times: list[float], repeat: int, budget: float) -> bool:
    """repeat runs, or fewer (at least 5) when a slow query has used up its time budget."""
    return len(times) >= repeat or (len(times) >= 5 and sum(times) > budget)


def time_sql(statements: list, repeat: int, budget: float) -> list[float]:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for sql, sql_params in statements:  # warm-up
            cursor.execute(sql, sql_params)
            cursor.fetchall()
        while not _enough(times, repeat, budget):
            started = time.perf_counter()
            for sql, sql_params in statements:
                cursor.execute(sql, sql_params)
                cursor.fetchall()
            times.append(time.perf_counter() - started)
    return times


def explain(statements: list) -> str:
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for sql, sql_params in statements:
            if sql.startswith("EXPLAIN"):  # the search's estimate of its matches: plans only
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n\n".join(plans)


def wait_ready(client, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if client.get("/api/instruments/", params={"page_size": 1}).status_code == 200:
                return
        except Exception:  # noqa: S110 (still starting)
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def warm_workers(client) -> None:
    """Both workers load jieba's dictionary on their first search: do it outside the timings."""

    def hit():
        for _ in range(5):
            client.get("/api/instruments/", params={"q": "扫描电镜"})

    threads = [threading.Thread(target=hit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def time_api(client, params: dict, repeat: int, budget: float) -> list[float]:
    times = []
    client.get("/api/instruments/", params=params)  # warm-up
    while not _enough(times, repeat, budget):
        started = time.perf_counter()
        response = client.get("/api/instruments/", params=params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{label(params)}: HTTP {response.status_code} {response.text[:300]}")
        times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--budget",
        type=float,
        default=15.0,
        help="seconds per query and path before stopping short of --repeat (never under 5 runs)",
    )
    args = parser.parse_args()

    common.django_setup()
    common.ensure_regions()
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

    print(common.machine())
    print(common.postgres_version())
    print(common.code_version(*CODE))
    print(f"load average before: {os.getloadavg()}")
    total = ensure_rows(args.n)
    from django.db import connection

    # What autovacuum would have done by now (this machine runs with it off): the regions and
    # classes a search joins, made before the rows, were never analysed, and the planner then
    # guessed a filtered search's matches far too few (光谱 in class 01 at Mianyang: 240 ms).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_region, catalogue_instrumentclass")
    print(
        f"{total} instruments in catalogue_instrument; {args.repeat} timed runs per query "
        f"after one warm-up (at least 5 when a query's runs pass {args.budget:.0f} s)\n"
    )

    plans, results = {}, []
    for params in QUERIES:
        statements = captured_sql(params)
        sql_times = time_sql(statements, args.repeat, args.budget)
        plans[label(params)] = explain(statements)
        results.append([params, sql_times, None])
        print(
            f"  SQL {label(params)}: p50 {common.percentile(sql_times, 50) * 1000:.1f} ms "
            f"({len(sql_times)} runs)",
            file=sys.stderr,
            flush=True,
        )

    port = common.free_port()
    server = common.start_gunicorn(port, debug=False)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            wait_ready(client, time.monotonic() + 60)
            warm_workers(client)
            for result in results:
                result[2] = time_api(client, result[0], args.repeat, args.budget)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    ms = 1000
    print("| query | runs SQL/API | SQL p50 | SQL p95 | API p50 | API p95 | API p95 − SQL p95 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    all_sql, all_api = [], []
    for params, sql_times, api_times in results:
        all_sql += sql_times
        all_api += api_times
        sql95, api95 = common.percentile(sql_times, 95), common.percentile(api_times, 95)
        print(
            f"| {label(params)} | {len(sql_times)}/{len(api_times)} "
            f"| {common.percentile(sql_times, 50) * ms:.1f} | {sql95 * ms:.1f} "
            f"| {common.percentile(api_times, 50) * ms:.1f} | {api95 * ms:.1f} "
            f"| {(api95 - sql95) * ms:.1f} |"
        )
    sql95, api95 = common.percentile(all_sql, 95), common.percentile(all_api, 95)
    print(
        f"| **all timed runs** | {len(all_sql)}/{len(all_api)} "
        f"| {common.percentile(all_sql, 50) * ms:.1f} | {sql95 * ms:.1f} "
        f"| {common.percentile(all_api, 50) * ms:.1f} | {api95 * ms:.1f} "
        f"| {(api95 - sql95) * ms:.1f} |"
    )
    worst_sql = max(common.percentile(r[1], 95) for r in results)
    worst_gap = max(common.percentile(r[2], 95) - common.percentile(r[1], 95) for r in results)
    print(f"\ntimes in ms; load average after: {os.getloadavg()}")
    print(
        f"goal SQL p95 <= 50 ms over all runs: {sql95 * ms:.1f} ms"
        f" → {'met' if sql95 <= 0.05 else 'MISSED'}"
    )
    print(
        f"goal no query's SQL p95 above 100 ms: worst {worst_sql * ms:.1f} ms"
        f" → {'met' if worst_sql <= 0.1 else 'MISSED'}"
    )
    print(
        f"goal API p95 <= SQL p95 + 10 ms: overall +{(api95 - sql95) * ms:.1f} ms, worst query "
        f"+{worst_gap * ms:.1f} ms → {'met' if api95 - sql95 <= 0.01 else 'MISSED'}"
    )

    offending = {name: plan for name, plan in plans.items() if SEQ_SCAN.search(plan)}
    print(f"\nplans with 'Seq Scan on catalogue_instrument': {len(offending)} of {len(plans)}")
    saved = common.DATA_DIR / "search-plans.txt"
    saved.write_text("".join(f"=== {name}\n{plan}\n\n" for name, plan in plans.items()))
    print(f"every plan: {saved}")
    for name, plan in offending.items():
        print(f"\n--- {name}\n{plan}")
    if os.environ.get("BENCH_SHOW_PLANS"):
        for name, plan in plans.items():
            print(f"\n=== {name}\n{plan}")
    if offending:
        sys.exit(1)


if __name__ == "__main__":
    main()
