"""Bookings and their rules (bookings.py), vouchers and notices with them; problems reported and
training asked for (facility.py)."""

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
from sharing.bookings.models.vouchers import SettlementLine, SettlementRequest, VoucherApplication

__all__ = [
    "Blackout",
    "Booking",
    "BookingPolicy",
    "BookingSeries",
    "BookingTransition",
    "CalendarOverride",
    "CalendarToken",
    "Notice",
    "OpeningHours",
    "ProblemReport",
    "Qualification",
    "SettlementLine",
    "SettlementRequest",
    "TrainingRequest",
    "Voucher",
    "VoucherApplication",
    "VoucherEntry",
    "WaitlistEntry",
]
