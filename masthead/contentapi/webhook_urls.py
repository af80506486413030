"""Admin API webhook endpoints under ``/ghost/api/admin/webhooks/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from .webhook_views import add_webhook, webhook_detail

urlpatterns: list[URLPattern | URLResolver] = [
    path("", add_webhook, name="ghost-admin-webhooks"),
    path("<str:webhook_id>/", webhook_detail, name="ghost-admin-webhook"),
]
