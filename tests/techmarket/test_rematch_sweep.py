"""A publication whose matching task the broker never took is matched by the beat sweep."""

import pytest

from sharing.techmarket import services, tasks
from sharing.techmarket.models import Match, TechListing
from tests.techmarket.factories import TechListingFactory, TechNeedFactory

pytestmark = pytest.mark.django_db


def test_a_listing_published_with_the_broker_down_is_matched_by_the_sweep(
    owner, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    need = TechNeedFactory(title="碳纤维无人机机臂", keywords=["碳纤维", "无人机"])
    listing = TechListingFactory(
        created_by=owner,
        status="review",
        title="碳纤维复合材料无人机机身",
        keywords=["碳纤维", "无人机"],
    )

    def broker_down(*args, **kwargs):
        raise OSError("redis is down")

    monkeypatch.setattr(tasks.match_listing, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_decide(
            user=reviewer,
            listing=listing,
            decision="approve",
            reason="不涉密",
            secrecy_checked=True,
            export_control_checked=True,
        )
    listing.refresh_from_db()
    assert listing.status == "published" and listing.matched_at is None
    assert not Match.objects.exists()

    # Redis is back: the sweep hands every unmatched publication to the worker (here, inline).
    monkeypatch.setattr(tasks.match_listing, "delay", lambda pk: tasks.match_listing(pk))
    monkeypatch.setattr(tasks.match_need, "delay", lambda pk: tasks.match_need(pk))
    assert tasks.rematch_pending() >= 1
    assert Match.objects.filter(listing=listing, need=need).exists()
    assert TechListing.objects.get(pk=listing.pk).matched_at is not None
    assert tasks.rematch_pending() == 0  # nothing left to sweep
