"""WSGI entry point for ``masthead serve`` and any other WSGI server.

Cached pages are answered by the page cache's wrapper before Django builds a request.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings.production")

django_application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402 - needs Django set up

from masthead.publishing.pagecache import CachedApplication  # noqa: E402 - needs Django set up

application = CachedApplication(django_application)

# What Django, Wagtail and the URLs build at start-up lives as long as the worker: about
# a quarter of a million objects that every full garbage collection would walk again.
# Freezing them leaves the collector only what requests create; an uncached page costs
# about a tenth less (docs/operations/page-cache.md).
get_resolver().url_patterns  # noqa: B018 - imports every view module now, before the freeze
gc.collect()  # what start-up left as garbage goes first, not frozen for good
gc.freeze()
