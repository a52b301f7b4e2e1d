from django.urls import path

from sharing.catalogue.feed_import.api import (
    ImportDetailView,
    ImportListView,
    ImportRejectionsCsvView,
    ImportTemplateCsvView,
)

urlpatterns = [
    path("imports/", ImportListView.as_view(), name="imports"),
    path("imports/template.csv", ImportTemplateCsvView.as_view(), name="import-template"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="import-detail"),
    path(
        "imports/<int:pk>/rejections.csv",
        ImportRejectionsCsvView.as_view(),
        name="import-rejections",
    ),
]
