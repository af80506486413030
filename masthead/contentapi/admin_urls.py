"""Admin API endpoints under ``/ghost/api/admin/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/", include("masthead.contentapi.webhook_urls")),
]
