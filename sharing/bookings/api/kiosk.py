"""The kiosk in the API: what the instrument's QR code offers a signed-in person now, and
walk-up use. Check-in and check-out are the booking actions (/api/bookings/{id}/check-in/ …).

The token is the instrument's signed kiosk token (sharing/bookings/kiosk.py): 404 when it is
not one, 410 when it has expired.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing.bookings import kiosk, rules, services
from sharing.bookings.api.booking_serializers import BookingDetailSerializer, BookingSerializer
from sharing.bookings.models import Booking

TOKEN_ERRORS = {
    404: OpenApiResponse(description="Not a kiosk token (altered, made up, or no instrument)."),
    410: OpenApiResponse(description="The token has expired: the manager prints a new code."),
}


class _KioskInstrument(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name")


class _Refusal(serializers.Serializer):
    code = serializers.CharField()
    rule = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class _WalkUp(serializers.Serializer):
    possible = serializers.BooleanField()
    start = serializers.DateTimeField(help_text=_("现场上机的开始时间（现在，精确到分钟）。"))
    until = serializers.DateTimeField(allow_null=True, help_text=_("仪器空闲至。"))
    lengths = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("可选的使用时长（分钟）。")
    )
    refusal = _Refusal(allow_null=True, help_text=_("不能现场上机的原因。"))


class KioskSerializer(serializers.Serializer):
    instrument = _KioskInstrument()
    now = serializers.DateTimeField()
    booking = BookingSerializer(
        allow_null=True, help_text=_("我此刻可签到或签退的预约；没有则为 null。")
    )
    may_check_in = serializers.BooleanField()
    may_check_out = serializers.BooleanField()
    walk_up = _WalkUp(allow_null=True, help_text=_("没有当前预约时：能否现场上机。"))


class WalkUpSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=24 * 60, help_text=_("使用时长（分钟），取 walk_up.lengths 之一。")
    )


def _refusal(refusal) -> dict | None:
    if refusal is None:
        return None
    return {"code": refusal.code, "rule": refusal.rule, "message": refusal.message}


class KioskApi(APIView):
    """Signed in: the instrument the token names, my booking to check in or out of now, and,
    when I have none, whether I may start a walk-up use now and for how long."""

    @extend_schema(
        summary="The instrument's kiosk: my booking now, or walk-up use",
        operation_id="kiosk_retrieve",
        responses={200: KioskSerializer, **TOKEN_ERRORS},
    )
    def get(self, request, token: str):
        instrument = kiosk.kiosk_instrument(token=token)
        user, now = request.user, timezone.now()
        booking = kiosk.kiosk_booking(user=user, instrument=instrument, now=now)
        offer = None
        if booking is None:
            offer = kiosk.walk_up(user=user, instrument=instrument, now=now)
        return Response(
            {
                "instrument": _KioskInstrument(instrument).data,
                "now": serializers.DateTimeField().to_representation(now),
                "booking": BookingSerializer(booking).data if booking else None,
                "may_check_in": booking is not None
                and rules.may_check_in(user=user, booking=booking, now=now) is None,
                "may_check_out": booking is not None
                and rules.may_check_out(user=user, booking=booking) is None,
                "walk_up": None
                if offer is None
                else {
                    "possible": offer.possible,
                    "start": serializers.DateTimeField().to_representation(offer.start),
                    "until": serializers.DateTimeField().to_representation(offer.until)
                    if offer.until
                    else None,
                    "lengths": list(offer.lengths),
                    "refusal": _refusal(offer.refusal),
                },
            }
        )


class KioskWalkUpApi(APIView):
    """Signed in: start a use of the instrument now, for ``minutes``, checked in at once (a
    booking with walk_up = true, 自主上机). Refused when the policy does not allow walk-up,
    the person may not use the instrument, it is not free now, or any rule of a booking but
    the notice is broken (400, error.rule names it); 409 slot_taken when someone else was
    faster."""

    @extend_schema(
        summary="Start a walk-up use now",
        operation_id="kiosk_walk_up",
        request=WalkUpSerializer,
        responses={
            201: BookingDetailSerializer,
            400: OpenApiResponse(description="A rule is broken; error.rule names it."),
            409: OpenApiResponse(description="Not free now (not_free, slot_taken)."),
            **TOKEN_ERRORS,
        },
    )
    def post(self, request, token: str):
        instrument = kiosk.kiosk_instrument(token=token)
        payload = WalkUpSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = services.booking_walk_up(
            user=request.user, instrument=instrument, minutes=payload.validated_data["minutes"]
        )
        booking = (
            Booking.objects.prefetch_related("transitions__by")
            .select_related("instrument__region", "requester__organisation")
            .get(pk=booking.pk)
        )
        return Response(BookingDetailSerializer(booking).data, status=status.HTTP_201_CREATED)
