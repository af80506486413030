"""The site's header, footer and feed links, rendered once per change and shared by every page.

They are the same on every page of a site but for the reader's access (the "Account",
"Sign in" and "Support us" links) and the navigation link of the page being shown, and
rendering them through Django's templates was a quarter of a page-cache miss. Their
HTML is memoized under ``site`` and ``listing`` (settings, sections and menu pages), per
site, language and reader access; the current link is marked per request afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from masthead.membership.templatetags.membership_tags import membership_drive_banner
from masthead.publishing.chrome import host_and_port
from masthead.publishing.templatetags.card_tags import kept_html, locale_key, memoized_html

register = template.Library()

# What site_header.html puts on each navigation link; unescaped quotes never appear in
# the text around it, so the mark cannot be mistaken for content.
CURRENT_MARK = ' data-current=""'


def _shared(
    context: template.Context,
    name: str,
    key: str,
    extra: dict[str, Any],
    until: datetime | None = None,
) -> str:
    request = context.get("request")
    values = {"site_settings": context.get("site_settings"), "request": request, **extra}
    if request is None:
        return render_to_string(f"components/{name}.html", values)
    hostname, port = host_and_port(request)
    key = f"{name}:{hostname}:{port}:{key}:{get_language() or ''}"
    return memoized_html(f"components/{name}.html", key, values, until)


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString:
    """``components/site_header.html``, with ``aria-current`` on the link to this page."""
    request = context.get("request")
    reader = getattr(request, "reader", None)
    access = {
        "is_member": bool(getattr(reader, "is_member", False)),
        "is_anonymous": bool(getattr(reader, "is_anonymous", False)),
        "has_paid_access": bool(getattr(reader, "has_paid_access", False)),
    }
    html = _shared(
        context,
        "site_header",
        "".join("1" if value else "0" for value in access.values()),
        {"nav_sections": context.get("nav_sections"), **access},
    )
    if request is not None:
        here = f'href="{escape(request.path)}"'
        html = html.replace(here + CURRENT_MARK, here + ' aria-current="page"')
    # The template escapes everything it prints.
    return mark_safe(html.replace(CURRENT_MARK, ""))  # noqa: S308


@register.simple_tag(takes_context=True)
def site_footer(context: template.Context) -> SafeString:
    """``components/site_footer.html``: its copyright line names the year, so pages that
    show it are kept until the new year at most."""
    now = timezone.localtime()
    new_year = now.replace(
        year=now.year + 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    footer = _shared(context, "site_footer", str(now.year), {}, until=new_year)
    # The template escapes everything it prints.
    return mark_safe(footer)  # noqa: S308


@register.simple_tag(takes_context=True)
def feed_links(context: template.Context) -> SafeString:
    """``components/feed_links.html``: the ``<link>`` to each of the site's feeds."""
    # The template escapes everything it prints.
    return mark_safe(_shared(context, "feed_links", "", {}))  # noqa: S308


@register.simple_tag
def drive_banner() -> SafeString:
    """The membership drive's banner (``membership_tags.membership_drive_banner``), kept
    per language until a drive changes (``site``), starts or ends, or its count is due
    to be counted again."""
    return kept_html(f"drive-html:{locale_key()}", ["site"], membership_drive_banner)
