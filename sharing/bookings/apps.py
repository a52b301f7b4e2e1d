from django.apps import AppConfig
from django.urls import reverse


class BookingsConfig(AppConfig):
    name = "sharing.bookings"
    label = "bookings"
    verbose_name = "仪器预约 Bookings"

    def ready(self):
        from portal.notifications import kinds, links
        from sharing.bookings.models import Notice, ProblemReport, Qualification, TrainingRequest
        from sharing.bookings.notifications import instrument_page_links, waitlist_links
        from sharing.bookings.orders.notices import OrderNotice
        from sharing.bookings.projects.notices import ChargeNotice

        kinds.register(Notice)
        kinds.register(OrderNotice)
        kinds.register(ChargeNotice)
        links.register("booking", links.each(lambda pk: reverse("frontend:booking", args=[pk])))
        links.register("waitlist", waitlist_links)
        for about_type, model in (
            ("problem", ProblemReport),
            ("training", TrainingRequest),
            ("qualification", Qualification),
        ):
            links.register(about_type, instrument_page_links(model))
        links.register("sample_order", links.each(lambda pk: reverse("frontend:order", args=[pk])))
        links.register(
            "charge_approval", links.each(lambda pk: reverse("frontend:project-approvals"))
        )
