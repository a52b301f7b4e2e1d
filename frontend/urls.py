from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import views, views_bookings, views_catalogue, views_imports

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("platforms/", views.platform_list, name="platforms"),
    path("platforms/<int:platform_id>/", views_catalogue.platform_detail, name="platform"),
    path("instruments/", views_catalogue.instrument_list, name="instruments"),
    path("instruments/import/", views_imports.instrument_import, name="instrument-import"),
    path("instruments/<int:instrument_id>/", views_catalogue.instrument_detail, name="instrument"),
    path(
        "organisations/<int:organisation_id>/",
        views_catalogue.organisation_detail,
        name="organisation",
    ),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("instruments/<int:instrument_id>/book/", views_bookings.booking_week, name="booking-week"),
    path(
        "instruments/<int:instrument_id>/book/quote/",
        views_bookings.booking_quote,
        name="booking-quote",
    ),
    path("bookings/", views_bookings.my_bookings, name="bookings"),
    path("bookings/queue/", views_bookings.booking_queue, name="booking-queue"),
    path("vouchers/", views_bookings.vouchers, name="vouchers"),
]
