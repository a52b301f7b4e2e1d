from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = "空间布局 Geo"

    def ready(self) -> None:
        # Platform and zone changes ask for a new layout map (debounced; see geo.map.tasks).
        from geo import signals  # noqa: F401
