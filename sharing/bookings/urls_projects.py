"""Routes of projects (课题), their charge approvals and the monthly statements under /api/."""

from django.urls import path, re_path

from sharing.bookings.projects import api

urlpatterns = [
    path("projects/", api.ProjectListCreateApi.as_view(), name="project-list"),
    # The fixed words before <int:pk>/, so none is ever read as a project.
    path("projects/threshold/", api.ThresholdApi.as_view(), name="project-threshold"),
    path("projects/approvals/", api.ChargeApprovalListApi.as_view(), name="charge-approval-list"),
    re_path(
        r"^projects/approvals/(?P<pk>[0-9]+)/approve/?$",
        api.ChargeApproveApi.as_view(),
        name="charge-approval-approve",
    ),
    re_path(
        r"^projects/approvals/(?P<pk>[0-9]+)/reject/?$",
        api.ChargeRejectApi.as_view(),
        name="charge-approval-reject",
    ),
    path("projects/<int:pk>/", api.ProjectDetailApi.as_view(), name="project-detail"),
    path("statements/", api.StatementApi.as_view(), name="statement"),
    path("statements/export.xlsx", api.StatementXlsxApi.as_view(), name="statement-export-xlsx"),
]
