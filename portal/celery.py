"""The one Celery app; settings come from Django's CELERY_* names."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect(dispatch_uid="portal-warm-before-fork")
def _warm_before_fork(**kwargs) -> None:
    # The prefork pool's children inherit what the parent has loaded: jieba's dictionary is read
    # once here instead of in each child's first task that segments text (about 1 s: a restarted
    # worker's first match took 1.0 s, 0.15 s once warm; bench/RESULTS.md, issue 17).
    from portal.startup import web_boot

    web_boot(background=False)
