from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal.accounts.api import MeView, TokenView
from portal.health import healthz

api_patterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("", include("portal.accounts.urls")),
    path("", include("sharing.catalogue.urls")),
    path("", include("sharing.bookings.urls_bookings")),
    path("", include("sharing.bookings.urls_money")),
    path("", include("sharing.bookings.urls_calendar")),
    path("", include("sharing.bookings.urls_kiosk")),
    path("", include("sharing.bookings.urls_training")),
    path("", include("sharing.bookings.urls_facility_closures")),
    path("", include("sharing.bookings.urls_instrument_setup")),
    path("", include("sharing.bookings.urls_orders")),
    path("", include("sharing.bookings.urls_projects")),
    path("", include("portal.notifications.urls")),
    path("geo/", include("geo.urls")),
    path("tech/", include("sharing.techmarket.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # The same page with the CSP nonce on its inline script and style.
        SpectacularSwaggerView.as_view(
            url_name="api:schema", template_name="portal/swagger_ui.html"
        ),
        name="docs",
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include((api_patterns, "api"))),
    path("calendar/", include("sharing.bookings.urls_feeds")),
    path("", include("frontend.urls")),
    path("", include("frontend.urls_map")),
    path("", include("frontend.urls_dashboard")),
    path("", include("frontend.urls_kiosk")),
]

if settings.DEBUG:
    from django.urls import re_path

    from portal.uploads import serve_private_media

    # Uploaded files as downloads only (nosniff, attachment, a sandboxing CSP), and only to
    # administrators: anyone else reaches a file through the view that checks who may.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve_private_media, name="media"
        )
    ]
