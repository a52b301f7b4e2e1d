from django.apps import AppConfig


class TechmarketConfig(AppConfig):
    name = "sharing.techmarket"
    label = "techmarket"
    verbose_name = "两用技术交易 Tech market"

    def ready(self):
        from portal.notifications import kinds
        from sharing.techmarket.notices import TechNotice

        kinds.register(TechNotice)
