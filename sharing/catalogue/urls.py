from django.urls import include, path

from sharing.catalogue import api

urlpatterns = [
    path("", include("sharing.catalogue.feed_import.urls")),
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
