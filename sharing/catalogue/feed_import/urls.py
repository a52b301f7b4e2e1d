from django.urls import path

from sharing.catalogue.feed_import.api import ImportDetailView, ImportListView

urlpatterns = [
    path("imports/", ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="import-detail"),
]
