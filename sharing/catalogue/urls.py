from django.urls import path

from sharing.catalogue import api
from sharing.catalogue.api_imports import ImportDetailView, ImportListView

urlpatterns = [
    path("imports/", ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="import-detail"),
    path("instruments/", api.InstrumentListApi.as_view(), name="instrument-list"),
    path("instruments/<int:pk>/", api.InstrumentDetailApi.as_view(), name="instrument-detail"),
    path(
        "instruments/export.csv",
        api.InstrumentCsvExportApi.as_view(),
        name="instrument-export-csv",
    ),
    path(
        "instruments/export.xlsx",
        api.InstrumentXlsxExportApi.as_view(),
        name="instrument-export-xlsx",
    ),
]
