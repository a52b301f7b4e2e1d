from django.core.management.base import BaseCommand

from geo.map.build import build_layout_map, layout_path


class Command(BaseCommand):
    help = "生成一圈一廊一带布局地图（同步） / Build the layout map now, synchronously."

    def handle(self, *args, **options):
        meta = build_layout_map()
        counts = meta["counts"]
        self.stdout.write(
            f"{layout_path()}: {counts['zones']} zones, {counts['platforms']} platforms, "
            f"{counts['cross_region_bookings']} cross-region bookings, {meta['seconds']} s"
        )
