"""An article as an email: one HTML document and one plain-text part per variant.

A send renders its article twice, the whole article and the free preview, never once per
recipient. What differs between recipients (their name, their unsubscribe link) is left in
the output as placeholders, which ``personalise`` fills in with plain string replacement.

An email is read far from the site, in clients that run no scripts and load no
stylesheets: every link and image is absolute, the CSS is inlined into ``style``
attributes (a ``<style>`` block keeps only the media queries, for the clients that read
it), and blocks that only work on the web (the paywall marker, membership drives, embedded
players) become plain links or nothing.

The free preview is ``ArticlePage.free_preview``, the same cut the article page makes, and
templates never see the page itself: they get only the prepared blocks of their variant,
so gated text cannot reach the preview email through a template.
"""

from __future__ import annotations

import html
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

import css_inline
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from inscriptis import get_text  # type: ignore[import-untyped]
from inscriptis.model.config import ParserConfig  # type: ignore[import-untyped]
from inscriptis.model.tag import CustomHtmlTagHandlerMapping  # type: ignore[import-untyped]
from wagtail.models import Site

from masthead.membership.access import Visibility
from masthead.membership.models import MembershipSettings
from masthead.publishing.models import ArticlePage, Photo, SiteSettings, colour_validator
from masthead.publishing.portable import (
    absolute_url,
    absolutise_html,
    figure,
    page_url,
    portable_blocks,
    rich_html,
)

from .models import Delivery, Newsletter

# Replaced per recipient by ``personalise``. Made of characters that neither HTML escaping
# nor URL handling changes, so they come out of templates and the inliner as they went in.
NAME = "%%masthead:name%%"
UNSUBSCRIBE_URL = "%%masthead:unsubscribe_url%%"
MANAGE_URL = "%%masthead:manage_url%%"
_PLACEHOLDER_PREFIX = "%%masthead:"

# The email is 600px wide with 24px of padding each side. Images are fetched at twice
# that width so they stay sharp on high-density screens.
COLUMN_WIDTH = 552
RENDITION_FILTER = "width-1200"

DEFAULT_ACCENT = "#1a1a1a"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str  # complete HTML document, CSS inlined, placeholders still in it
    text: str  # plain-text part, placeholders still in it


def render_article_email(
    *,
    page: ArticlePage,
    newsletter: Newsletter,
    variant: str,
    subject: str,
    view_in_browser_url: str,
) -> RenderedEmail:
    """The email of ``page`` for ``newsletter``, in one variant.

    ``variant`` is ``Delivery.Variant.FULL`` (the whole article) or
    ``Delivery.Variant.PREVIEW`` (the free preview, then a call to action when the
    article is gated; a public article's preview is the whole article).
    """
    if variant not in {Delivery.Variant.FULL, Delivery.Variant.PREVIEW}:
        # Never fall back to the full article: an unknown variant must not leak gated text.
        raise ValueError(f"Unknown email variant: {variant!r}")
    preview = variant == Delivery.Variant.PREVIEW
    site = page.get_site() or Site.objects.get(is_default_site=True)
    site_settings = SiteSettings.for_site(site)
    browser_url = absolute_url(view_in_browser_url)
    # An email-only article answers "not found" at its own address; its readers open it
    # through the email's "view in browser" page, which applies the same paywall.
    article_url = (
        browser_url if getattr(page, "email_only", False) else page_url(page) or browser_url
    )
    blocks = page.free_preview if preview else list(page.body)

    context = {
        "language": settings.LANGUAGE_CODE,
        "subject": subject,
        # The excerpt is the standfirst or the opening of the free preview, never gated text.
        "preheader": page.excerpt,
        "publication": site_settings.publication_name or settings.WAGTAIL_SITE_NAME,
        "site_url": settings.MASTHEAD_SITE_URL + "/",
        "accent": readable_accent(site_settings.accent_colour),
        "newsletter_name": newsletter.name,
        "newsletter_footer": newsletter.footer,
        "header_image": _figure(newsletter.header_image, alt=newsletter.name, base=article_url),
        "view_in_browser_url": browser_url,
        "article": _article(page, newsletter=newsletter, article_url=article_url),
        "blocks": email_blocks(blocks, base=article_url),
        # Corrections quote the story they correct, so they are gated with it.
        "notes": [] if preview and page.is_gated else _notes(page, base=article_url),
        "call_to_action": (
            _call_to_action(page, site=site, article_url=article_url)
            if preview and page.is_gated
            else None
        ),
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "manage_url": MANAGE_URL,
    }
    tz = _site_timezone(site_settings)
    with translation.override(settings.LANGUAGE_CODE), timezone.override(tz):
        context["direction"] = "rtl" if translation.get_language_bidi() else "ltr"
        document = render_to_string("newsletters/email/article.html", context)
        text = render_to_string("newsletters/email/article.txt", context)
    return RenderedEmail(
        subject=subject,
        html=inline_css(
            absolutise_html(document, base=article_url, keep_prefix=_PLACEHOLDER_PREFIX)
        ),
        text=tidy_text(text),
    )


def personalise(
    rendered: RenderedEmail, *, name: str, unsubscribe_url: str, manage_url: str
) -> tuple[str, str]:
    """``(html, text)`` for one recipient: the placeholders replaced, escaped in the HTML.

    Called once per recipient, so it only replaces strings. The name goes in last: a
    name that happens to contain a placeholder stays as the recipient typed it.
    """
    escape = html.escape
    html_part = (
        rendered.html.replace(UNSUBSCRIBE_URL, escape(unsubscribe_url))
        .replace(MANAGE_URL, escape(manage_url))
        .replace(NAME, escape(name))
    )
    text_part = (
        rendered.text.replace(UNSUBSCRIBE_URL, unsubscribe_url)
        .replace(MANAGE_URL, manage_url)
        .replace(NAME, name)
    )
    return html_part, text_part


# --- CSS and text ------------------------------------------------------------------------------


def inline_css(document: str) -> str:
    """Move the document's CSS into ``style`` attributes; keep the media queries in <style>."""
    inliner = css_inline.CSSInliner(
        keep_at_rules=True,
        keep_link_tags=False,
        # Everything the email needs is in the document: never fetch while sending.
        load_remote_stylesheets=False,
    )
    return inliner.inline(document)


def _link_start(state: Any, attrs: dict[str, str]) -> None:
    state.link_target = (attrs.get("href") or "").strip()


def _link_end(state: Any) -> None:
    target = state.link_target.removeprefix("mailto:")
    if target:
        state.tags[-1].write(f" ({target})")
    state.link_target = ""


_TEXT_CONFIG = ParserConfig(
    custom_html_tag_handler_mapping=CustomHtmlTagHandlerMapping(
        start_tag_mapping={"a": _link_start}, end_tag_mapping={"a": _link_end}
    )
)


# A link whose text is its own address ("write to news@example.org") needs no repeat.
_SELF_LINK = re.compile(r"""<a\b[^>]*?\shref=["'](?:mailto:)?([^"']+)["'][^>]*>\s*\1\s*</a>""")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment, each link followed by its address in brackets."""
    if not markup.strip():
        return ""
    return str(get_text(_SELF_LINK.sub(r"\1", markup), _TEXT_CONFIG)).strip()


_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_text(text: str) -> str:
    """A text template's output without trailing spaces or runs of blank lines."""
    text = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", text))
    return text.strip() + "\n"


# --- What the templates show -------------------------------------------------------------------


def _relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_accent(colour: str) -> str:
    """The site's accent colour if white text on it (and it on white) is readable, else ink.

    WCAG AA asks for a contrast of 4.5:1 for body-size text; links and the button use
    the accent, so a pale brand colour falls back to near-black.
    """
    try:
        colour_validator(colour)
    except ValidationError:
        return DEFAULT_ACCENT
    contrast = 1.05 / (_relative_luminance(colour) + 0.05)
    return colour.lower() if contrast >= 4.5 else DEFAULT_ACCENT


def _site_timezone(site_settings: SiteSettings) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(site_settings.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _figure(
    image: Photo | None, *, alt: str, base: str, caption: str = "", credit: str = "", link: str = ""
) -> dict[str, Any] | None:
    """An image for the email: one rendition, absolute, at most the column's width."""
    return figure(
        image,
        alt=alt,
        base=base,
        caption=caption,
        credit=credit,
        link=link,
        rendition_filter=RENDITION_FILTER,
        max_width=COLUMN_WIDTH,
    )


def _rich_text(source: str, *, base: str) -> tuple[SafeString, str]:
    """Rich text from the database as absolute email HTML, and as plain text."""
    markup = rich_html(source, base=base)
    return markup, html_to_text(markup)


def _article(page: ArticlePage, *, newsletter: Newsletter, article_url: str) -> dict[str, Any]:
    """The parts of the article above its body, all of which any reader may see."""
    lead = None
    if newsletter.show_feature_image and page.lead_image is not None:
        lead = _figure(
            page.lead_image,
            alt=page.lead_alt,
            base=article_url,
            caption=page.lead_caption,
            credit=page.lead_credit,
            link=absolute_url(page.lead_video_url) if page.lead_video else article_url,
        )
    names = [author.name for author in page.ordered_authors]
    return {
        "title": page.title,
        "url": article_url,
        "section": page.section.name if page.section else "",
        "dek": page.dek if newsletter.show_excerpt else "",
        "byline": get_text_list(names, _("and")) if names else "",
        "published_at": page.first_published_at,
        "lead": lead,
    }


def email_blocks(blocks: list[Any], *, base: str) -> list[dict[str, Any]]:
    """Body blocks prepared for the email templates, web-only blocks left out.

    Each item has ``kind``, ``template`` (``newsletters/email/blocks/<kind>.html``)
    and the fields its template and the text template show.
    """
    prepared = portable_blocks(
        blocks, base=base, rendition_filter=RENDITION_FILTER, max_width=COLUMN_WIDTH
    )
    for item in prepared:
        item["template"] = f"newsletters/email/blocks/{item['kind']}.html"
        if "html" in item:
            item["text"] = html_to_text(item["html"])
    return prepared


def _notes(page: ArticlePage, *, base: str) -> list[dict[str, Any]]:
    notes = []
    for note in page.published_notes:
        markup, text = _rich_text(note.text, base=base)
        notes.append(
            {
                "label": note.get_kind_display(),
                "noted_at": note.noted_at,
                "html": markup,
                "text": text,
            }
        )
    return notes


def _call_to_action(page: ArticlePage, *, site: Site, article_url: str) -> dict[str, Any]:
    """The invitation under a gated article's free preview, worded as on the paywall.

    The button opens the article, whose paywall offers the tiers that unlock it.
    """
    config = MembershipSettings.for_site(site)
    markup, text = _rich_text(config.paywall_text, base=article_url)
    if page.visibility == Visibility.MEMBERS:
        button = _("Become a member to keep reading")
    else:
        button = _("Upgrade to keep reading")
    return {
        "heading": config.paywall_heading or _("This story is for members"),
        "html": markup,
        "text": text,
        "button": button,
        "url": article_url,
    }
