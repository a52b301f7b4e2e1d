"""The booking API: availability, bookings and their actions, series, waitlist.

Thin views: a serializer checks the shape of the input, a service or selector does the work,
portal.errors turns domain errors and constraint violations into the one error shape. Times
come in as ISO 8601 (without an offset they are read as Asia/Shanghai) and go out with +08:00.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import keyset
from portal.api.lean import Lean
from portal.api.pages import keyset_answer
from portal.api.query import query_params
from portal.api.views import ActionApi
from sharing.bookings import services
from sharing.bookings.api.booking_serializers import (
    AvailabilityQuerySerializer,
    BookingCreateSerializer,
    BookingDetailSerializer,
    BookingListQuerySerializer,
    BookingPageSerializer,
    BookingSerializer,
    BookingSeriesCreateSerializer,
    IntervalSerializer,
    ReasonSerializer,
    SeriesResultSerializer,
    WaitlistCreateSerializer,
    WaitlistEntrySerializer,
)
from sharing.bookings.availability import availability
from sharing.bookings.models import Booking
from sharing.bookings.selectors import bookable_instrument_get, booking_get, booking_list

# Newest first by id (ids grow with creation); the cursor carries the last id shown.
ORDER = (keyset.by_id(descending=True),)
CURSOR_SCOPE = "bookings"
# The list's rows as dicts (portal.api.lean): BookingSerializer's answer without the booking,
# instrument, region, person and organisation instances of each row.
_WHEN = BookingSerializer._declared_fields["start"]


def _bound(name: str):
    """start and end are the period's bounds (Booking.start, Booking.end), formatted by the
    serializer's own DateTimeField."""

    def read(row: dict, context: dict):
        value = getattr(row["period"], name)
        return None if value is None else _WHEN.to_representation(value)

    return (("period",), read)


BOOKING_LEAN = Lean(
    BookingSerializer, model=Booking, methods={"start": _bound("lower"), "end": _bound("upper")}
)


def _detail(booking: Booking) -> dict:
    booking = (
        Booking.objects.prefetch_related("transitions__by")
        .select_related("instrument__region", "requester__organisation")
        .get(pk=booking.pk)
    )
    return BookingDetailSerializer(booking).data


# --- Views --------------------------------------------------------------------------------


class InstrumentAvailabilityApi(APIView):
    """Public (AllowAny): an instrument's free time in [start, end), at most 62 days, after
    opening hours, holidays and 调休, blackouts, bookings with their buffer, minimum notice and
    how far ahead. Per-person rules (qualification, quota) are checked when booking."""

    replica_ok = True  # a read that may lag (portal/replicas.py)

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Free time of an instrument",
        operation_id="instruments_availability",
        parameters=[AvailabilityQuerySerializer],
        responses=IntervalSerializer(many=True),
    )
    def get(self, request, pk: int):
        data = query_params(AvailabilityQuerySerializer, request)
        instrument = bookable_instrument_get(pk=pk)
        free = availability(
            instrument=instrument,
            start=data["start"],
            end=data["end"],
        )
        return Response([{"start": a.isoformat(), "end": b.isoformat()} for a, b in free])


class BookingListCreateApi(APIView):
    """Signed in. GET: my bookings, or with role=manager those on the instruments I manage;
    newest first, keyset pages (follow ``next``), no count. POST: book."""

    @extend_schema(
        summary="My bookings, or those on instruments I manage",
        operation_id="bookings_list",
        parameters=[BookingListQuerySerializer],
        responses=BookingPageSerializer,
    )
    def get(self, request):
        data = query_params(BookingListQuerySerializer, request)
        qs = booking_list(user=request.user, role=data["role"], status=data.get("status"))
        qs = BOOKING_LEAN.queryset(qs)
        answer = keyset_answer(
            request,
            qs,
            keys=ORDER,
            scope=CURSOR_SCOPE,
            cursor=data.get("cursor"),
            size=data["page_size"],
            serialize=lambda rows: BOOKING_LEAN.represent(rows, context={}),
        )
        return Response(answer)

    @extend_schema(
        summary="Book an instrument",
        operation_id="bookings_create",
        request=BookingCreateSerializer,
        responses={
            201: BookingDetailSerializer,
            400: OpenApiResponse(description="A rule is broken; error.rule names it."),
            409: OpenApiResponse(description="The time is taken (error.rule = slot_taken)."),
        },
    )
    def post(self, request):
        payload = BookingCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        booking = services.booking_create(requester=request.user, **payload.validated_data)
        return Response(_detail(booking), status=status.HTTP_201_CREATED)


class BookingSeriesApi(APIView):
    """Signed in: the same time every week for ``weeks`` weeks; each occurrence is booked or
    refused on its own and the answer has a result per occurrence (201 even if some failed)."""

    @extend_schema(
        summary="Book a weekly series",
        operation_id="bookings_series_create",
        request=BookingSeriesCreateSerializer,
        responses={201: SeriesResultSerializer},
    )
    def post(self, request):
        payload = BookingSeriesCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        series, results = services.booking_series_create(
            requester=request.user,
            instrument=data["instrument"],
            first_start=data["start"],
            first_end=data["end"],
            weeks=data["weeks"],
            purpose=data["purpose"],
            sample_notes=data["sample_notes"],
            voucher=data.get("voucher"),
            service_mode=data["service_mode"],
            project_name=data["project_name"],
            project=data.get("project"),
        )
        occurrences = []
        for day, outcome in results:
            ok = isinstance(outcome, Booking)
            occurrences.append(
                {
                    "date": day.isoformat(),
                    "ok": ok,
                    "booking": BookingSerializer(outcome).data if ok else None,
                    "error": None if ok else outcome,
                }
            )
        return Response(
            {"series": series.pk, "occurrences": occurrences}, status=status.HTTP_201_CREATED
        )


class BookingDetailApi(APIView):
    """Signed in: one booking, to its requester, the instrument's managers and administrators;
    to anyone else it does not exist (404)."""

    @extend_schema(
        summary="One booking with its history",
        operation_id="bookings_retrieve",
        responses=BookingDetailSerializer,
    )
    def get(self, request, pk: int):
        return Response(_detail(booking_get(pk=pk, user=request.user)))


class _BookingActionApi(ActionApi):
    """A status change on a booking the caller can see (others 404); the service decides
    whether the caller may do it (403) and whether the status allows it (409)."""

    def get_object(self, request, pk: int) -> Booking:
        return booking_get(pk=pk, user=request.user)

    def respond(self, request, obj: Booking) -> Response:
        return Response(_detail(obj))


class _BookingReasonedActionApi(_BookingActionApi):
    """An action that may say why (approve, reject, cancel)."""

    input_serializer = ReasonSerializer


def _action_schema(summary: str, operation_id: str, takes_reason: bool = True):
    return extend_schema(
        summary=summary,
        operation_id=operation_id,
        request=ReasonSerializer if takes_reason else None,
        responses={
            200: BookingDetailSerializer,
            400: OpenApiResponse(description="A rule is broken (error.rule), e.g. too_early."),
            403: OpenApiResponse(description="Not allowed for this person."),
            404: OpenApiResponse(description="No such booking visible to this person."),
            409: OpenApiResponse(description="The booking's status does not allow it."),
        },
    )


class BookingApproveApi(_BookingReasonedActionApi):
    """The instrument's managers and administrators approve a request."""

    @_action_schema("Approve a request", "bookings_approve")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, booking, data):
        return services.booking_approve(booking=booking, by=request.user, reason=data["reason"])


class BookingRejectApi(_BookingReasonedActionApi):
    """The instrument's managers and administrators reject a request, with a reason."""

    @_action_schema("Reject a request", "bookings_reject")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, booking, data):
        return services.booking_reject(booking=booking, by=request.user, reason=data["reason"])


class BookingCancelApi(_BookingReasonedActionApi):
    """The requester or a manager cancels a requested or approved booking; any voucher amount
    goes back and people waiting for that time are told. Once an approved booking has started
    its requester may no longer cancel it (409, error.rule = already_started): it becomes a
    no-show, which keeps the voucher redemption."""

    @_action_schema("Cancel a booking", "bookings_cancel")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, booking, data):
        return services.booking_cancel(booking=booking, by=request.user, reason=data["reason"])


class BookingCheckInApi(_BookingActionApi):
    """The requester or a manager checks in, from 15 minutes before the start."""

    @_action_schema("Check in", "bookings_check_in", takes_reason=False)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, booking, data):
        return services.booking_check_in(booking=booking, by=request.user)


class BookingCheckOutApi(_BookingActionApi):
    """The requester or a manager checks out; the charge is fixed from the time used."""

    @_action_schema("Check out", "bookings_check_out", takes_reason=False)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, booking, data):
        return services.booking_check_out(booking=booking, by=request.user)


class WaitlistApi(APIView):
    """Signed in: wait for a taken time; told once when a booking overlapping it is cancelled,
    rejected, expires or is released as a no-show."""

    @extend_schema(
        summary="Join the waitlist for a taken time",
        operation_id="waitlist_create",
        request=WaitlistCreateSerializer,
        responses={201: WaitlistEntrySerializer},
    )
    def post(self, request):
        payload = WaitlistCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.waitlist_join(user=request.user, **payload.validated_data)
        return Response(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
