from django.contrib.auth import views as auth_views
from django.urls import path

from frontend.views import bookings as views_bookings
from frontend.views import catalogue as views_catalogue
from frontend.views import home as views
from frontend.views import imports as views_imports
from frontend.views.tech import deals as views_tech_deals
from frontend.views.tech import listings as views_tech

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
    # Dual-use technology exchange (两用技术交易).
    path("tech/", views_tech.listing_list, name="tech"),
    path("tech/listings/new/", views_tech.listing_new, name="tech-listing-new"),
    path("tech/listings/<int:pk>/", views_tech.listing_detail, name="tech-listing"),
    path("tech/listings/<int:pk>/edit/", views_tech.listing_edit, name="tech-listing-edit"),
    path(
        "tech/listings/<int:pk>/interest/",
        views_tech.listing_interest,
        name="tech-listing-interest",
    ),
    path(
        "tech/listings/<int:pk>/<str:action>/",
        views_tech.listing_action,
        name="tech-listing-action",
    ),
    path("tech/review/", views_tech.review_queue, name="tech-review"),
    path("tech/review/<int:pk>/start/", views_tech.review_start, name="tech-review-start"),
    path("tech/review/<int:pk>/decide/", views_tech.review_decide, name="tech-review-decide"),
    path("tech/needs/", views_tech_deals.need_list, name="tech-needs"),
    path("tech/needs/new/", views_tech_deals.need_new, name="tech-need-new"),
    path("tech/needs/<int:pk>/", views_tech_deals.need_detail, name="tech-need"),
    path("tech/needs/<int:pk>/edit/", views_tech_deals.need_edit, name="tech-need-edit"),
    path(
        "tech/needs/<int:pk>/<str:action>/",
        views_tech_deals.need_action,
        name="tech-need-action",
    ),
    path("tech/pipeline/", views_tech_deals.pipeline, name="tech-pipeline"),
    path("tech/inquiries/<int:pk>/", views_tech_deals.inquiry_detail, name="tech-inquiry"),
    path(
        "tech/inquiries/<int:pk>/<str:action>/",
        views_tech_deals.inquiry_action,
        name="tech-inquiry-action",
    ),
    path("tech/contracts/", views_tech_deals.contracts, name="tech-contracts"),
    path("tech/contracts/export.csv", views_tech_deals.contracts_csv, name="tech-contracts-csv"),
    path("tech/services/", views_tech_deals.service_list, name="tech-services"),
    path(
        "tech/services/<int:pk>/advance/",
        views_tech_deals.service_advance,
        name="tech-service-advance",
    ),
]
