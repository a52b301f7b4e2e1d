"""Create or update the Zone rows from geo/data/zones.geojson (idempotent)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.zones_build import ZONES_GEOJSON, ZoneBuildError, zones_load


class Command(BaseCommand):
    help = "从 GeoJSON 文件载入或更新一圈一廊一带分区（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=ZONES_GEOJSON, help="GeoJSON 文件路径")

    def handle(self, *args, path: Path, **options):
        try:
            counts = zones_load(path=path)
        except (OSError, ValueError, KeyError, ZoneBuildError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(
            "zones: {created} created, {updated} updated, {unchanged} unchanged".format(**counts)
        )
