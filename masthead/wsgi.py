"""WSGI entry point for ``masthead serve`` and any other WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings.production")

application = get_wsgi_application()
