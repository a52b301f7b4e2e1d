"""API routes of the outbox (included under /api/)."""

from django.urls import path

from portal.notifications import api

urlpatterns = [
    path("notifications/", api.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read",
        api.NotificationReadApi.as_view(),
        name="notification-read",
    ),
    path(
        "notifications/read-all",
        api.NotificationReadAllApi.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/preferences/",
        api.NotificationPreferencesApi.as_view(),
        name="notification-preferences",
    ),
]
