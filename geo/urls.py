from django.urls import path

from geo import api

urlpatterns = [
    path("zones/", api.ZoneListApi.as_view(), name="geo-zones"),
    path("zones/<slug:code>/stats/", api.ZoneStatsApi.as_view(), name="geo-zone-stats"),
    path("platforms/", api.PlatformGeoApi.as_view(), name="geo-platforms"),
    path("locate/", api.LocateApi.as_view(), name="geo-locate"),
    path(
        "nearest-instruments/",
        api.NearestInstrumentsApi.as_view(),
        name="geo-nearest-instruments",
    ),
]
