"""Writes of the booking engine, by what they change: bookings.py (create, approve, reject,
cancel, check in and out), series.py (weekly series), waitlist.py, sweeps.py (what beat runs),
walk_up.py (a use started at the instrument's kiosk).
The names callers use are here: ``from sharing.bookings import services``."""

from sharing.bookings.services.bookings import (
    booking_approve,
    booking_cancel,
    booking_check_in,
    booking_check_out,
    booking_create,
    booking_reject,
)
from sharing.bookings.services.series import booking_series_create
from sharing.bookings.services.sweeps import (
    sweep_expired_requests,
    sweep_forgotten_check_outs,
    sweep_no_shows,
)
from sharing.bookings.services.waitlist import waitlist_join
from sharing.bookings.services.walk_up import booking_walk_up

__all__ = [
    "booking_approve",
    "booking_cancel",
    "booking_check_in",
    "booking_check_out",
    "booking_create",
    "booking_reject",
    "booking_series_create",
    "booking_walk_up",
    "sweep_expired_requests",
    "sweep_forgotten_check_outs",
    "sweep_no_shows",
    "waitlist_join",
]
