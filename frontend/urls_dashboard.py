"""The coordinators' dashboard, under its URL names (dashboard:dashboard, :chart, :export)."""

from django.urls import path

from frontend.views import dashboard as views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/chart/<slug:name>.png", views.chart, name="chart"),
    path("dashboard/export/<slug:table>.<slug:fmt>", views.export, name="export"),
]
