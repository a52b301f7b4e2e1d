"""Closures of an instrument and problem reports (included from portal/urls.py under /api/)."""

from django.urls import path, re_path

from sharing.bookings.api import closures, problems

urlpatterns = [
    path(
        "instruments/<int:pk>/closures/",
        closures.InstrumentClosuresApi.as_view(),
        name="instrument-closures",
    ),
    path(
        "instruments/<int:pk>/closures/<int:closure_id>/",
        closures.InstrumentClosureDetailApi.as_view(),
        name="instrument-closure-detail",
    ),
    path("problems/", problems.ProblemListCreateApi.as_view(), name="problem-list"),
    path("problems/<int:pk>/", problems.ProblemDetailApi.as_view(), name="problem-detail"),
    path("problems/<int:pk>/photo/", problems.ProblemPhotoApi.as_view(), name="problem-photo"),
    # An action answers with or without the trailing slash, as the booking actions do.
    re_path(
        r"^problems/(?P<pk>[0-9]+)/resolve/?$",
        problems.ProblemResolveApi.as_view(),
        name="problem-resolve",
    ),
]
