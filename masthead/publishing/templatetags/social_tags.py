"""The one template tag behind every page's title, description, canonical URL and cards."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from masthead.publishing import pagecache
from masthead.publishing.chrome import host_and_port
from masthead.publishing.models import ArticlePage
from masthead.publishing.social import SocialMeta, page_meta
from masthead.publishing.templatetags.card_tags import locale_key

register = template.Library()

TEMPLATE = "components/social_meta.html"


@register.simple_tag(takes_context=True)
def social_meta(context: Any) -> SocialMeta:
    """``{% social_meta as meta %}``: what the page tells search engines and social
    networks, with ``meta.html``, its tags ready to print.

    A story's is the same for every reader on one side of its paywall (its structured
    data names its corrections only to readers who may read it), so it is kept per
    story, side, address and language until the story or anything it shows changes.
    Live coverage's structured data moves with the clock; it and every other page are
    worked out each time.
    """

    def build() -> SocialMeta:
        meta = page_meta(context)
        # The template escapes everything it prints.
        meta.html = mark_safe(render_to_string(TEMPLATE, {"meta": meta}))  # noqa: S308
        return meta

    page, access, request = context.get("page"), context.get("access"), context.get("request")
    if (
        type(page) is not ArticlePage
        or access is None
        or request is None
        or getattr(request, "is_preview", False)
    ):
        return build()
    hostname, port = host_and_port(request)
    side = "read" if access.can_read else "preview"
    key = f"meta:{page.pk}:{side}:{hostname}:{port}:{request.path}:{locale_key()}"
    # Nothing changes a kept SocialMeta: the page only prints it.
    # What it shows besides the story is the site's (publisher, policy pages, authors,
    # sections, photos): a publish elsewhere leaves it alone.
    return pagecache.memoize(key, ["site", f"page:{page.pk}"], build, immutable=True)
