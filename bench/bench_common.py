"""Shared set-up for the bench scripts: the bench database, Django, the machine's description."""

import datetime
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = "postgis://mianbei:mianbei@127.0.0.1:5432/mianbei_bench"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", Path(tempfile.gettempdir()) / "mianbei-bench"))


def django_setup() -> None:
    """Django against the bench database; refuses any database whose name lacks 'bench'."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to benchmark against database {name!r}: use a *bench* one")


def ensure_regions() -> None:
    """The import needs the two regions; a bench database made without load_demo lacks them."""
    from demo.loader import REGIONS
    from portal.accounts.services import region_upsert

    for region in REGIONS:
        region_upsert(**region)


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        ram_kb = int(handle.readline().split()[1])
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (
        f"date {now} · nproc {os.cpu_count()} · CPU {cpu} · RAM {ram_kb / 1024**2:.1f} GiB · "
        f"Python {platform.python_version()}"
    )


def code_version(*files: str) -> str:
    """HEAD plus a digest of the files measured: they may be uncommitted work in progress."""
    import hashlib
    import subprocess

    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    digests = [
        f"{name} {hashlib.sha1((ROOT / name).read_bytes()).hexdigest()[:10]}"  # noqa: S324
        for name in files
    ]
    return f"code: HEAD {head}; " + ", ".join(digests)


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    return f"PostgreSQL {version} (shared_buffers {buffers})"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def feed_file(rows: int, seed: int = 20240601) -> Path:
    """The generated CSV for this many rows, made once and reused."""
    import time

    from generate_instruments import write_csv

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"instruments-{rows}-{seed}.csv"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        write_csv(partial, rows, seed)
        partial.rename(path)
        print(f"generated {rows} rows → {path} in {time.perf_counter() - started:.1f} s")
    return path


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# What production settings need on loopback: a real-looking secret, the host named, and no
# redirect to HTTPS (there is no TLS in front of gunicorn here).
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "x7Kq2-" * 10,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
}


def start_gunicorn(port: int, *, log_name: str | None = None, debug: bool = True):
    """gunicorn with 2 workers on loopback against the bench database, in its own session so
    the caller can stop the whole group; its log goes to DATA_DIR/<log_name> when given.
    ``debug=False`` runs it with production settings (PRODUCTION_ENV)."""
    import subprocess

    env = {
        **os.environ,
        "DEBUG": "true",
        **({} if debug else PRODUCTION_ENV),
        "DATABASE_URL": os.environ.get("DATABASE_URL", BENCH_DATABASE_URL),
        # Every bench client shares 127.0.0.1: the app, not the throttle, is what is measured.
        "THROTTLE_ANON": "1000000/minute",
        "THROTTLE_USER": "1000000/minute",
        "THROTTLE_PAGES": "1000000/minute",
    }
    args = [
        str(ROOT / ".venv/bin/gunicorn"),
        "portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    output = None
    if log_name:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        output = open(DATA_DIR / log_name, "w")  # noqa: SIM115 (lives as long as the server)
    return subprocess.Popen(
        args, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=output
    )
