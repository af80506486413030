"""Story cards, News Feed entries, avatars and live updates, rendered once per change.

A listing page shows dozens of cards (the home page about thirty), every page shows the
News Feed's entries, and rendering one through Django's templates costs about as much as
a database query: on a page-cache miss they were most of a page's time. Each shows only
its story or person and the site (the includes were ``only``: nothing of the reader, the
request or the page around it), so its HTML is the same wherever it appears.

A card is memoized under its story's ``published:<id>``, which every edit, publish,
unpublish or deletion of the story bumps (not a draft nor a live update), and ``site``,
which every move of a page and every change of an author, a tag or a photo bumps
(``publishing.invalidation``); the story itself under its ``page:<id>`` and ``site``.
The pages either links to add their own tags as it renders
(``richtext_cache.page_link_tags``), so a publish elsewhere leaves both alone. Lists
(related stories, the News Feed beside a story) are memoized under ``listing``, which
every publish bumps. What changes by the clock (a "Breaking" label, a date shown only
when it is not today) sets how long the HTML may be kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from masthead.publishing import pagecache
from masthead.publishing.chrome import host_and_port
from masthead.publishing.templatetags.news_feed_tags import next_local_midnight

register = template.Library()

TEMPLATE = "components/article_card.html"
# What a list shows: any publish may add to it or take from it.
TAGS = ("listing", "site")


def story_card_tags(page_id: int) -> tuple[str, ...]:
    """What a card or a brief of one story depends on: the story as published."""
    return ("site", f"published:{page_id}")


def locale_key() -> str:
    """What the rendered text depends on besides the content: language and timezone."""
    return f"{get_language() or ''}:{timezone.get_current_timezone_name()}"


def kept_html(key: str, tags: Iterable[str], build: Callable[[], str]) -> SafeString:
    """The HTML ``build`` returns, memoized under ``key`` and ``tags``; ``build`` renders
    templates, which escape everything they print."""
    return mark_safe(pagecache.memoize(key, tags, build))  # noqa: S308


def memoized_html(
    template: str,
    key: str,
    context: dict[str, Any] | Callable[[], dict[str, Any]],
    until: Any = None,
    tags: tuple[str, ...] = TAGS,
) -> SafeString:
    """``template`` rendered with ``context`` (or what the callable returns, asked only
    when the HTML is not kept), memoized under ``key`` and ``tags`` until ``until`` at
    most."""

    def build() -> str:
        pagecache.valid_until(until)
        return render_to_string(template, context() if callable(context) else context)

    return kept_html(key, tags, build)


@register.simple_tag
def article_card(article: Any, variant: str = "standard", heading_level: int = 3) -> SafeString:
    """``{% include "components/article_card.html" with … only %}``, memoized.

    The key holds what the card reads besides the story's stored fields: the live badge's
    status (annotated by some listings, the page's own field on others), the language of
    its labels and the timezone of its dates.
    """
    live_status = getattr(article, "live_status", None) or getattr(article, "coverage_status", "")
    return memoized_html(
        TEMPLATE,
        f"card:{article.pk}:{variant}:{heading_level}:{live_status}:{locale_key()}",
        {"article": article, "variant": variant, "heading_level": heading_level},
        tags=story_card_tags(article.pk),
    )


def breaking_label_changes_at(article: Any, now: datetime) -> datetime | None:
    """The next moment ``article.is_breaking_at`` may answer differently, if any."""
    window = article.breaking_window()
    upcoming = [moment for moment in window or () if moment > now]
    return min(upcoming) if upcoming else None


@register.simple_tag
def brief_item(article: Any) -> SafeString:
    """``{% include "components/brief_item.html" with article=… only %}``, memoized until
    its "Breaking" label would change."""
    return memoized_html(
        "components/brief_item.html",
        f"brief:{article.pk}:{locale_key()}",
        {"article": article},
        until=breaking_label_changes_at(article, timezone.now()),
        tags=story_card_tags(article.pk),
    )


@register.simple_tag
def avatar(author: Any, size: str = "medium") -> SafeString:
    """``{% include "components/avatar.html" with author=… size=… only %}``, memoized."""
    return memoized_html(
        "components/avatar.html",
        f"avatar:{author.pk}:{author.avatar_id}:{size}:{locale_key()}",
        {"author": author, "size": size},
        tags=("site",),
    )


@register.simple_tag
def live_update(update: Any, page_url: str, id_prefix: str = "") -> SafeString:
    """``{% include "components/live_update.html" with update=… page_url=… only %}``, memoized.

    A live page shows dozens of updates and gains one at a time: each update's HTML is
    kept under its own change number (every edit, pin or promotion numbers it anew), so a
    new update re-renders the page around one new item. Not under its page's tag, which
    every new update bumps: what else it shows is its author (``site``) and the pages its
    text links to, which name themselves. The update shows its date only when it is not
    today, so its HTML is kept until midnight at most.
    """
    changed_at = update.__dict__.get("changed_at")
    stamp = changed_at.timestamp() if changed_at is not None else ""
    return memoized_html(
        "components/live_update.html",
        f"live-update:{update.pk}:{update.sequence}:{stamp}:{page_url}:{id_prefix}:{locale_key()}",
        {"update": update, "page_url": page_url, "id_prefix": id_prefix},
        until=next_local_midnight(timezone.now()),
        tags=("site",),
    )


def _site_of(context: template.Context, article: Any) -> Any:
    from masthead.publishing.listings import site_for

    request = context.get("request")
    return site_for(request) if request is not None else article.get_site()


@register.simple_tag(takes_context=True)
def related_stories(context: template.Context, article: Any) -> SafeString:
    """The "Related" section under a story, memoized per story.

    Rendered from the section's newest stories (a list of model instances in the shared
    store) only when the section changed: a page-cache miss then reads one short text,
    not the list.
    """
    from masthead.publishing.listings import related_to

    site = _site_of(context, article)
    return memoized_html(
        "components/related_stories.html",
        f"related-html:{getattr(site, 'pk', '')}:{article.section_id}:{article.pk}:{locale_key()}",
        lambda: {"articles": related_to(site, article)},
    )


STORY_TEMPLATE = "components/article_story.html"
STORY_CONTEXT = ("page", "authors", "notes", "access", "body_blocks", "paywall", "request")


@register.simple_tag(takes_context=True)
def article_story(context: template.Context) -> SafeString:
    """The story itself, headline to author cards, as the reader may read it.

    Every reader who may read the whole story (or reads it through the meter, whose
    count the page's script fills in) gets the same HTML, kept per story, address and
    language until the story or anything it shows changes (its own tag, ``site``, the
    pages it links to, a drive's or a counter's time), not at every publish: a page-cache
    miss for one more access variant, a worker or a server that has not served the story
    yet, a page whose drive banner count just expired, or any story after another was
    published renders the rest of the page around it.
    Previews (unsaved content) and the free preview with its paywall, which says who
    the reader is, are rendered each time.
    """
    story: dict[str, Any] = {name: context.get(name) for name in STORY_CONTEXT}
    page, access, request = context["page"], story["access"], story["request"]
    if (
        request is None
        or getattr(request, "is_preview", False)
        or access is None
        or not access.can_read
        or story["paywall"]
    ):
        return mark_safe(render_to_string(STORY_TEMPLATE, story))  # noqa: S308  # escaped
    hostname, port = host_and_port(request)  # links to other sites' pages are absolute
    state = "meter" if access.via_meter else "whole"
    return memoized_html(
        STORY_TEMPLATE,
        f"story:{page.pk}:{state}:{hostname}:{port}:{locale_key()}",
        story,
        tags=("site", f"page:{page.pk}"),
    )


@register.simple_tag(takes_context=True)
def news_feed_sidebar(context: template.Context, article: Any) -> SafeString:
    """The News Feed beside a story: its heading, first briefs and "Show More" link.

    Every story but a brief among them shows the same HTML, kept once, links and all
    (working out an address costs as much as a dozen template tags).
    """
    from django.urls import reverse

    from masthead.publishing.listings import news_feed_beside

    site = _site_of(context, article)
    shown = article if article.is_brief else None
    return memoized_html(
        "components/news_feed_beside.html",
        f"feed-beside:{getattr(site, 'pk', '')}:{getattr(shown, 'pk', '')}:{locale_key()}",
        lambda: {
            "batch": news_feed_beside(site, shown),
            "more_url": reverse("publishing:news_feed"),
        },
    )
