"""Feed import: a national-record feed (CSV or XLSX) is read (read), its rows checked (rules),
stored in batches (store, its SQL in upsert), run as jobs (jobs) by Celery (tasks), fetched
for a source (fetch), and offered at /api/imports/ (api, urls)."""
