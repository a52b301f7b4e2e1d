"""The page of one booking: everything about it, and check-in, check-out and cancel as buttons.

Who sees the page is the API's answer (booking_get: the requester, the instrument's managers,
administrators; anyone else 404). Each button is shown only when the rule the service itself
requires allows it, and each press goes through that service, so the page cannot offer what the
service would refuse, nor do what it would not; a refusal (the time has moved on, say) comes
back as the rule's own message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import DomainError, NotFound
from sharing.bookings import rules, services
from sharing.bookings.models import Booking, VoucherEntry
from sharing.bookings.selectors import booking_get

REASON_MAX = 300


def _reason(request) -> str:
    # The history keeps one line of at most 300 characters.
    return " ".join(request.POST.get("reason", "").split())[:REASON_MAX]


def _act(request, booking: Booking):
    user, action = request.user, request.POST.get("action", "")
    try:
        if action == "check_in":
            services.booking_check_in(booking=booking, by=user)
            messages.success(request, _("已上机签到。"))
        elif action == "check_out":
            booking = services.booking_check_out(booking=booking, by=user)
            messages.success(
                request, _("已下机签退，实际费用 %(charge)s 元。") % {"charge": booking.charge}
            )
        elif action == "cancel":
            reason = _reason(request)
            if not reason:
                messages.error(request, _("请填写取消理由。"))
            else:
                services.booking_cancel(booking=booking, by=user, reason=reason)
                messages.success(request, _("预约已取消。"))
        else:
            messages.error(request, _("无效的操作，请刷新页面后重试。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:booking", pk=booking.pk)


@login_required
def booking_detail(request, pk: int):
    try:
        booking = booking_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        return _act(request, booking)
    user, now = request.user, timezone.now()
    transitions = list(booking.transitions.select_related("by").order_by("at", "pk"))
    for transition in transitions:
        transition.to_label = _label(transition.to_status)
        transition.from_label = _label(transition.from_status)
    entries = list(
        VoucherEntry.objects.filter(booking=booking)
        .select_related("voucher")
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "frontend/booking_detail.html",
        {
            "booking": booking,
            "instrument": booking.instrument,
            "transitions": transitions,
            "voucher_entries": entries,
            "may_check_in": rules.may_check_in(user=user, booking=booking, now=now) is None,
            "may_check_out": rules.may_check_out(user=user, booking=booking) is None,
            "may_cancel": rules.may_cancel(user=user, booking=booking, now=now) is None,
            "is_requester": booking.requester_id == user.pk,
        },
    )


def _label(status: str) -> str:
    try:
        return str(Booking.Status(status).label)
    except ValueError:
        return ""
