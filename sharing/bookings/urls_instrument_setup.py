"""The manager's console under /api/: hours, policy, rates and the usage log of an instrument."""

from django.urls import path, re_path

from sharing.bookings.api import instrument_setup as api

urlpatterns = [
    path("instruments/<int:pk>/hours/", api.InstrumentHoursApi.as_view(), name="instrument-hours"),
    path(
        "instruments/<int:pk>/policy/",
        api.InstrumentPolicyApi.as_view(),
        name="instrument-policy",
    ),
    path("instruments/<int:pk>/rates/", api.InstrumentRatesApi.as_view(), name="instrument-rates"),
    path("instruments/<int:pk>/usage/", api.InstrumentUsageApi.as_view(), name="instrument-usage"),
    path(
        "instruments/<int:pk>/usage/export.csv",
        api.InstrumentUsageCsvApi.as_view(),
        name="instrument-usage-export-csv",
    ),
    path(
        "instruments/<int:pk>/usage/export.xlsx",
        api.InstrumentUsageXlsxApi.as_view(),
        name="instrument-usage-export-xlsx",
    ),
    # An action: with or without the trailing slash, as the other booking actions.
    re_path(
        r"^bookings/(?P<pk>[0-9]+)/adjust-usage/?$",
        api.BookingAdjustUsageApi.as_view(),
        name="booking-adjust-usage",
    ),
]
