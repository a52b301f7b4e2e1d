from django.apps import AppConfig
from django.urls import reverse


class BookingsConfig(AppConfig):
    name = "sharing.bookings"
    label = "bookings"
    verbose_name = "仪器预约 Bookings"

    def ready(self):
        from portal.notifications import kinds, links
        from sharing.bookings.models import Notice
        from sharing.bookings.notifications import waitlist_links

        kinds.register(Notice)
        links.register("booking", links.each(lambda pk: reverse("frontend:booking", args=[pk])))
        links.register("waitlist", waitlist_links)
