import os

from django.core.wsgi import get_wsgi_application

from portal.startup import guarded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = guarded(get_wsgi_application)

# Each web worker imports this module once: segment Chinese from the first request on.
from sharing.catalogue.text import warm_up  # noqa: E402

warm_up()
