"""Celery's autodiscovery imports ``<app>.tasks``: the geo app's tasks live with what they run
(the layout map's in geo.map.tasks) and are registered by importing them here."""

from geo.map.tasks import build_map

__all__ = ["build_map"]
