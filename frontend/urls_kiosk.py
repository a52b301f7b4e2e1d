"""Check-in at the instrument: its QR code and printable sheet (for its managers), and the
kiosk page the code opens (kiosk:kiosk, kiosk:instrument-qr, kiosk:instrument-qr-print)."""

from django.urls import path

from frontend.views import kiosk as views

app_name = "kiosk"

urlpatterns = [
    path("instruments/<int:instrument_id>/qr/", views.instrument_qr, name="instrument-qr"),
    path(
        "instruments/<int:instrument_id>/qr/print/",
        views.instrument_qr_print,
        name="instrument-qr-print",
    ),
    path("kiosk/<str:token>/", views.kiosk_page, name="kiosk"),
]
