"""SQL queries per page on a page-cache miss, the same for an archive of 10 and of 10,000.

The counting rule: the site's shared values (the chrome: site, settings, navigation,
tiers; the authors directory; the News Feed's top; the breaking banner) are warm, as
they are after any earlier request to another address, and the page asked for has never
been rendered. Anonymous readers are counted; a paid member's page costs the same plus
the lookups of who they are (member row, memberships, free tier).

Counts are exact so that a regression shows at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from masthead.membership.factories import MemberFactory, TierFactory
from masthead.publishing import pagecache
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    LivePageFactory,
    PhotoFactory,
    TagFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticleAuthor, ArticleFormat, ArticlePage, HomePage

# Exact counts on a miss, anonymous reader. The article: the page with its section,
# image and restrictions (one query), its bylines, tags and tiers (one UNION query). A
# listing: its cards, their bylines (and their renditions when cards have pictures).
ANONYMOUS_COUNTS = {
    "article": 2,
    "news_feed": 2,
    "news_feed_more": 2,
    "author": 4,
    # Above the budget of 4 still: the tag page walks two indexes (section, tag)
    # before loading its cards; the home page queries each block's ids; the live page
    # reads its stream in parts (coverage.py). Constant, though, as the archive grows.
    "tag": 6,
    "section": 6,
    "home": 14,
    "live": 6,
}
WITHIN_BUDGET = {"article", "news_feed", "news_feed_more", "author"}
# Who a paid member is: their row, their memberships, the free tier.
READER_LOOKUPS = 3


def _bulk_articles(home: HomePage, count: int, *, section: Any, tag: Any, author: Any) -> None:
    """Insert ``count`` live articles under ``home`` without treebeard's per-row work.

    Wagtail pages are two rows (``wagtailcore_page`` and the article's own); the paths
    are computed here as treebeard would, the page rows are bulk-created and the article
    rows written with one ``executemany``.
    """
    content_type = ContentType.objects.get_for_model(ArticlePage)
    home_page = Page.objects.get(pk=home.pk)
    start = home_page.numchild
    now = timezone.now()
    articles = []
    for i in range(count):
        published = now - timedelta(days=30, minutes=i)
        article = ArticlePage(
            title=f"Archive story {i}",
            draft_title=f"Archive story {i}",
            slug=f"archive-{i}",
            url_path=f"{home_page.url_path}archive-{i}/",
            path=Page._get_path(home_page.path, home_page.depth + 1, start + i + 1),
            depth=home_page.depth + 1,
            numchild=0,
            live=True,
            content_type=content_type,
            locale_id=home_page.locale_id,
            first_published_at=published,
            last_published_at=published,
            published_at=published,
            format=ArticleFormat.BRIEF if i % 3 == 0 else ArticleFormat.ARTICLE,
            section=section if i % 2 else None,
            dek="From the archive.",
            body=paragraph_blocks(["Old news."]),
        )
        articles.append(article)
    pages = Page.objects.bulk_create(
        [
            Page(**{f.attname: getattr(a, f.attname) for f in Page._meta.concrete_fields})
            for a in articles
        ]
    )
    fields = list(ArticlePage._meta.local_concrete_fields)
    rows = []
    for page, article in zip(pages, articles, strict=True):
        article.page_ptr_id = page.pk
        article.pk = page.pk
        rows.append([f.get_db_prep_save(getattr(article, f.attname), connection) for f in fields])
    table = ArticlePage._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        # Names come from the model's own metadata, values go through parameters.
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(insert, rows)
    ArticleAuthor.objects.bulk_create(
        ArticleAuthor(page_id=page.pk, author=author, sort_order=0) for page in pages
    )
    through = ArticlePage.tags.through
    through.objects.bulk_create(
        through(articlepage_id=page.pk, tag_id=tag.pk) for page in pages[::2]
    )
    Page.objects.filter(pk=home.pk).update(numchild=start + count)


@pytest.fixture(params=[10, 10_000], ids=["archive-10", "archive-10000"])
def newsroom(request: Any, db: None, home: HomePage) -> dict[str, Any]:
    section = TagFactory(name="War", slug="war", section=True)
    tag = TagFactory(name="Energy", slug="energy")
    author = AuthorFactory(name="Mira Valen", slug="mira-valen", with_avatar=True)
    _bulk_articles(home, request.param, section=section, tag=tag, author=author)
    now = timezone.now()
    photo = PhotoFactory()
    for i in range(6):
        ArticlePageFactory(
            parent=home,
            slug=f"story-{i}",
            section=section,
            tags=[tag],
            authors=[author],
            lead_image=photo,
            first_published_at=now - timedelta(hours=i + 1),
        )
        ArticlePageFactory(
            parent=home,
            slug=f"brief-{i}",
            brief=True,
            authors=[author],
            first_published_at=now - timedelta(minutes=10 * i + 5),
        )
    LivePageFactory(parent=home, slug="storm-live", section=section, authors=[author])
    tier = TierFactory()
    return {"paid": MemberFactory(paid_tier=tier), "section": section, "tag": tag}


def _warm(client: Client, urls: list[str]) -> None:
    """Render every page once (renditions are made), then forget every rendered page and
    shared value, and warm the shared ones with a request to another address."""
    for url in urls:
        client.get(url)
    cache.clear()
    pagecache.reset()
    assert client.get("/story-5/").status_code == 200


def _count(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), [q["sql"] for q in queries.captured_queries]


PAGES = {
    "article": "/story-1/",
    "news_feed": "/news-feed/",
    "news_feed_more": "/news-feed/?partial=1",
    "home": "/",
    "tag": "/tag/energy/",
    "section": "/tag/war/",
    "author": "/author/mira-valen/",
    "live": "/storm-live/",
}


@pytest.mark.parametrize("page", sorted(ANONYMOUS_COUNTS))
def test_a_page_costs_the_same_few_queries_whatever_the_archive(
    newsroom: dict[str, Any], client: Client, member_client: Any, page: str
) -> None:
    url = PAGES[page]
    _warm(client, list(PAGES.values()))
    anonymous, sql = _count(client, url)
    assert anonymous == ANONYMOUS_COUNTS[page], sql
    if page in WITHIN_BUDGET:
        assert anonymous <= 4

    paid_client = member_client(newsroom["paid"])
    _warm(paid_client, list(PAGES.values()))
    paid, sql = _count(paid_client, url)
    assert paid <= anonymous + READER_LOOKUPS, sql
