from django.apps import AppConfig
from django.urls import reverse


class TechmarketConfig(AppConfig):
    name = "sharing.techmarket"
    label = "techmarket"
    verbose_name = "两用技术交易 Tech market"

    def ready(self):
        from portal.notifications import kinds, links
        from sharing.techmarket.notices import TechNotice

        kinds.register(TechNotice)
        # What the exchange's notices are about (see their notify() calls), as pages.
        for about_type, route in (
            ("tech_listing", "frontend:tech-listing"),
            ("tech_need", "frontend:tech-need"),
            ("tech_inquiry", "frontend:tech-inquiry"),
        ):
            links.register(about_type, links.each(lambda pk, r=route: reverse(r, args=[pk])))
