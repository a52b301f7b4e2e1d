"""Zone and region figures for the coordinators' dashboard, computed with GeoPandas.

Platforms, instruments and zones are read from PostGIS with ``geopandas.read_postgis`` through
an SQLAlchemy engine on psycopg 3 and joined spatially (``gpd.sjoin``, predicate ``within``);
bookings and voucher entries are read already grouped per instrument (and requester region) and
reach the zones through their instrument, so there is one spatial join per point layer.

The definitions are those of ``sharing.bookings.indicators`` (reference/instrument-fields.md):

- a booking counts when it is completed, in the Asia/Shanghai calendar year in which it starts;
- its hours are check-in to check-out when both were recorded, the booked time otherwise;
- it is cross-region when the requester's organisation lies in another region than the
  instrument (a requester without an organisation is not counted as cross-region);
- a region's share rate (共享率) is its external service hours (requester outside the owning
  organisation) over its hours, its utilisation (利用率) its hours over the yearly base
  (settings.INDICATOR_YEARLY_BASE_HOURS) times its instruments: the figures of
  ``indicators(level="region")``, computed here from the same expressions in the one booking
  read (that function's per-row instrument count is slow on thousands of bookings);
- voucher use is the redemptions minus the refunds (in 元) of the year's bookings, whatever
  their status (a cancelled booking's refund cancels its redemption);
- an instrument counts unless it was withdrawn before the year began; its place is its own
  location, or its platform's when it has none;
- a platform or instrument inside two zones counts in both; those inside none (or without a
  location) are in the row ``outside``;
- a region's platforms and instruments are those whose region it is; its bookings are those of
  its instruments (where the service was given); the flows go from the requester's region to the
  instrument's.

The package: frames.py reads the layers into (Geo)DataFrames and joins points to zones;
figures.py computes ``dashboard_figures(year)`` (plain dicts and lists, JSON-able, cached in
the Django cache for ten minutes per year; computed anyway when the cache cannot be reached);
tables.py turns them into pandas DataFrames with headers in the current language, for the
exports; charts.py draws them as PNG.
"""
