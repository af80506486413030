"""Filters for XML the site writes from templates (sitemaps)."""

from __future__ import annotations

from django import template

from masthead.publishing.plain_text import xml_safe as strip_non_xml

register = template.Library()


@register.filter
def xml_safe(value: object) -> str:
    """The text without characters XML may not contain, such as a pasted soft line break."""
    return strip_non_xml(str(value))
