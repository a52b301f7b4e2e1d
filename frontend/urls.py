from django.contrib.auth import views as auth_views
from django.urls import path

from frontend.views import booking_detail as views_booking_detail
from frontend.views import bookings as views_bookings
from frontend.views import catalogue as views_catalogue
from frontend.views import home as views
from frontend.views import imports as views_imports
from frontend.views import voucher_pages
from frontend.views.tech import centre as tech_centre
from frontend.views.tech import deals as tech_deals
from frontend.views.tech import listings as tech_listings
from frontend.views.tech import needs as tech_needs
from frontend.views.tech import review as tech_review

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
    path("bookings/<int:pk>/", views_booking_detail.booking_detail, name="booking"),
    path("vouchers/", views_bookings.vouchers, name="vouchers"),
    path("vouchers/applications/", voucher_pages.applications, name="voucher-applications"),
    path("vouchers/settlements/", voucher_pages.settlements, name="voucher-settlements"),
    path(
        "vouchers/settlements/<int:pk>/",
        voucher_pages.settlement_detail,
        name="voucher-settlement",
    ),
    path(
        "vouchers/settlements/<int:pk>/form/",
        voucher_pages.settlement_form,
        name="voucher-settlement-form",
    ),
    path(
        "vouchers/settlements/<int:pk>/commitment/",
        voucher_pages.settlement_commitment,
        name="voucher-settlement-commitment",
    ),
    # Dual-use technology exchange (两用技术交易).
    path("tech/", tech_listings.listing_list, name="tech"),
    path("tech/listings/new/", tech_listings.listing_new, name="tech-listing-new"),
    path("tech/listings/<int:pk>/", tech_listings.listing_detail, name="tech-listing"),
    path("tech/listings/<int:pk>/edit/", tech_listings.listing_edit, name="tech-listing-edit"),
    path(
        "tech/listings/<int:pk>/interest/",
        tech_listings.listing_interest,
        name="tech-listing-interest",
    ),
    path(
        "tech/listings/<int:pk>/<str:action>/",
        tech_listings.listing_action,
        name="tech-listing-action",
    ),
    path("tech/review/", tech_review.review_queue, name="tech-review"),
    path("tech/review/<int:pk>/start/", tech_review.review_start, name="tech-review-start"),
    path("tech/review/<int:pk>/decide/", tech_review.review_decide, name="tech-review-decide"),
    path("tech/needs/", tech_needs.need_list, name="tech-needs"),
    path("tech/needs/new/", tech_needs.need_new, name="tech-need-new"),
    path("tech/needs/<int:pk>/", tech_needs.need_detail, name="tech-need"),
    path("tech/needs/<int:pk>/edit/", tech_needs.need_edit, name="tech-need-edit"),
    path(
        "tech/needs/<int:pk>/<str:action>/",
        tech_needs.need_action,
        name="tech-need-action",
    ),
    path("tech/pipeline/", tech_deals.pipeline, name="tech-pipeline"),
    path("tech/inquiries/<int:pk>/", tech_deals.inquiry_detail, name="tech-inquiry"),
    path(
        "tech/inquiries/<int:pk>/<str:action>/",
        tech_deals.inquiry_action,
        name="tech-inquiry-action",
    ),
    path("tech/contracts/", tech_centre.contracts, name="tech-contracts"),
    path("tech/contracts/export.csv", tech_centre.contracts_csv, name="tech-contracts-csv"),
    path("tech/services/", tech_centre.service_list, name="tech-services"),
    path(
        "tech/services/<int:pk>/advance/",
        tech_centre.service_advance,
        name="tech-service-advance",
    ),
]
