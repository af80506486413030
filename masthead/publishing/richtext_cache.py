"""Rich text whose links are expanded once per content change, not once per render.

Stored rich text names its internal links by id (``<a linktype="page" id="12">``); Wagtail
turns them into addresses with database queries on every render, the largest cost of an
uncached article page. ``CachedRichText`` keeps the expanded HTML in the shared cache
through ``pagecache.memoize``, keyed by a hash of the stored source and the active
language (links point at the page in the reader's locale). It depends on ``site``, which
a change of the sites (hostnames, root pages), a move of any page or a change of a
document bumps, and on ``published:<id>`` of each page it links to (named by
``wagtail_hooks.PageLinkHandler``), which that page's publish, unpublish, rename or
deletion bumps: so a link never shows a stale address, and a publish elsewhere leaves
the text alone.

Text without any link or embed is expanded without the cache: that costs no query, and a
cache round trip would cost more than it saves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from wagtail import blocks
from wagtail.rich_text import RichText, expand_db_html

# The cache keeps the expansion while these are unchanged (see pagecache's tags), and
# while the pages it links to are (``page_link_tags``).
TAGS = ("site",)
# How stored rich text marks what must be looked up: links to pages and documents, embeds.
_LOOKUP_MARKERS = ("linktype=", "embedtype=")


def expand(source: str) -> str:
    """The front-end HTML of stored rich text ``source``, cached when it needs lookups."""
    if not any(marker in source for marker in _LOOKUP_MARKERS):
        return str(expand_db_html(source))
    from . import pagecache

    digest = hashlib.sha256(source.encode()).hexdigest()
    key = f"richtext:{get_language() or ''}:{digest}"
    return pagecache.memoize(key, TAGS, lambda: str(expand_db_html(source)))


def page_link_tags(page_ids: Iterable[Any]) -> list[str]:
    """What a link to each of ``page_ids`` shows: that page's address and headline, which
    its ``published:<id>`` covers (a move of any page bumps ``site``).

    With translations, a link shows the page in the reader's language, which the
    translation's own publish changes: then any publish counts (``listing``).
    """
    tags = [f"published:{page_id}" for page_id in page_ids if page_id not in (None, "")]
    if getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        tags.append("listing")
    return tags


class CachedRichText(RichText):
    """A ``RichText`` whose rendering goes through ``expand``."""

    def __html__(self) -> SafeString:
        # The wrapper template stays Wagtail's, so a theme that overrides it still can.
        return mark_safe(  # noqa: S308  # expanded from editor-approved, sanitised rich text
            render_to_string("wagtailcore/shared/richtext.html", {"html": expand(self.source)})
        )


class CachedRichTextBlock(blocks.RichTextBlock):
    """``RichTextBlock`` whose values render through the cache.

    Stored data and migrations are exactly ``RichTextBlock``'s: only rendering differs,
    so the block names Wagtail's class in migrations and can be swapped back freely.
    """

    @cached_property
    def canonical_module_path(self) -> str:
        return "wagtail.blocks.RichTextBlock"

    def to_python(self, value: Any) -> CachedRichText:
        return CachedRichText(value)

    def normalize(self, value: Any) -> CachedRichText:
        if isinstance(value, RichText):
            return CachedRichText(value.source)
        return CachedRichText(str(value) if value else "")

    def value_from_form(self, value: Any) -> CachedRichText:
        return CachedRichText(super().value_from_form(value).source)
