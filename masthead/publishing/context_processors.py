"""Template context shared by every public page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .chrome import installed
from .models import Tag


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Sections for the navigation fallback: from the site's chrome, else queried only if
    a template uses them."""
    chrome = installed(request)
    if chrome is not None:
        return {"nav_sections": chrome.nav_sections}
    return {"nav_sections": SimpleLazyObject(lambda: list(Tag.objects.sections().public()))}
