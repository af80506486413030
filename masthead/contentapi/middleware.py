"""Old Ghost clients call versioned API roots; they reach the same endpoints here."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

LEGACY_ROOT = re.compile(r"^/ghost/api/(?:v[2-5](?:\.\d+)?|canary)/(content|admin)/")


class LegacyApiPathMiddleware:
    """Serve ``/ghost/api/v4/content/…`` (and v2, v3, v5, canary) as ``/ghost/api/content/…``.

    Ghost 5+ does the same, and marks the answer deprecated with a ``Deprecation`` header
    and a ``Link`` to the current root, so clients keep working while their owners upgrade.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = LEGACY_ROOT.match(request.path_info)
        if match is None:
            return self.get_response(request)
        current = f"/ghost/api/{match.group(1)}/"
        request.path_info = current + request.path_info[match.end() :]
        response = self.get_response(request)
        response["Deprecation"] = "true"
        response["Link"] = (
            f'<{request.build_absolute_uri(request.path_info)}>; rel="latest-version"'
        )
        return response
