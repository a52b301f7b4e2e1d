"""The ICS feeds, outside /api/ (included under /calendar/): calendar clients subscribe to them
without a session or an API token."""

from django.urls import path, re_path

from sharing.bookings.api import calendar as api_calendar

app_name = "calendar"

urlpatterns = [
    path(
        "instruments/<int:pk>/busy.ics",
        api_calendar.instrument_busy_feed,
        name="instrument-busy",
    ),
    # The token alphabet of secrets.token_urlsafe; anything else is not a token.
    re_path(r"^(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", api_calendar.calendar_feed, name="feed"),
]
