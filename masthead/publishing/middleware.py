"""Show times in the publication's own timezone."""

from __future__ import annotations

import contextlib
import threading
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from wagtail.models import Site

from .models import SiteSettings


class SiteTimezoneMiddleware:
    """Activate the timezone chosen in Site settings for every public request.

    Stored times stay UTC; only rendering changes, so a newsroom in Kyiv shows
    "14:05" to readers while the database and APIs keep UTC. The settings come with the
    site's chrome (``chrome.install``), which also spares Wagtail's site and settings
    lookups for the rest of the request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(("/admin/", "/static/", "/media/")):
            return self.get_response(request)
        if request.path.endswith("/updates.json"):
            # A live page's poll mostly answers "nothing new" (304) without rendering any
            # time; it activates the timezone itself when it does render (live.py), so
            # the poll costs no site lookups.
            return self.get_response(request)
        timezone.activate(timezone_for_request(request))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def timezone_for_request(request: HttpRequest) -> zoneinfo.ZoneInfo:
    """The timezone chosen in the Site settings of the request's site (UTC if none)."""
    from .chrome import install

    tz = zoneinfo.ZoneInfo("UTC")
    if install(request) is not None:
        # A timezone removed from the system's database falls back to UTC.
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo(SiteSettings.for_request(request).timezone)
    return tz


def site_timezone(site: Site | None = None) -> zoneinfo.ZoneInfo:
    """The default site's timezone from Site settings (UTC if unset or unknown)."""
    site = site or Site.objects.filter(is_default_site=True).first()
    if site is not None:
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(SiteSettings.for_site(site).timezone)
    return zoneinfo.ZoneInfo("UTC")


_task_state = threading.local()


def _stack() -> list[object]:
    if not hasattr(_task_state, "timezones"):
        _task_state.timezones = []
    return _task_state.timezones


def activate_site_timezone_for_task(**kwargs: object) -> None:
    """Tasks render emails outside any request: give them the publication's timezone too.

    Connected to django-tasks' ``task_started``; the timezone active before (a request's,
    when tasks run immediately) comes back at ``task_finished``.
    """
    current = timezone.get_current_timezone()
    _stack().append(current if current != timezone.get_default_timezone() else None)
    timezone.activate(site_timezone())


def restore_timezone_after_task(**kwargs: object) -> None:
    stack = _stack()
    previous = stack.pop() if stack else None
    if previous is None:
        timezone.deactivate()
    else:
        timezone.activate(previous)  # type: ignore[arg-type]
