import os

from django.core.wsgi import get_wsgi_application

from portal.startup import guarded, web_boot

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = guarded(get_wsgi_application)

# Each web worker imports this module once: what the apps registered (jieba's dictionary, so
# Chinese is segmented fast from the first request on) runs now.
web_boot()
