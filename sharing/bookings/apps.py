from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "sharing.bookings"
    label = "bookings"
    verbose_name = "仪器预约 Bookings"
