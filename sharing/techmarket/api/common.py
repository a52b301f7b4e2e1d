"""What the exchange's API modules share: the list query, the objects a reader may see (404
otherwise, as if absent), and the match shape both sides answer with."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import permissions, serializers

from portal.api.query import query_params
from portal.errors import Forbidden, NotFound
from sharing.techmarket import selectors
from sharing.techmarket.models import Match, TechListing, TechNeed


class ReadOpenly:
    """GET for anyone (what they see is the selectors' business); writes for the signed-in."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]


def list_query(serializer_class, request) -> dict:
    """A list's filters, without the page number (the paginator reads it); "mine" asks who is
    asking, so it needs someone signed in."""
    query = query_params(serializer_class, request)
    query.pop("page", None)
    if query.get("mine") and not request.user.is_authenticated:
        raise Forbidden(_("请先登录。"))
    return query


def listing_or_404(request, pk: int) -> TechListing:
    try:
        return selectors.listing_get(user=request.user, pk=pk)
    except TechListing.DoesNotExist:
        raise NotFound(_("成果不存在。")) from None


def need_or_404(request, pk: int) -> TechNeed:
    try:
        return selectors.need_get(user=request.user, pk=pk)
    except TechNeed.DoesNotExist:
        raise NotFound(_("需求不存在。")) from None


class MatchSerializer(serializers.ModelSerializer):
    listing = inline_serializer(
        "MatchedListing", {"id": serializers.IntegerField(), "title": serializers.CharField()}
    )
    need = inline_serializer(
        "MatchedNeed", {"id": serializers.IntegerField(), "title": serializers.CharField()}
    )
    reasons = serializers.DictField()

    class Meta:
        model = Match
        fields = ["listing", "need", "score", "reasons", "computed_at"]

    def to_representation(self, match):
        return {
            "listing": {"id": match.listing_id, "title": match.listing.title},
            "need": {"id": match.need_id, "title": match.need.title},
            "score": round(match.score, 4),
            "reasons": match.reasons,
            "computed_at": match.computed_at.isoformat(),
        }
