from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogueConfig(AppConfig):
    name = "sharing.catalogue"
    label = "catalogue"
    verbose_name = "平台与仪器 Catalogue"

    def ready(self):
        from portal.startup import on_web_boot
        from sharing.catalogue.classes import ensure_instrument_classes

        # The tasks live in the feed_import package, where autodiscover_tasks does not look.
        from sharing.catalogue.feed_import import tasks  # noqa: F401
        from sharing.catalogue.text import warm_up

        post_migrate.connect(ensure_instrument_classes, sender=self)
        on_web_boot(warm_up)
