"""Rebuild the layout map when platforms or zones change (debounced, after commit)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from geo.models import Zone
from sharing.catalogue.models import Platform


def _changed(sender, **kwargs) -> None:
    from geo.map.tasks import request_map_build

    transaction.on_commit(request_map_build)


for _model in (Platform, Zone):
    receiver(post_save, sender=_model, dispatch_uid=f"geo-map-save-{_model.__name__}")(_changed)
    receiver(post_delete, sender=_model, dispatch_uid=f"geo-map-delete-{_model.__name__}")(_changed)
