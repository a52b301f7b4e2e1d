"""The private calendar address, and the two ICS feeds.

The feeds are plain Django views outside /api/: calendar clients fetch them without a session
or an API token (the private feed's token is its secret) and want text/calendar, not JSON.
"""

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import NotFound
from portal.page_throttles import page_throttle
from sharing.bookings import ics
from sharing.bookings.models import CalendarToken

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_CURSOR_SALT = "bookings.notifications.cursor"
# Feeds are cheap to build but polled by every subscribed client; a few minutes of caching in
# between is what calendar clients expect anyway.
FEED_MAX_AGE = 300


# --- Private calendar address ---------------------------------------------------------------


class CalendarTokenSerializer(serializers.Serializer):
    url = serializers.URLField(help_text=_("私人日历订阅地址（https），请勿与他人分享。"))
    webcal_url = serializers.CharField(help_text=_("同一地址的 webcal:// 形式，供日历应用订阅。"))
    created_at = serializers.DateTimeField()


def _token_data(request, token: CalendarToken) -> dict:
    url = request.build_absolute_uri(reverse("calendar:feed", args=[token.token]))
    return {
        "url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[1],
        "created_at": token.created_at,
    }


class CalendarTokenApi(APIView):
    """Signed in: my private ICS subscription address. POST makes a new one (the old address
    stops working), DELETE revokes it, GET shows the current one."""

    @extend_schema(
        summary="My calendar address",
        operation_id="calendar_token_retrieve",
        responses={200: CalendarTokenSerializer, 404: OpenApiResponse(description="None yet")},
    )
    def get(self, request):
        token = ics.calendar_token_live(user=request.user)
        if token is None:
            raise NotFound(_("尚未生成日历订阅地址。"))
        return Response(_token_data(request, token))

    @extend_schema(
        summary="Create or rotate my calendar address",
        operation_id="calendar_token_create",
        request=None,
        responses={201: CalendarTokenSerializer},
    )
    def post(self, request):
        token = ics.calendar_token_rotate(user=request.user)
        return Response(_token_data(request, token), status=201)

    @extend_schema(
        summary="Revoke my calendar address",
        operation_id="calendar_token_destroy",
        request=None,
        responses={204: None},
    )
    def delete(self, request):
        ics.calendar_token_revoke(user=request.user)
        return Response(status=204)


# --- Feeds (outside /api/) -----------------------------------------------------------------


def _ics_response(content: bytes, *, filename: str, private: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = f"{'private' if private else 'public'}, max-age={FEED_MAX_AGE}"
    if private:
        # The address is a secret: keep it out of search engines.
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@page_throttle()
@require_safe
def calendar_feed(request, token: str):
    """A person's bookings; no login, the token is the secret. Unknown or revoked → 404."""
    user = ics.calendar_token_user(token=token)
    if user is None:
        raise Http404
    return _ics_response(
        ics.bookings_calendar(user=user), filename="mianbei-bookings.ics", private=True
    )


@page_throttle()
@require_safe
def instrument_busy_feed(request, pk: int):
    """When an instrument is taken, for anyone: times only, no personal data."""
    instrument = ics.busy_instrument(pk=pk)
    if instrument is None:
        raise Http404
    return _ics_response(
        ics.busy_calendar(instrument=instrument),
        filename=f"instrument-{instrument.pk}-busy.ics",
        private=False,
    )
