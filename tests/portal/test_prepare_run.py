"""`make run`'s preparation (demo.prepare): each step is skipped when there is nothing to do and
done when there is (a fresh database, an unapplied migration, a changed demo, a stale map)."""

import datetime
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from demo import prepare
from geo.map import basemaps
from sharing.catalogue.models import FeedSource
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_state(tmp_path, settings, monkeypatch):
    """Stamps and the built map in a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setattr(prepare, "state_dir", lambda: tmp_path / "state")


def run_recorded(**options) -> tuple[list[str], list[prepare.Step]]:
    done: list[str] = []
    steps = prepare.prepare_run(run=done.append, say=lambda step: None, **options)
    return done, steps


def demo_there():
    FeedSource.objects.create(name="demo-sample", location="data/sample-instrument-feed.csv")
    UserFactory(username="admin")


def map_built(*, year=None, basemap=None, built_at=None):
    maps = Path(settings.MEDIA_ROOT) / "maps"
    maps.mkdir(parents=True, exist_ok=True)
    (maps / "layout.html").write_text("<html></html>", encoding="utf-8")
    meta = {
        "built_at": (built_at or timezone.now()).isoformat(timespec="seconds"),
        "basemap": basemap or basemaps.current().name,
        "year": year or timezone.localdate().year,
    }
    (maps / "layout.json").write_text(json.dumps(meta), encoding="utf-8")


def test_an_empty_database_gets_the_demo_and_the_map():
    done, steps = run_recorded()
    assert done == ["demo", "map"]  # migrated by the test run already
    assert [s.needed for s in steps] == [False, True, True]


def test_a_second_start_does_nothing():
    demo_there()
    run_recorded()  # the first start: loads (here: records) the demo, builds the map
    map_built()
    done, steps = run_recorded()
    assert done == []
    assert [(s.name, s.needed) for s in steps] == [
        ("migrate", False),
        ("demo", False),
        ("map", False),
    ]


def test_an_unapplied_migration_is_applied_and_then_the_demo_and_map_follow_it():
    demo_there()
    run_recorded()
    map_built()
    last = MigrationRecorder.Migration.objects.filter(app="bookings").order_by("-id").first()
    MigrationRecorder(connection).record_unapplied(last.app, last.name)
    step = prepare.migrate_step()
    assert step.needed and f"bookings.{last.name}" in step.reason
    # Not applied for real here (the test's run records): the three steps are asked for.
    done, _ = run_recorded()
    assert done == ["migrate", "demo", "map"]


def test_the_demo_is_loaded_again_when_what_it_is_loaded_from_changes(monkeypatch):
    demo_there()
    run_recorded()
    map_built()
    monkeypatch.setattr(prepare, "demo_digest", lambda year=None: "another digest")
    done, steps = run_recorded()
    assert done == ["demo", "map"]
    assert "changed" in steps[1].reason


def test_the_demo_is_loaded_when_its_rows_are_gone_even_with_a_stamp():
    demo_there()
    run_recorded()
    map_built()
    FeedSource.objects.filter(name="demo-sample").delete()
    done, _ = run_recorded()
    assert done == ["demo", "map"]


def test_a_stamp_of_another_database_does_not_count(monkeypatch):
    demo_there()
    run_recorded()
    map_built()
    monkeypatch.setattr(prepare, "database_identity", lambda alias="default": "0-1")
    done, _ = run_recorded()
    assert done == ["demo", "map"]


def test_the_demo_digest_changes_with_the_year():
    assert prepare.demo_digest(2026) != prepare.demo_digest(2027)


@pytest.mark.parametrize(
    "built",
    [
        {"year": 2001},
        {"basemap": "no-such-basemap"},
        {"built_at": timezone.now() - datetime.timedelta(days=2)},
    ],
    ids=["last-year", "other-basemap", "two-days-old"],
)
def test_a_stale_map_is_built_again(built):
    demo_there()
    run_recorded()
    map_built(**built)
    done, _ = run_recorded()
    assert done == ["map"]


def test_the_options_leave_out_demo_and_map():
    done, steps = run_recorded(demo=False, layout_map=False)
    assert done == [] and [s.name for s in steps] == ["migrate"]


def test_the_command_says_what_it_skipped(monkeypatch, capsys):
    from demo.management.commands import prepare_run as command

    demo_there()
    run_recorded()
    map_built()
    called = []
    monkeypatch.setattr(
        command, "COMMANDS", {k: lambda k=k: called.append(k) for k in command.COMMANDS}
    )
    call_command("prepare_run")
    out = capsys.readouterr().out
    assert called == []
    assert out.count("skipped") == 3, out
