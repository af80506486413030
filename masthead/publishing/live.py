"""Live coverage for readers: the poll endpoint, the per-page feed and the page's context."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
