"""Rows for the voucher lifecycle: applications, settlement requests and lines, the ledger, and
their pages.

In the world, researcher_beibei's organisation applied to Beibei and used voucher_beibei on two
completed bookings of instrument_b (org_lab, managed by manager_this); org_lab asked Beibei to
pay the first. The coordinator works in Beibei: Beibei's applications and settlement are theirs.
An application is seen by its organisation, the issuing region's coordinator and administrators;
a settlement request by the provider's managers, that coordinator and administrators; to anyone
else they do not exist (404).
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from portal.accounts.models import Region
from sharing.bookings.models import Booking, SettlementRequest, VoucherApplication
from tests.authz.matrix import LOGIN, ONLY, PAGE, SIGNED_IN, Row

DECIDERS = {"coordinator", "admin"}
APPLICANTS = {"researcher_beibei"}
PROVIDER = {"manager_this"}
SETTLEMENT_SEES = DECIDERS | PROVIDER
PURPOSE = "matrix-voucher-application"


def setup(w):
    from sharing.bookings.vouchers.ledger import voucher_redeem, voucher_reserve
    from sharing.bookings.vouchers.services import application_submit
    from sharing.bookings.vouchers.settlement import settlement_request_create

    rb = w.people["researcher_beibei"]
    bb = Region.objects.get(code="beibei")
    w.application = application_submit(
        applicant=rb, issuing_region=bb, purpose=PURPOSE, amount=Decimal("500.00")
    )
    day = timezone.localdate() - datetime.timedelta(days=3)
    redemptions = []
    for hour in (2, 3):
        start = datetime.datetime.combine(
            day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
        )
        booking = Booking.objects.create(
            instrument=w.instrument_b,
            requester=rb,
            period=(start, start + datetime.timedelta(hours=1)),
            blocked=(start, start + datetime.timedelta(hours=1)),
            status=Booking.Status.APPROVED,
            purpose="matrix-voucher-service",
            rate_category=Booking.RateCategory.SAME_REGION,
            hourly_rate=Decimal("100.00"),
            fee_estimate=Decimal("100.00"),
        )
        booking.refresh_from_db()
        voucher_reserve(voucher=w.voucher_beibei, booking=booking, by=rb)
        Booking.objects.filter(pk=booking.pk).update(
            status=Booking.Status.COMPLETED, charge=Decimal("100.00")
        )
        redemptions.append(voucher_redeem(booking=booking))
    w.voucher_day = day
    w.settlement = settlement_request_create(
        provider=w.org_lab,
        issuing_region=bb,
        period_from=day,
        period_until=day,
        by=w.people["manager_this"],
        redemptions=[redemptions[0].pk],
    )
    w.settlement_line = w.settlement.lines.get()


def _applications(w):
    return VoucherApplication.objects.count()


def _application_status(w):
    return VoucherApplication.objects.values_list("status", flat=True).get(pk=w.application.pk)


def _settlements(w):
    return SettlementRequest.objects.count()


def _line_status(w):
    return w.settlement.lines.values_list("status", flat=True).get(pk=w.settlement_line.pk)


def _s(w, tail=""):
    return f"/api/vouchers/settlements/{w.settlement.pk}/{tail}"


def _line(w, verb):
    return _s(w, f"lines/{w.settlement_line.pk}/{verb}/")


def _period(w):
    return {
        "issuing_region": "beibei",
        "period_from": str(w.voucher_day),
        "period_until": str(w.voucher_day),
    }


APPLY = {"researcher_mianyang", "researcher_beibei", "firm", "admin"}

ROWS = [
    Row(
        "api:voucher-application-list",
        "GET",
        lambda w: "/api/vouchers/applications/",
        SIGNED_IN(200),
        secret=lambda w: PURPOSE,
        seen_by=frozenset(DECIDERS | APPLICANTS),
    ),
    # Firm and researcher members apply for their organisation; other roles may not.
    Row(
        "api:voucher-application-list",
        "POST",
        lambda w: "/api/vouchers/applications/",
        ONLY(APPLY, 201, else_=403),
        body=lambda w: {"issuing_region": "beibei", "purpose": "检测", "amount": "100.00"},
        effect=_applications,
    ),
    Row(
        "api:voucher-application-approve",
        "POST",
        lambda w: f"/api/vouchers/applications/{w.application.pk}/approve/",
        ONLY(DECIDERS, 200, else_=404) | {"researcher_beibei": 403},
        body=lambda w: {
            "amount": "400.00",
            "valid_from": str(timezone.localdate()),
            "valid_until": str(timezone.localdate() + datetime.timedelta(days=90)),
            "accepted_in": ["beibei", "mianyang"],
        },
        effect=_application_status,
    ),
    Row(
        "api:voucher-application-reject",
        "POST",
        lambda w: f"/api/vouchers/applications/{w.application.pk}/reject/",
        ONLY(DECIDERS, 200, else_=404) | {"researcher_beibei": 403},
        body=lambda w: {"reason": "预算不足"},
        effect=_application_status,
    ),
    Row(
        "api:voucher-settlement-list",
        "GET",
        lambda w: "/api/vouchers/settlements/",
        SIGNED_IN(200),
        secret=lambda w: "仪器所属单位",
        seen_by=frozenset(SETTLEMENT_SEES),
    ),
    # The provider's manager asks for the redemption not yet asked for; an administrator and
    # another organisation's manager ask for their own, which provided nothing (400); the
    # rest may not ask (403).
    Row(
        "api:voucher-settlement-list",
        "POST",
        lambda w: "/api/vouchers/settlements/",
        ONLY(PROVIDER, 201, else_=403) | {"admin": 400, "manager_other": 400},
        body=_period,
        effect=_settlements,
    ),
    Row(
        "api:voucher-settlement-detail",
        "GET",
        lambda w: _s(w),
        ONLY(SETTLEMENT_SEES, 200, else_=404),
    ),
    Row(
        "api:voucher-settlement-line-approve",
        "POST",
        lambda w: _line(w, "approve"),
        ONLY(DECIDERS, 200, else_=404) | {"manager_this": 403},
        effect=_line_status,
    ),
    Row(
        "api:voucher-settlement-line-reject",
        "POST",
        lambda w: _line(w, "reject"),
        ONLY(DECIDERS, 200, else_=404) | {"manager_this": 403},
        body=lambda w: {"reason": "无服务记录"},
        effect=_line_status,
    ),
    # A line still waits: paying is refused (400) even to those who may pay.
    Row(
        "api:voucher-settlement-paid",
        "POST",
        lambda w: _s(w, "paid/"),
        ONLY(DECIDERS, 400, else_=404) | {"manager_this": 403},
    ),
    Row(
        "api:voucher-ledger",
        "GET",
        lambda w: "/api/vouchers/ledger/",
        ONLY(DECIDERS | PROVIDER | {"manager_other"}, 200, else_=403),
    ),
    # Pages.
    Row(
        "frontend:voucher-applications",
        "GET",
        lambda w: "/vouchers/applications/",
        ONLY(DECIDERS, 200, else_=403, anon=LOGIN),
    ),
    Row("frontend:voucher-settlements", "GET", lambda w: "/vouchers/settlements/", PAGE(200)),
    Row(
        "frontend:voucher-settlement",
        "GET",
        lambda w: f"/vouchers/settlements/{w.settlement.pk}/",
        ONLY(SETTLEMENT_SEES, 200, else_=404, anon=LOGIN),
    ),
    Row(
        "frontend:voucher-settlement-form",
        "GET",
        lambda w: f"/vouchers/settlements/{w.settlement.pk}/form/",
        ONLY(SETTLEMENT_SEES, 200, else_=404, anon=LOGIN),
    ),
    Row(
        "frontend:voucher-settlement-commitment",
        "GET",
        lambda w: f"/vouchers/settlements/{w.settlement.pk}/commitment/",
        ONLY(SETTLEMENT_SEES, 200, else_=404, anon=LOGIN),
    ),
]
