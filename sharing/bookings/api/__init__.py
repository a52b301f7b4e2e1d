"""The bookings app's API, by feature: bookings.py (bookings, series, availability, waitlist),
vouchers.py, indicators.py, service_records.py. urls_bookings.py and urls_money.py route them."""
