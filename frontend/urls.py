from django.contrib.auth import views as auth_views
from django.urls import path

from frontend.urls_facility import urlpatterns as facility_urlpatterns
from frontend.views import booking_detail as views_booking_detail
from frontend.views import bookings as views_bookings
from frontend.views import catalogue as views_catalogue
from frontend.views import home as views
from frontend.views import imports as views_imports
from frontend.views import manage as views_manage
from frontend.views import notifications as views_notifications
from frontend.views import onboarding as views_onboarding
from frontend.views import orders as views_orders
from frontend.views import password as views_password
from frontend.views import projects as views_projects
from frontend.views import training as views_training
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
    # Password reset (forgotten) and change, with Django's views.
    path("password/reset/", views_password.password_reset, name="password-reset"),
    path("password/reset/sent/", views_password.password_reset_done, name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views_password.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path(
        "password/reset/complete/",
        views_password.password_reset_complete,
        name="password-reset-complete",
    ),
    path("password/change/", views_password.password_change, name="password-change"),
    path(
        "password/change/done/",
        views_password.password_change_done,
        name="password-change-done",
    ),
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
    # Training and qualifications (上机培训与资格).
    path(
        "instruments/<int:instrument_id>/training/",
        views_training.training_ask,
        name="training-ask",
    ),
    path("training/<int:pk>/cancel/", views_training.training_cancel, name="training-cancel"),
    path("manage/training/", views_training.manage_training, name="manage-training"),
    path(
        "manage/instruments/<int:instrument_id>/qualifications/",
        views_training.manage_qualifications,
        name="manage-qualifications",
    ),
    # My notifications.
    path("notifications/", views_notifications.notification_page, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        views_notifications.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/read-all/",
        views_notifications.notification_read_all,
        name="notifications-read-all",
    ),
    path(
        "notifications/preferences/",
        views_notifications.notification_preferences,
        name="notification-preferences",
    ),
    # The manager's console.
    path("manage/", views_manage.console, name="manage"),
    path(
        "manage/instruments/<int:instrument_id>/",
        views_manage.instrument_console,
        name="manage-instrument",
    ),
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
    # Onboarding: sign-up, my account, verifications, members, recognition agreements.
    path("register/", views_onboarding.register, name="register"),
    path(
        "register/confirm/<str:token>/",
        views_onboarding.register_confirm,
        name="register-confirm",
    ),
    path("me/", views_onboarding.me, name="me"),
    path("verifications/", views_onboarding.verification_queue, name="verifications"),
    path(
        "verifications/<int:pk>/proof/",
        views_onboarding.verification_proof,
        name="verification-proof",
    ),
    path(
        "verifications/<int:pk>/<str:action>/",
        views_onboarding.verification_decide,
        name="verification-decide",
    ),
    path("members/<int:pk>/<str:action>/", views_onboarding.member_action, name="member-action"),
    path("recognition/", views_onboarding.recognition, name="recognition"),
    path("recognition/<int:pk>/", views_onboarding.recognition, name="recognition-edit"),
]

# Closures and problem reports (frontend/urls_facility.py).
urlpatterns += facility_urlpatterns
# Sample-testing orders (委托测试).
urlpatterns += [
    path("instruments/<int:instrument_id>/order/", views_orders.order_new, name="order-new"),
    path("orders/", views_orders.my_orders, name="orders"),
    # Projects (课题经费), charges waiting for a principal investigator, monthly statements.
    path("projects/", views_projects.projects_page, name="projects"),
    path("projects/approvals/", views_projects.approvals_page, name="project-approvals"),
    path("statements/", views_projects.statement_page, name="statement"),
    path("orders/<int:pk>/", views_orders.order_detail, name="order"),
    path("manage/orders/", views_orders.manage_orders, name="manage-orders"),
    path(
        "manage/instruments/<int:instrument_id>/tests/",
        views_orders.manage_test_items,
        name="manage-test-items",
    ),
]
