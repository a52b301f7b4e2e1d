from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "sharing.bookings"
    label = "bookings"
    verbose_name = "仪器预约 Bookings"

    def ready(self):
        from portal.notifications import kinds
        from sharing.bookings.models import Notice
        from sharing.bookings.orders.notices import OrderNotice

        kinds.register(Notice)
        kinds.register(OrderNotice)
