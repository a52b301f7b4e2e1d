from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from portal.widgets import LocalOSMWidget
from sharing.catalogue.models import Platform


@admin.register(Platform)
class PlatformAdmin(GISModelAdmin):
    gis_widget = LocalOSMWidget
    list_display = ("name", "kind", "level", "region", "host", "location_confidence")
    list_filter = ("kind", "level", "region", "location_confidence")
    search_fields = ("name", "name_en")
    autocomplete_fields = ("host",)
