from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from geo.models import Zone
from portal.widgets import LocalOSMWidget


@admin.register(Zone)
class ZoneAdmin(GISModelAdmin):
    """Zones are loaded from geo/data/zones.geojson (manage.py load_zones); an edit here lasts
    until the next load, so change the build (geo/zones_build.py) for a lasting one."""

    gis_widget = LocalOSMWidget
    gis_widget_kwargs = {"attrs": {"default_lon": 106.44, "default_lat": 29.8, "default_zoom": 11}}
    list_display = ["name", "kind", "code", "version", "updated_at"]
    readonly_fields = ["updated_at"]
    search_fields = ["name", "name_en", "code"]
