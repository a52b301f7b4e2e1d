"""How long `make run` takes until GET /healthz answers 200: a first start and the starts after it.

    .venv/bin/python bench/bench_start.py [--runs 2] [--fresh] [--port P] [--timeout 300]

Each run starts `make run PORT=P` in a session of its own, prints its output with the seconds
since the start in front of each line (so the slow step shows), polls /healthz every 0.1 s and,
at the first 200, stops the whole session (SIGINT, as Ctrl-C: honcho stops web, worker and beat).

Isolated from the dev set-up and from the other runs on the machine: the database is
`mianbei_bench_start` (made from mianbei_template when missing; DATABASE_URL may name another
*bench* one), Redis is a redis-server of its own on a free port (so this run's worker never takes
a task somebody else queued), MEDIA_ROOT is $BENCH_DATA_DIR/start-media.

--fresh makes the first run a first start as far as it can without a new machine: the bench
database dropped and made again from the template (every migration, the whole demo), the media
(layout map) removed, the compiled messages and the venv's sync stamp removed (uv then checks
every locked package; it does not download them again). System packages, PostgreSQL and Redis are
already there: provisioning them on a clean machine (apt) is not measured here.
"""

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

DATABASE_URL = "postgis://mianbei:mianbei@127.0.0.1:5432/mianbei_bench_start"


def database_name() -> str:
    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to use database {name!r}: use a *bench* one")
    return name


def ensure_database(drop: bool) -> None:
    import psycopg

    name = database_name()
    with psycopg.connect(
        "host=127.0.0.1 user=mianbei password=mianbei dbname=postgres", autocommit=True
    ) as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE mianbei_template')
            print(f"created database {name} from mianbei_template")


def forget_local_state() -> None:
    """What a clean checkout lacks: compiled messages, the venv's sync stamp, the start stamps."""
    for mo in common.ROOT.glob("locale/*/LC_MESSAGES/*.mo"):
        mo.unlink()
    (common.ROOT / ".venv" / ".mianbei-synced").unlink(missing_ok=True)
    shutil.rmtree(common.ROOT / ".state", ignore_errors=True)


def healthz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def one_start(port: int, timeout: float) -> float | None:
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=common.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    ready = threading.Event()

    def echo() -> None:
        for line in proc.stdout:
            if ready.is_set():
                continue  # after the figure: the workers' own start-up chatter
            print(f"  {time.perf_counter() - started:6.1f} s | {line.rstrip()[:150]}")

    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    seconds = None
    try:
        while time.perf_counter() - started < timeout and proc.poll() is None:
            if healthz(port) == 200:
                seconds = time.perf_counter() - started
                ready.set()
                break
            time.sleep(0.1)
    finally:
        ready.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if seconds is None:
        print(f"  no 200 from /healthz within {timeout:.0f} s (make exited {proc.returncode})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="the first run as a first start")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DATABASE_URL)
    # make run is the development start: DEBUG on (load_demo refuses otherwise).
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT"):
        os.environ.pop(name, None)
    data_dir = common.DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    media = data_dir / "start-media"
    os.environ["MEDIA_ROOT"] = str(media)
    redis_port = common.free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    port = args.port or common.free_port()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=common.ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(common.machine())
    print(f"HEAD {head} · database {database_name()} · web port {port} · Redis {redis_port}")
    figures = []
    try:
        for run in range(1, args.runs + 1):
            fresh = args.fresh and run == 1
            ensure_database(drop=fresh)
            if fresh:
                shutil.rmtree(media, ignore_errors=True)
                forget_local_state()
            load = os.getloadavg()
            print(
                f"\nrun {run} ({'first start' if fresh else 'again'}), load average "
                f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}:"
            )
            seconds = one_start(port, args.timeout)
            figures.append((run, fresh, seconds, load[0]))
    finally:
        redis.terminate()
        redis.wait()
    print("\nmake run → GET /healthz 200:")
    for run, fresh, seconds, load in figures:
        what = "first start" if fresh else "again"
        shown = f"{seconds:.1f} s" if seconds is not None else "no 200"
        print(f"  run {run} ({what}): {shown}   (load average {load:.2f} before)")


if __name__ == "__main__":
    main()
