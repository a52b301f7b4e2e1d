"""The notification outbox: one row per message, created with the change it reports, e-mailed
by Celery after commit, read in the pages and the API. Each domain registers its own kinds and
writes its own texts; the outbox knows none of them."""
