"""The layout map's pages, under the URL names they have always had (geo:map, geo:map-frame)."""

from django.urls import path

from frontend.views import map as views

app_name = "geo"

urlpatterns = [
    path("map/", views.layout_map, name="map"),
    path("map/frame/", views.layout_map_frame, name="map-frame"),
]
