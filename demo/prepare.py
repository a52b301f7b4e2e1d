"""What `make run` does before it starts web, worker and beat, each step only when it is needed.

A second start used to migrate, load the demo and build the layout map again, three Django
processes with their system checks, about 20 s of a 30 s start for nothing. Here each step first
asks cheaply whether there is anything to do:

- migrations: the plan `migrate --check` looks at (unapplied migrations of the default database);
- demo data: whether it is there (the demo feed source and the demo administrator) and whether
  what loaded it has changed since (a digest of demo/, data/ and the year: the demo's vouchers
  are per year), recorded per database in a stamp file under BASE_DIR/.state/;
- layout map: whether a built map is there, for this year and this basemap, built in the last
  day (changes ask the worker for a build, and beat rebuilds nightly; a stopped portal missed
  those), and the data has not just been changed by the two steps above.

A fresh database, a new migration, a changed demo or a missing map still get the full step.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

DEMO_INPUTS = ("demo", "data")
MAP_MAX_AGE = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Step:
    name: str
    needed: bool
    reason: str


# --- migrations ------------------------------------------------------------------------------


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What `migrate` would apply, as `migrate --check` sees it."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def migrate_step() -> Step:
    pending = unapplied_migrations()
    if not pending:
        return Step("migrate", False, "no unapplied migration")
    shown = ", ".join(pending[:3]) + (f" and {len(pending) - 3} more" if len(pending) > 3 else "")
    return Step("migrate", True, f"{len(pending)} unapplied: {shown}")


# --- demo data -------------------------------------------------------------------------------


def demo_digest(year: int | None = None) -> str:
    """Of the files the demo is loaded from, and the year (the demo issues vouchers per year)."""
    digest = hashlib.sha256(str(year or timezone.localdate().year).encode())
    base = Path(settings.BASE_DIR)
    for folder in DEMO_INPUTS:
        for path in sorted((base / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def database_identity(alias: str = DEFAULT_DB_ALIAS) -> str:
    """Which database this is: a dropped and re-created one (same name) is another database."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT oid::text FROM pg_database WHERE datname = current_database()")
        oid = cursor.fetchone()[0]
        try:  # the cluster too: another server's database may have the same oid
            cursor.execute("SELECT system_identifier::text FROM pg_control_system()")
            cluster = cursor.fetchone()[0]
        except DatabaseError:  # a role not allowed to ask (a managed database)
            cluster = "0"
    return f"{cluster}-{oid}"


def state_dir() -> Path:
    return Path(settings.BASE_DIR) / ".state"


def demo_stamp_path(identity: str) -> Path:
    return state_dir() / f"demo-{identity}.json"


def demo_present() -> bool:
    from portal.accounts.models import User
    from sharing.catalogue.models import FeedSource

    return (
        FeedSource.objects.filter(name="demo-sample").exists()
        and User.objects.filter(username="admin").exists()
    )


def demo_step(*, data_changed: bool) -> Step:
    if data_changed:
        return Step("demo", True, "migrations were applied")
    if not demo_present():
        return Step("demo", True, "no demo data in this database")
    try:
        stamp = json.loads(demo_stamp_path(database_identity()).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return Step("demo", True, "not loaded by this checkout yet")
    if stamp.get("digest") != demo_digest():
        return Step("demo", True, "demo/ or data/ changed, or a new year")
    return Step("demo", False, f"loaded {stamp.get('loaded_at', '?')}, unchanged")


def record_demo_loaded() -> None:
    path = demo_stamp_path(database_identity())
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = {"digest": demo_digest(), "loaded_at": timezone.now().isoformat(timespec="seconds")}
    path.write_text(json.dumps(stamp), encoding="utf-8")


# --- layout map ------------------------------------------------------------------------------


def map_step(*, data_changed: bool) -> Step:
    # geo.map.build imports the renderer (Folium) only when it builds, so this check is cheap.
    from geo.map import basemaps
    from geo.map.build import layout_path, read_meta

    if data_changed:
        return Step("map", True, "the data it shows changed")
    meta = read_meta()
    if meta is None or not layout_path().is_file():
        return Step("map", True, "no built map")
    if meta.get("year") != timezone.localdate().year:
        return Step("map", True, f"built for {meta.get('year')}")
    if meta.get("basemap") != basemaps.current().name:
        return Step("map", True, f"built on basemap {meta.get('basemap')}")
    try:
        built_at = datetime.datetime.fromisoformat(meta["built_at"])
    except (KeyError, TypeError, ValueError):
        return Step("map", True, "no build time")
    if timezone.now() - built_at > MAP_MAX_AGE:
        return Step("map", True, f"built {meta['built_at']}, more than a day ago")
    return Step("map", False, f"built {meta['built_at']}")


# --- the whole -------------------------------------------------------------------------------


def prepare_run(
    *,
    demo: bool = True,
    layout_map: bool = True,
    run: Callable[[str], None],
    say: Callable[[Step], None],
) -> list[Step]:
    """Each step checked, then done only when needed; ``run(name)`` does it (the management
    command calls migrate, load_demo, build_map). Returns the steps as decided."""
    steps = []
    step = migrate_step()
    steps.append(step)
    say(step)
    if step.needed:
        run("migrate")
    changed = step.needed
    if demo:
        step = demo_step(data_changed=changed)
        steps.append(step)
        say(step)
        if step.needed:
            run("demo")
            record_demo_loaded()
            changed = True
    if layout_map:
        step = map_step(data_changed=changed)
        steps.append(step)
        say(step)
        if step.needed:
            run("map")
    return steps
