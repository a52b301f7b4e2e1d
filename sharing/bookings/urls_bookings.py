from django.urls import path, re_path

from sharing.bookings.api import bookings as api

ACTIONS = {
    "approve": api.BookingApproveApi,
    "reject": api.BookingRejectApi,
    "cancel": api.BookingCancelApi,
    "check-in": api.BookingCheckInApi,
    "check-out": api.BookingCheckOutApi,
}

urlpatterns = [
    path(
        "instruments/<int:pk>/availability/",
        api.InstrumentAvailabilityApi.as_view(),
        name="instrument-availability",
    ),
    path("bookings/", api.BookingListCreateApi.as_view(), name="booking-list"),
    path("bookings/series/", api.BookingSeriesApi.as_view(), name="booking-series"),
    path("bookings/<int:pk>/", api.BookingDetailApi.as_view(), name="booking-detail"),
    path("waitlist/", api.WaitlistApi.as_view(), name="waitlist"),
]
# Actions answer with or without the trailing slash: a POST cannot follow APPEND_SLASH's
# redirect, and the issue writes them without one.
urlpatterns += [
    re_path(rf"^bookings/(?P<pk>[0-9]+)/{action}/?$", view.as_view(), name=f"booking-{action}")
    for action, view in ACTIONS.items()
]
