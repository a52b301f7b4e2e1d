"""Pages of closures and problem reports, added to frontend/urls.py (namespace "frontend")."""

from django.urls import path

from frontend.views import facility as views

urlpatterns = [
    path(
        "manage/instruments/<int:instrument_id>/closures/",
        views.manage_closures,
        name="manage-closures",
    ),
    path("manage/problems/", views.manage_problems, name="manage-problems"),
    path(
        "instruments/<int:instrument_id>/problems/report/",
        views.problem_report_page,
        name="problem-report",
    ),
]
