"""Vouchers, indicators and service-record exports under /api/."""

from django.urls import path

from sharing.bookings import api_vouchers as api

urlpatterns = [
    path("vouchers/", api.VoucherListApi.as_view(), name="voucher-list"),
    path("vouchers/<int:pk>/", api.VoucherDetailApi.as_view(), name="voucher-detail"),
    path("indicators/", api.IndicatorsApi.as_view(), name="indicators"),
    path(
        "service-records/export.csv",
        api.ServiceRecordCsvExportApi.as_view(),
        name="service-records-export-csv",
    ),
    path(
        "service-records/export.xlsx",
        api.ServiceRecordXlsxExportApi.as_view(),
        name="service-records-export-xlsx",
    ),
]
