from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "sharing.catalogue"
    label = "catalogue"
    verbose_name = "平台与仪器 Catalogue"
