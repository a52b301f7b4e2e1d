"""Projects (课题, 经费卡) that bookings and sample orders are charged to: who keeps them, the
organisation's approval threshold, the principal investigator's approval of a charge above it,
and the monthly statement per organisation and per project."""
