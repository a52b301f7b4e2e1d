"""Check-in at the instrument: its QR code, the printable sheet, and the kiosk page the code
opens on a phone.

The QR code and its sheet are for the instrument's managers and administrators
(rules.may_manage_instrument): the code is the key to the kiosk. The kiosk page is for anyone
signed in (the login page brings them back); it shows the person's own booking for now with
one-tap check-in or check-out, or, when the instrument is free and its policy allows, a use to
start now. Each press goes through the services, which ask the same rules the page used to
offer the button (sharing/bookings/kiosk.py), so a refusal comes back as the rule's message.
"""

import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import DomainError, NotFound
from sharing.bookings import kiosk, rules, services
from sharing.bookings.availability import TZ
from sharing.bookings.models import Booking
from sharing.catalogue.models import Instrument

# --- The QR code -----------------------------------------------------------------------------


def _managed_instrument(request, instrument_id: int) -> Instrument:
    instrument = get_object_or_404(
        Instrument.objects.select_related("organisation"), pk=instrument_id
    )
    if rules.may_manage_instrument(user=request.user, instrument=instrument) is not None:
        raise PermissionDenied
    return instrument


def kiosk_url(request, instrument: Instrument) -> str:
    """The absolute address the instrument's QR code encodes, with a fresh token."""
    token = kiosk.kiosk_token(instrument=instrument)
    return request.build_absolute_uri(reverse("kiosk:kiosk", args=[token]))


def _no_store(response: HttpResponse) -> HttpResponse:
    # The code opens the kiosk: no shared cache keeps it.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def instrument_qr(request, instrument_id: int):
    """The instrument's QR code as SVG."""
    instrument = _managed_instrument(request, instrument_id)
    code = segno.make(kiosk_url(request, instrument), error="m")
    svg = code.svg_inline(scale=8, border=4, omitsize=True, svgclass="qr", lineclass=None)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="instrument-{instrument.pk}-qr.svg"'
    return _no_store(response)


@login_required
def instrument_qr_print(request, instrument_id: int):
    """A sheet to print and stick on the instrument: its name, place and the code, big."""
    instrument = _managed_instrument(request, instrument_id)
    url = kiosk_url(request, instrument)
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=10, border=4, omitsize=True, svgclass="qr", lineclass=None)
    response = render(
        request,
        "frontend/instrument_qr_print.html",
        {"instrument": instrument, "qr_svg": svg, "kiosk_url": url},
    )
    return _no_store(response)


# --- The kiosk page ----------------------------------------------------------------------------


def _token_error(request, exc: DomainError):
    return render(
        request, "frontend/kiosk_error.html", {"message": exc.message}, status=exc.status_code
    )


def _minutes(booking: Booking) -> int:
    return round((booking.checked_out_at - booking.checked_in_at).total_seconds() / 60)


def _act(request, token: str, instrument: Instrument):
    user, action = request.user, request.POST.get("action", "")
    try:
        if action in ("check_in", "check_out"):
            booking = _booking_of(request, instrument)
            if action == "check_in":
                services.booking_check_in(booking=booking, by=user)
                messages.success(request, _("已上机签到，祝使用顺利。用完请回到此页下机签退。"))
            else:
                booking = services.booking_check_out(booking=booking, by=user)
                messages.success(
                    request,
                    _("已下机签退：使用 %(minutes)d 分钟，实际费用 %(charge)s 元。")
                    % {"minutes": _minutes(booking), "charge": booking.charge},
                )
        elif action == "walk_up":
            try:
                minutes = int(request.POST.get("minutes", ""))
            except ValueError:
                minutes = 0
            services.booking_walk_up(user=user, instrument=instrument, minutes=minutes)
            messages.success(request, _("已开始现场上机，用完请回到此页下机签退。"))
        else:
            messages.error(request, _("无效的操作，请刷新页面后重试。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("kiosk:kiosk", token=token)


def _booking_of(request, instrument: Instrument) -> Booking:
    """The booking the button names, if the person may see it and it is this instrument's."""
    try:
        pk = int(request.POST.get("booking", ""))
    except ValueError:
        pk = 0
    booking = Booking.objects.select_related("instrument", "requester").filter(pk=pk).first()
    if booking is None or rules.may_act_on(user=request.user, booking=booking) is not None:
        raise NotFound(_("没有找到这个预约，请刷新页面后重试。"))
    refusal = kiosk.on_this_instrument(booking=booking, instrument=instrument)
    if refusal is not None:
        raise refusal
    return booking


@login_required
def kiosk_page(request, token: str):
    try:
        instrument = kiosk.kiosk_instrument(token=token)
    except DomainError as exc:
        return _token_error(request, exc)
    if request.method == "POST":
        return _act(request, token, instrument)
    user, now = request.user, timezone.now()
    booking = kiosk.kiosk_booking(user=user, instrument=instrument, now=now)
    offer = (
        None if booking is not None else kiosk.walk_up(user=user, instrument=instrument, now=now)
    )
    choices = []
    if offer is not None and offer.possible:
        for minutes in offer.lengths:
            end = offer.start + datetime.timedelta(minutes=minutes)
            choices.append({"minutes": minutes, "end": end.astimezone(TZ)})
    return render(
        request,
        "frontend/kiosk.html",
        {
            "instrument": instrument,
            "now": now.astimezone(TZ),
            "booking": booking,
            "may_check_in": booking is not None
            and rules.may_check_in(user=user, booking=booking, now=now) is None,
            "may_check_out": booking is not None
            and rules.may_check_out(user=user, booking=booking) is None,
            "offer": offer,
            "choices": choices,
        },
    )
