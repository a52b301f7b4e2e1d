"""Fixtures for the fault tests: a worker that can be SIGKILLed and restarted, a Redis of our
own that can be stopped (never the shared one on 6379), and e-mail counted per notification."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 120  # only ends a hung test; the machine is shared and often busy


def wait_until(check, *, what: str, timeout: float = WAIT_SECONDS, every: float = 0.1):
    """Poll `check` until it returns something truthy; the timeout only ends a hung test."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Worker:
    """A real `celery worker --pool solo` on a queue of its own: one process, which is also the
    leader of its own process group, so SIGKILL takes everything it runs, as an OOM kill would."""

    def __init__(self, *, queue: str, env: dict):
        self.queue = queue
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Worker":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                self.queue,
                "--pool",
                "solo",
                "--loglevel",
                os.environ.get("FAULTS_WORKER_LOGLEVEL", "WARNING"),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{self.queue}-{uuid.uuid4().hex[:4]}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no shutdown, no ack, no rollback by us."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    @property
    def pid(self) -> int:
        return self.proc.pid


@pytest.fixture
def worker(transactional_db, settings, tmp_path):
    """A Worker (not started) reading the test database; tasks this test sends go to its queue.
    `worker.env` may be changed before start(): the worker reads its settings from it."""
    from portal.celery import app

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = os.environ.copy()
    env["DATABASE_URL"] = (
        f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    settings.MEDIA_ROOT = str(tmp_path / "media")
    env["MEDIA_ROOT"] = settings.MEDIA_ROOT
    env["CELERY_TASK_DEFAULT_QUEUE"] = queue
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    one = Worker(queue=queue, env=env)
    try:
        yield one
    finally:
        app.conf.task_default_queue = previous
        one.stop()


class RedisServer:
    """A throwaway redis-server without persistence: stopping it is a Redis outage."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

        def answers() -> bool:
            with contextlib.suppress(redis.ConnectionError):
                return client.ping()
            return False

        wait_until(answers, what=f"redis-server on port {self.port}", timeout=15)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reset_celery_connections(app) -> None:
    # The app keeps its broker connection pool, producer pool and result backend once made;
    # after the address changes they must be made again.
    app._after_fork()
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def portal_on(settings):
    """Point this process (cache, broker, result store, /healthz) at another Redis."""
    from portal.cache import FailSoftRedisCache
    from portal.celery import app
    from sharing.bookings import notifications

    before = app.conf.broker_url, app.conf.result_backend

    def point(url: str) -> None:
        caches = {name: dict(config) for name, config in settings.CACHES.items()}
        caches["default"]["LOCATION"] = url
        settings.CACHES = caches
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url
        app.conf.result_backend = url
        _reset_celery_connections(app)

    try:
        yield point
    finally:
        app.conf.broker_url, app.conf.result_backend = before
        _reset_celery_connections(app)
        # The outage this test made must not make later tests skip the cache or the broker.
        FailSoftRedisCache._down_until = 0.0
        notifications._broker_skip_until = 0.0


@pytest.fixture
def maildir(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


MESSAGE_ID = re.compile(r"^Message-ID: <notification-(\d+)@mianbei-portal>$", re.MULTILINE)


def emailed(folder: Path) -> Counter:
    """How many times each notification was e-mailed, read from the file backend's files."""
    counts: Counter = Counter()
    for path in folder.glob("*.log"):
        for match in MESSAGE_ID.finditer(path.read_text(errors="replace")):
            counts[int(match.group(1))] += 1
    return counts


def in_flight(folder: Path) -> set[int]:
    """The notifications the slow backend has begun but not finished handing over."""
    return {int(p.name.split("-")[1]) for p in folder.glob("sending-*")}
