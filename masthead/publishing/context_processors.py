"""Template context shared by every public page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import Tag


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Sections for the navigation fallback; queried only if a template uses them."""
    return {"nav_sections": SimpleLazyObject(lambda: list(Tag.objects.sections().public()))}
