"""API routes of notifications and the calendar address (included under /api/)."""

from django.urls import path

from sharing.bookings import api_calendar

urlpatterns = [
    path("notifications/", api_calendar.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read",
        api_calendar.NotificationReadApi.as_view(),
        name="notification-read",
    ),
    path("calendar/token/", api_calendar.CalendarTokenApi.as_view(), name="calendar-token"),
]
