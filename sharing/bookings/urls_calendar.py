"""API route of the private calendar address (included under /api/)."""

from django.urls import path

from sharing.bookings.api import calendar as api_calendar

urlpatterns = [
    path("calendar/token/", api_calendar.CalendarTokenApi.as_view(), name="calendar-token"),
]
