"""What every app's API shares: the one keyset cursor and its pages, the no-COUNT page
paginator, the action-view base, common serializers and content negotiation."""
