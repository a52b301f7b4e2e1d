from django.urls import path

from geo.api import instruments, platforms, stats, zones

urlpatterns = [
    path("zones/", zones.ZoneListApi.as_view(), name="geo-zones"),
    path("zones/<slug:code>/stats/", stats.ZoneStatsApi.as_view(), name="geo-zone-stats"),
    path("platforms/", platforms.PlatformGeoApi.as_view(), name="geo-platforms"),
    path("locate/", zones.LocateApi.as_view(), name="geo-locate"),
    path(
        "nearest-instruments/",
        instruments.NearestInstrumentsApi.as_view(),
        name="geo-nearest-instruments",
    ),
]
