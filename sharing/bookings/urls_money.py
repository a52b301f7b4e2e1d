"""Vouchers, indicators and service-record exports under /api/."""

from django.urls import path

from sharing.bookings.api import indicators, service_records, voucher_lifecycle, vouchers

urlpatterns = [
    path("vouchers/", vouchers.VoucherListApi.as_view(), name="voucher-list"),
    # The lifecycle's routes before <int:pk>/, so no word is ever read as a voucher.
    *voucher_lifecycle.urlpatterns,
    path("vouchers/<int:pk>/", vouchers.VoucherDetailApi.as_view(), name="voucher-detail"),
    path("indicators/", indicators.IndicatorsApi.as_view(), name="indicators"),
    path(
        "service-records/export.csv",
        service_records.ServiceRecordCsvExportApi.as_view(),
        name="service-records-export-csv",
    ),
    path(
        "service-records/export.xlsx",
        service_records.ServiceRecordXlsxExportApi.as_view(),
        name="service-records-export-xlsx",
    ),
]
