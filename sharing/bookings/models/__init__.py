"""Bookings and their rules (bookings.py), vouchers and notices with them; problems reported and
training asked for (facility.py); sample-testing orders (orders.py);
projects they are charged to and their investigators' approvals (projects.py)."""

from sharing.bookings.models.bookings import (
    Blackout,
    Booking,
    BookingPolicy,
    BookingSeries,
    BookingTransition,
    CalendarOverride,
    CalendarToken,
    Notice,
    OpeningHours,
    Qualification,
    Voucher,
    VoucherEntry,
    WaitlistEntry,
)
from sharing.bookings.models.facility import ProblemReport, TrainingRequest
from sharing.bookings.models.orders import (
    OrderItem,
    OrderReport,
    SampleLine,
    SampleOrder,
    SampleOrderTransition,
    TestItem,
)
from sharing.bookings.models.projects import ChargeApproval, ChargeThreshold, Project
from sharing.bookings.models.vouchers import SettlementLine, SettlementRequest, VoucherApplication

__all__ = [
    "Blackout",
    "Booking",
    "BookingPolicy",
    "BookingSeries",
    "BookingTransition",
    "CalendarOverride",
    "CalendarToken",
    "ChargeApproval",
    "ChargeThreshold",
    "Notice",
    "OpeningHours",
    "OrderItem",
    "OrderReport",
    "ProblemReport",
    "Project",
    "Qualification",
    "SampleLine",
    "SampleOrder",
    "SampleOrderTransition",
    "SettlementLine",
    "SettlementRequest",
    "TestItem",
    "TrainingRequest",
    "Voucher",
    "VoucherApplication",
    "VoucherEntry",
    "WaitlistEntry",
]
