from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo loader: the one app allowed to import every layer (load_demo)."""

    name = "demo"
    verbose_name = "演示数据"
