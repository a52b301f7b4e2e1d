"""Feed import: a national-record feed (CSV or XLSX) read (read), its rows checked (rules),
stored in batches (store), run as jobs (jobs) by Celery (tasks), fetched for a source (fetch),
and offered at /api/imports/ (api, urls)."""
