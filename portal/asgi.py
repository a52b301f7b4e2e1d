import os

from django.core.asgi import get_asgi_application

from portal.startup import guarded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = guarded(get_asgi_application)
