"""Regenerate geo/data/zones.geojson from data/places.csv (reproducible: same input, same file)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.zones_build import ZONES_GEOJSON, ZoneBuildError, zones_build, zones_dumps, zones_write
from sharing.catalogue.places import PLACES_CSV


class Command(BaseCommand):
    help = "由 data/places.csv 重新生成一圈一廊一带的 GeoJSON 文件。"

    def add_arguments(self, parser):
        parser.add_argument("--places", type=Path, default=PLACES_CSV, help="places.csv 路径")
        parser.add_argument("--output", type=Path, default=ZONES_GEOJSON, help="输出文件路径")
        parser.add_argument(
            "--check",
            action="store_true",
            help="只检查：文件与重新生成的结果不同时以非零状态退出，不写文件。",
        )

    def handle(self, *args, places: Path, output: Path, check: bool, **options):
        try:
            if check:
                text = zones_dumps(zones_build(places_path=places))
                current = output.read_text(encoding="utf-8") if output.exists() else ""
                if current != text:
                    raise CommandError(f"{output} is out of date: run manage.py build_zones")
                self.stdout.write(f"{output}: up to date")
                return
            changed = zones_write(output=output, places_path=places)
        except ZoneBuildError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{output}: {'written' if changed else 'unchanged'}")
