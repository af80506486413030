"""Show times in the publication's own timezone."""

from __future__ import annotations

import contextlib
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from wagtail.models import Site

from .models import SiteSettings


class SiteTimezoneMiddleware:
    """Activate the timezone chosen in Site settings for every public request.

    Stored times stay UTC; only rendering changes, so a newsroom in Kyiv shows
    "14:05" to readers while the database and APIs keep UTC.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(("/admin/", "/static/", "/media/")):
            return self.get_response(request)
        tz = zoneinfo.ZoneInfo("UTC")
        if Site.find_for_request(request) is not None:
            # A timezone removed from the system's database falls back to UTC.
            with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
                tz = zoneinfo.ZoneInfo(SiteSettings.for_request(request).timezone)
        timezone.activate(tz)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
