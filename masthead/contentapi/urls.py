"""The Ghost API roots: ``/ghost/api/content/`` and ``/ghost/api/admin/``.

Anything under a root that no endpoint answers gets Ghost's 404 envelope, not the site's
HTML "not found" page. Old clients' versioned roots (``/ghost/api/v3/content/``) are
rewritten by ``middleware.LegacyApiPathMiddleware`` before they get here.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from .http import not_found_view
from .members_context import session_token
from .openapi import openapi_view

urlpatterns: list[URLPattern | URLResolver] = [
    path("ghost/api/openapi.json", openapi_view, name="ghost-api-openapi"),
    path("ghost/api/content/", include("masthead.contentapi.content_urls")),
    path("members/api/session/", session_token, name="ghost_member_session"),
    path("ghost/api/admin/", include("masthead.contentapi.admin_urls")),
    re_path(r"^ghost/api/content/", not_found_view("content")),
    re_path(r"^ghost/api/admin/", not_found_view("admin")),
]
