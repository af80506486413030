"""The queries behind every page that lists articles.

Each function fetches what its template shows in a fixed number of queries, whatever
the size of the archive; the query-count tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from wagtail.models import Site

from .models import ArticlePage, Author, HomePage, Tag
from .paging import Batch, Cursor, paginate

LISTING_SIZE = 12
NEWS_FEED_SIDEBAR_SIZE = 8
RELATED_SIZE = 4
VIDEO_STRIP_SIZE = 6


def live_articles(site: Site | None = None) -> Any:
    """Published articles of ``site`` (all sites when ``None``), ready for cards."""
    articles = ArticlePage.objects.live()
    if site is not None:
        articles = articles.in_site(site)
    return articles.for_listing().prefetch_related("lead_image__renditions")


def site_for(request: HttpRequest | None) -> Site | None:
    return Site.find_for_request(request) if request is not None else None


def listing_batch(articles: Any, request: HttpRequest, *, size: int = LISTING_SIZE) -> Batch:  # type: ignore[type-arg]  # articles
    """One "Show More" batch; a missing or malformed ``before`` gives the first page."""
    cursor = Cursor.decode(request.GET.get("before"))
    return paginate(articles, cursor=cursor, size=size)


def _in_id_order(articles: Iterable[ArticlePage], ids: list[int]) -> list[ArticlePage]:
    by_id = {article.pk: article for article in articles}
    return [by_id[pk] for pk in ids if pk in by_id]


def home_page_context(home: HomePage) -> dict[str, Any]:
    site = home.get_site()
    articles = live_articles(site)
    stories = articles.stories()

    top_ids = [row.article_id for row in home.top_stories.all()]
    top = _in_id_order(stories.filter(pk__in=top_ids), top_ids)
    if len(top) < 5:
        # An editor who curated fewer than five still gets a full top block.
        extra = stories.exclude(pk__in=[a.pk for a in top]).newest_first()[: 5 - len(top)]
        top.extend(extra)
    shown = {article.pk for article in top}

    latest = list(stories.exclude(pk__in=shown).newest_first()[:8])
    shown.update(article.pk for article in latest)

    # One cheap id query per section, then one fetch for all cards: the count
    # depends on the number of sections, never on the size of the archive.
    sections = list(Tag.objects.sections())
    section_ids: dict[int, list[int]] = {}
    base = ArticlePage.objects.live().in_site(site).stories().exclude(pk__in=shown)
    for section in sections:
        section_ids[section.pk] = list(
            base.filter(section=section).newest_first().values_list("pk", flat=True)[: home.stories_per_section]
        )
    wanted = [pk for ids in section_ids.values() for pk in ids]
    cards = {article.pk: article for article in stories.filter(pk__in=wanted)}
    by_section = [
        (section, [cards[pk] for pk in section_ids[section.pk] if pk in cards])
        for section in sections
    ]

    news_feed = paginate(articles.briefs(), cursor=None, size=home.news_feed_size)
    videos = list(articles.videos().newest_first()[:VIDEO_STRIP_SIZE])
    return {
        "top_stories": top,
        "latest_stories": latest,
        "sections_with_articles": [(s, items) for s, items in by_section if items],
        "news_feed": news_feed,
        "videos": videos,
    }


def article_page_context(article: ArticlePage) -> dict[str, Any]:
    """Bylines, read-also targets and sidebars of one article page."""
    # In previews the bylines are unsaved in-memory rows; select_related is a no-op there.
    credits = article.article_authors.all().select_related("author__avatar")
    authors = [credit.author for credit in credits]
    site = article.get_site()
    articles = live_articles(site)
    related: list[ArticlePage] = []
    if article.section_id:
        related = list(
            articles.stories().in_section(article.section).exclude(pk=article.pk).newest_first()[:RELATED_SIZE]
        )
    news_feed = paginate(articles.briefs().exclude(pk=article.pk), cursor=None, size=NEWS_FEED_SIDEBAR_SIZE)
    return {
        "authors": authors,
        "notes": article.published_notes,
        "related_articles": related,
        "news_feed": news_feed,
    }


def team_page_context() -> dict[str, Any]:
    """Everyone on the Team page, grouped by desk in the desks' order."""
    groups: list[tuple[str, list[Author]]] = []
    people = Author.objects.on_team_page().prefetch_related("avatar__renditions")
    for person in people:
        desk = person.desk.name if person.desk else ""
        if not groups or groups[-1][0] != desk:
            groups.append((desk, []))
        groups[-1][1].append(person)
    return {"desks": groups}
