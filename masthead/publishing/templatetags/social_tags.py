"""The one template tag behind every page's title, description, canonical URL and cards."""

from __future__ import annotations

from typing import Any

from django import template

from masthead.publishing.social import SocialMeta, page_meta

register = template.Library()


@register.simple_tag(takes_context=True)
def social_meta(context: Any) -> SocialMeta:
    """``{% social_meta as meta %}``: what the page tells search engines and social networks."""
    return page_meta(context)
