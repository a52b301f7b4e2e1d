"""Building the layout map in Celery, and asking for a build.

Changes to platforms and zones ask for a build through ``request_map_build``; a cache key
("map:rebuild-pending", set with add()) lets the first change of a burst enqueue one build
``MAP_REBUILD_DELAY`` seconds later and the rest of the burst ride along with it.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from geo.map.build import build_layout_map

logger = logging.getLogger(__name__)

PENDING_KEY = "map:rebuild-pending"
MAP_REBUILD_DELAY = 30  # seconds a burst of changes has to finish before the build
# The key outlives the delay by a margin, and expires on its own if a build is ever lost.
PENDING_TIMEOUT = MAP_REBUILD_DELAY + 600


# Named as when it lived in geo/tasks.py: the nightly beat entry (settings.CELERY_BEAT_SCHEDULE,
# synced into django_celery_beat's table) and queued messages name it so.
@shared_task(name="geo.tasks.build_map", acks_late=True, reject_on_worker_lost=True)
def build_map() -> dict:
    """Build the layout map and replace the last good one; on failure the old files stay."""
    # Cleared before reading the data: a change made during this build asks for another one.
    cache.delete(PENDING_KEY)
    return build_layout_map()["counts"]


def request_map_build(countdown: int = MAP_REBUILD_DELAY) -> bool:
    """Enqueue one build unless one is already pending. Returns whether this call enqueued."""
    try:
        if not cache.add(PENDING_KEY, 1, timeout=PENDING_TIMEOUT):
            return False
        build_map.apply_async(countdown=countdown, retry=False)
    except Exception:
        # Redis away: the nightly build (or the next change) catches up; never fail a save.
        logger.warning("could not enqueue the layout map build", exc_info=True)
        return False
    return True
