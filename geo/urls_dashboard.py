from django.urls import path

from geo import views_dashboard

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("dashboard/chart/<slug:name>.png", views_dashboard.chart, name="chart"),
    path("dashboard/export/<slug:table>.<slug:fmt>", views_dashboard.export, name="export"),
]
