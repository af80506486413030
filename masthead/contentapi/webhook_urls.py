"""Admin API webhook endpoints under ``/ghost/api/admin/webhooks/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
