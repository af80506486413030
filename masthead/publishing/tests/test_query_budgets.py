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
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from masthead.membership.factories import MemberFactory, TierFactory
from masthead.publishing import pagecache
from masthead.publishing.actions import delete_live_update, post_live_update
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
# image, restrictions and a live page's poll cursor (one query), its bylines, tags and
# tiers (one UNION query). A listing: its cards in one query, the bylines' author ids
# read in the same row (the authors come from the shared authors directory) and the
# photos' renditions from the renditions cache; a tag or author page looks its tag or
# author up first. The home page: the keys of every block's candidates, the cards, the
# ongoing coverage's latest updates. The live page: the page, its key events, pinned
# updates and stream in one query, its bylines.
ANONYMOUS_COUNTS = {
    "article": 2,
    "news_feed": 1,
    "news_feed_more": 1,
    "author": 2,
    "tag": 2,
    "section": 2,
    "home": 3,
    "live": 3,
}
# The budget: at most four queries for any page on a miss.
BUDGET = 4
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
    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum keeps them on a real server: without them the
        # planner takes the new 10,000 rows for an empty table and walks them in loops.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


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
    live = LivePageFactory(parent=home, slug="storm-live", section=section, authors=[author])
    # More updates than the stream's first batch, some pinned or key events, one deleted.
    for i in range(30):
        update = post_live_update(
            page=live,
            body=paragraph_blocks([f"Update {i}."]),
            author=author,
            is_pinned=i % 10 == 0,
            is_key_event=i % 4 == 0,
            posted_at=now - timedelta(minutes=30 - i),
        )
    delete_live_update(update=update)
    tier = TierFactory()
    return {"paid": MemberFactory(paid_tier=tier), "section": section, "tag": tag}


def _forget_shared_values() -> None:
    """Retire every memoized value and cached page. Not ``cache.clear()``: on Redis that
    empties the server under the other test processes too."""
    pagecache.bump_now(["site", "listing", "live", "search"])
    pagecache.reset()


def _warm(client: Client, urls: list[str]) -> None:
    """Render every page once (renditions are made), then forget every rendered page and
    shared value, and warm the shared ones with a request to another address."""
    for url in urls:
        client.get(url)
    _forget_shared_values()
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
    assert anonymous <= BUDGET

    paid_client = member_client(newsroom["paid"])
    _warm(paid_client, list(PAGES.values()))
    paid, sql = _count(paid_client, url)
    assert paid <= anonymous + READER_LOOKUPS, sql


def test_a_listing_reads_its_pictures_once_per_process(
    newsroom: dict[str, Any], client: Client
) -> None:
    """Card renditions come from the renditions cache; a process that has not yet seen them
    reads them all in one query, then keeps them."""
    _warm(client, list(PAGES.values()))
    caches["renditions"].clear()
    cold, sql = _count(client, "/tag/war/")
    assert cold == ANONYMOUS_COUNTS["section"] + 1, sql
    assert "publishing_photorendition" in sql[-1]
    _forget_shared_values()
    assert client.get("/story-5/").status_code == 200
    warm, sql = _count(client, "/tag/war/")
    assert warm == ANONYMOUS_COUNTS["section"], sql


def test_cards_show_their_bylines_in_order(db: None, home: HomePage, client: Client) -> None:
    """Bylines read as ids within the card's row still name every author, first first."""
    section = TagFactory(name="War", slug="war", section=True)
    first = AuthorFactory(name="Zora First")
    second = AuthorFactory(name="Abel Second")
    ArticlePageFactory(parent=home, slug="pair", section=section, authors=[first, second])
    body = client.get("/tag/war/").content.decode()
    assert 'Zora First</span> and <span class="byline__name">Abel Second' in body
