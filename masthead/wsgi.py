"""WSGI entry point for ``masthead serve`` and any other WSGI server.

Cached pages are answered by the page cache's wrapper before Django builds a request.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings.production")

django_application = get_wsgi_application()

from masthead.publishing.pagecache import CachedApplication  # noqa: E402 - needs Django set up

application = CachedApplication(django_application)
