from django.urls import path, re_path

from sharing.bookings.api import kiosk as api

urlpatterns = [
    path("kiosk/<str:token>/", api.KioskApi.as_view(), name="kiosk"),
    # Answers with or without the trailing slash, as the booking actions do.
    re_path(
        r"^kiosk/(?P<token>[^/]+)/walk-up/?$", api.KioskWalkUpApi.as_view(), name="kiosk-walk-up"
    ),
]
