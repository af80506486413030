"""The breaking-news banner across every public page, and the "Breaking" label of a story."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from masthead.publishing import pagecache
from masthead.publishing.chrome import breaking_story_now, host_and_port
from masthead.publishing.listings import published_articles
from masthead.publishing.models import ArticlePage, CoverageStatus
from masthead.publishing.templatetags.card_tags import kept_html, locale_key
from masthead.publishing.templatetags.news_feed_tags import next_local_midnight

register = template.Library()


def breaking_story(request: Any, *, moment: datetime | None = None) -> ArticlePage | None:
    """The newest story whose banner is up, read from the site's shared banner list.

    ``published_articles`` keeps email-only, unpublished and privacy-restricted stories
    out, as on every listing. The body is never loaded: the banner shows the headline
    only, so nothing a paywall hides can leak into it. ``coverage_status`` is read
    through the live page's table in the same query, to say "Live" on ongoing coverage.
    With ``moment`` (a past or future time), the database is asked directly.
    """
    from wagtail.models import Site

    site = Site.find_for_request(request)
    if moment is None:
        return breaking_story_now(site)
    return (
        published_articles(site)
        .breaking_at(moment)
        .defer("body", "video_transcript")
        .annotate(breaking_coverage_status=F("livepage__coverage_status"))
        .first()
    )


@register.simple_tag(takes_context=True)
def breaking_banner(context: Any) -> SafeString | str:
    """``{% breaking_banner %}`` in ``base.html``: the banner, or nothing.

    Every page shows it, so its HTML is kept per address and language until a publish
    or an edit (``listing``), a site change, the banner's due time or midnight (its time
    says "14:05" today, "29 Nov, 14:05" after) changes it. Pages rendered without a
    request (the server error page, emails) get nothing, so a failing database never
    takes the error page down with it.
    """
    request = context.get("request")
    if request is None:
        return ""
    hostname, port = host_and_port(request)  # the link is relative on its own site only

    def build() -> str:
        story = breaking_story(request)
        if story is None:
            return ""
        pagecache.valid_until(next_local_midnight(timezone.now()))
        return render_to_string(
            "components/breaking_banner.html",
            {
                "story": story,
                "url": story.get_url(request=request),
                "is_live": story.breaking_coverage_status == CoverageStatus.LIVE,
            },
        )

    return kept_html(f"breaking-html:{hostname}:{port}:{locale_key()}", ["listing", "site"], build)


@register.filter
def is_breaking_now(article: ArticlePage) -> bool:
    """Whether ``article``'s banner is up now, for a row a listing already loaded."""
    return article.is_breaking_at(timezone.now())
