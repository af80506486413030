"""Story cards, rendered once per content change and shared by every page that lists them.

A listing page shows dozens of cards (the home page about thirty), and rendering one
through Django's templates costs about as much as a database query: on a page-cache miss
the cards were most of a listing's time. A card shows only its story and the site (the
include is ``only``: nothing of the reader, the request or the page around it), so its
HTML is the same wherever it appears and is memoized under ``listing`` and ``site``,
which every publish, edit, unpublish or move of a story and every change of an author,
a tag or a photo bump (``publishing.invalidation``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from masthead.publishing import pagecache

register = template.Library()

TEMPLATE = "components/article_card.html"
TAGS = ("listing", "site")


@register.simple_tag
def article_card(article: Any, variant: str = "standard", heading_level: int = 3) -> SafeString:
    """``{% include "components/article_card.html" with … only %}``, memoized.

    The key holds what the card reads besides the story's stored fields: the live badge's
    status (annotated by some listings, the page's own field on others), the language of
    its labels and the timezone of its dates.
    """
    live_status = getattr(article, "live_status", None) or getattr(article, "coverage_status", "")
    key = (
        f"card:{article.pk}:{variant}:{heading_level}:{live_status}:"
        f"{get_language() or ''}:{timezone.get_current_timezone_name()}"
    )

    def build() -> str:
        context = {"article": article, "variant": variant, "heading_level": heading_level}
        return render_to_string(TEMPLATE, context)

    # The card's own template escapes everything it prints.
    return mark_safe(pagecache.memoize(key, TAGS, build))  # noqa: S308
