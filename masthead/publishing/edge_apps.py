"""Wagtail's front-end cache app, installed without its page signal handlers.

Wagtail's app purges a page's own URL whenever it is published or unpublished, at once and
nothing else. masthead's page cache bumps every page that shows the change after the
commit and hands the whole set to ``edge.purge_later``, so Wagtail's handlers would only
purge the same URL a second time, before the commit. The app stays installed for what
else it does: redirects created or changed in the admin are purged through it.
"""

from __future__ import annotations

from wagtail.contrib.frontend_cache.apps import WagtailFrontendCacheAppConfig


class FrontendCacheConfig(WagtailFrontendCacheAppConfig):
    """``wagtail.contrib.frontend_cache`` whose backends are checked at start-up."""

    def ready(self) -> None:
        from wagtail.contrib.frontend_cache.utils import get_backends

        # Building the backends now makes a configuration they refuse (a missing library,
        # a missing key) stop the server at start rather than fail the first purge.
        get_backends()
