import os

from django.core.wsgi import get_wsgi_application

from portal.startup import guarded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = guarded(get_wsgi_application)
