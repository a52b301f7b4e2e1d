from django.urls import path

from geo import views

app_name = "geo"

urlpatterns = [
    path("map/", views.layout_map, name="map"),
    path("map/frame/", views.layout_map_frame, name="map-frame"),
]
