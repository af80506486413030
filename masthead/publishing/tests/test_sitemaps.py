"""Sitemaps, the Google News sitemap and robots.txt: valid, complete, leak-free and cheap.

Every sitemap is validated against the published schemas (``schemas/``), lists exactly what an
anonymous reader can reach, and runs the same number of queries for a small archive as for a
larger one.
"""

from __future__ import annotations

import urllib.robotparser
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connection
from django.templatetags.static import static
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from wagtail.models import PageViewRestriction

from masthead.membership.access import Visibility
from masthead.publishing import sitemaps
from masthead.publishing.factories import (
    ArticleNoteFactory,
    ArticlePageFactory,
    AuthorFactory,
    PhotoFactory,
    StandardPageFactory,
    TagFactory,
    TeamPageFactory,
)
from masthead.publishing.models import PhotoRendition, SiteSettings, Tag

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
NS = {"s": SITEMAP_NS, "image": IMAGE_NS, "news": NEWS_NS}
HOST = "http://testserver"
KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
NOW = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)

SITEMAP_URLS = [
    "/sitemap.xml",
    "/sitemap-pages.xml",
    "/sitemap-posts.xml",
    "/sitemap-authors.xml",
    "/sitemap-tags.xml",
    "/sitemap-news.xml",
]


# --- Reading and validating the XML ------------------------------------------------


@cache
def schema(root: str) -> etree.XMLSchema:
    """The sitemap (or index) schema together with Google's extensions.

    The core schemas admit other namespaces with ``processContents="strict"``, so the
    extensions must be loaded alongside for an ``<image:image>`` to validate.
    """
    core = "siteindex.xsd" if root == "sitemapindex" else "sitemap.xsd"
    imports = "".join(
        f'<xsd:import namespace="{ns}" schemaLocation="{(SCHEMAS / name).as_uri()}"/>'
        for ns, name in [
            (SITEMAP_NS, core),
            (IMAGE_NS, "sitemap-image.xsd"),
            (NEWS_NS, "sitemap-news.xsd"),
        ]
    )
    wrapper = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{imports}</xsd:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper))


def valid_xml(response: Any) -> Any:
    """The parsed document of a 200 sitemap response that its schema accepts."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/xml")
    doc = etree.fromstring(response.content)
    root = etree.QName(doc).localname
    checker = schema(root)
    assert checker.validate(doc), checker.error_log
    return doc


@dataclass
class Entry:
    loc: str
    lastmod: datetime | None
    images: list[str] = field(default_factory=list)


def entries(doc: Any) -> list[Entry]:
    """``<url>`` (or ``<sitemap>``) entries in document order."""
    found = []
    for node in doc.xpath("s:url | s:sitemap", namespaces=NS):
        lastmod = node.findtext("s:lastmod", namespaces=NS)
        found.append(
            Entry(
                loc=node.findtext("s:loc", namespaces=NS),
                lastmod=datetime.fromisoformat(lastmod) if lastmod else None,
                images=node.xpath("image:image/image:loc/text()", namespaces=NS),
            )
        )
    return found


def locs(client: Any, url: str) -> list[str]:
    return [entry.loc for entry in entries(valid_xml(client.get(url)))]


def by_loc(client: Any, url: str) -> dict[str, Entry]:
    return {entry.loc: entry for entry in entries(valid_xml(client.get(url)))}


def absolute(path: str) -> str:
    return f"{HOST}{path}"


# --- The newsroom -------------------------------------------------------------------


@pytest.fixture
def newsroom(home: Any, site: Any, section: Tag, author: Any) -> dict[str, Any]:
    """Articles of every kind a sitemap must list or leave out, tags, authors and pages."""
    settings = SiteSettings.for_site(site)
    settings.publication_name = "The Test Independent"
    settings.timezone = "Europe/Kyiv"
    settings.save()
    now = timezone.now()
    energy = TagFactory(name="Energy", slug="energy")
    wire = TagFactory(name="#wire", slug="hash-wire", visibility=Tag.Visibility.INTERNAL)
    orphan = TagFactory(name="Orphan", slug="orphan")
    leaked_tag = TagFactory(name="Newsletter only", slug="newsletter-only")
    private_tag = TagFactory(name="Private only", slug="private-only")
    gated_author = AuthorFactory(name="Gia Gated", slug="gia-gated")
    ghost_writer = AuthorFactory(name="Ghost Writer", slug="ghost-writer")
    idle = AuthorFactory(name="Idle Ivo", slug="idle-ivo")

    with_rendition = PhotoFactory()
    rendition = with_rendition.get_rendition(sitemaps.ARTICLE_IMAGE)
    original_only = PhotoFactory()

    story = ArticlePageFactory(
        parent=home,
        title="Power returns to Dravik",
        slug="power-returns",
        section=section,
        tags=[energy, wire],
        authors=[author],
        lead_image=with_rendition,
        first_published_at=now - timedelta(hours=3),
    )
    gated = ArticlePageFactory(
        parent=home,
        title="Inside the grid deal",
        slug="grid-deal",
        visibility=Visibility.PAID,
        tags=[energy],
        authors=[gated_author],
        lead_image=original_only,
        first_published_at=now - timedelta(hours=5),
    )
    updated = ArticlePageFactory(
        parent=home,
        title="Reservoir levels fall",
        slug="reservoir",
        section=section,
        first_published_at=now - timedelta(days=10),
        updated_at=now - timedelta(days=2),
    )
    corrected = ArticlePageFactory(
        parent=home,
        title="Bridge closes for repairs",
        slug="bridge",
        first_published_at=now - timedelta(days=20),
    )
    note = ArticleNoteFactory(page=corrected, noted_at=now - timedelta(days=1))
    email_only = ArticlePageFactory(
        parent=home,
        title="For subscribers' inboxes",
        slug="inbox-only",
        email_only=True,
        tags=[leaked_tag],
        authors=[ghost_writer],
        first_published_at=now - timedelta(hours=1),
    )
    draft = ArticlePageFactory(parent=home, title="Not yet", slug="draft", live=False)
    draft.first_published_at = None
    draft.save()
    private = ArticlePageFactory(
        parent=home,
        title="Behind a password",
        slug="password-story",
        tags=[private_tag],
        first_published_at=now - timedelta(hours=2),
    )
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    elsewhere = ArticlePageFactory(
        parent=home,
        title="First published by a partner",
        slug="partner-story",
        canonical_url="https://partner.example/story",
        first_published_at=now - timedelta(hours=4),
    )
    about = StandardPageFactory(parent=home, title="About", slug="about")
    team = TeamPageFactory(parent=home)
    for page in (about, team):
        page.save_revision().publish()
    hidden_page = StandardPageFactory(parent=home, title="Staff only", slug="staff-only")
    PageViewRestriction.objects.create(
        page=hidden_page, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    StandardPageFactory(parent=home, title="Unfinished", slug="unfinished", live=False)
    return {
        "story": story,
        "gated": gated,
        "updated": updated,
        "corrected": corrected,
        "note": note,
        "email_only": email_only,
        "draft": draft,
        "private": private,
        "elsewhere": elsewhere,
        "about": about,
        "team": team,
        "section": section,
        "energy": energy,
        "wire": wire,
        "orphan": orphan,
        "leaked_tag": leaked_tag,
        "private_tag": private_tag,
        "author": author,
        "gated_author": gated_author,
        "ghost_writer": ghost_writer,
        "idle": idle,
        "rendition": rendition,
        "original_only": original_only,
    }


# --- The index ----------------------------------------------------------------------


def test_index_lists_every_sitemap_that_has_addresses(client, newsroom):
    doc = valid_xml(client.get("/sitemap.xml"))
    assert [entry.loc for entry in entries(doc)] == [
        absolute("/sitemap-pages.xml"),
        absolute("/sitemap-posts.xml"),
        absolute("/sitemap-authors.xml"),
        absolute("/sitemap-tags.xml"),
        absolute("/sitemap-news.xml"),
    ]


def test_index_dates_each_sitemap_by_its_newest_address(client, newsroom):
    index = by_loc(client, "/sitemap.xml")
    for url in SITEMAP_URLS[1:-1]:
        newest = max(e.lastmod for e in entries(valid_xml(client.get(url))) if e.lastmod)
        assert index[absolute(url)].lastmod == newest, url
    news = valid_xml(client.get("/sitemap-news.xml"))
    published = news.xpath("//news:publication_date/text()", namespaces=NS)
    newest = max(datetime.fromisoformat(value) for value in published)
    assert index[absolute("/sitemap-news.xml")].lastmod == newest


def test_an_empty_site_indexes_only_its_pages(client, home):
    doc = valid_xml(client.get("/sitemap.xml"))
    assert [entry.loc for entry in entries(doc)] == [absolute("/sitemap-pages.xml")]


@pytest.mark.parametrize("url", ["/sitemap-posts.xml", "/sitemap-news.xml"])
def test_an_empty_sitemap_still_answers(client, home, url):
    # The schema wants at least one <url>, so an empty file cannot validate; it must still
    # be well-formed, or a search console would report the submitted address as broken.
    response = client.get(url)
    assert response.status_code == 200
    doc = etree.fromstring(response.content)
    assert etree.QName(doc).localname == "urlset"
    assert entries(doc) == []


# --- Pages, posts, tags and authors ------------------------------------------------


def test_pages_sitemap_lists_home_standard_and_team_pages(client, newsroom):
    pages = by_loc(client, "/sitemap-pages.xml")
    assert set(pages) == {absolute("/"), absolute("/about/"), absolute("/team/")}
    # The front page changes with every story it lists.
    assert pages[absolute("/")].lastmod == newsroom["story"].published_at
    about = newsroom["about"]
    about.refresh_from_db()
    assert pages[absolute("/about/")].lastmod == about.last_published_at


def test_posts_sitemap_lists_public_and_gated_articles_newest_first(client, newsroom):
    found = locs(client, "/sitemap-posts.xml")
    assert found == [
        absolute(newsroom[name].url)
        for name in ["story", "gated", "updated", "corrected"]  # newest first
    ]


@pytest.mark.parametrize("name", ["email_only", "draft", "private", "elsewhere"])
def test_posts_sitemap_leaves_out(client, newsroom, name):
    article = newsroom[name]
    for url in ["/sitemap-posts.xml", "/sitemap-news.xml"]:
        body = client.get(url).content.decode()
        assert f"/{article.slug}/" not in body, url


def test_article_lastmod_follows_what_readers_see_dated(client, newsroom):
    posts = by_loc(client, "/sitemap-posts.xml")

    def lastmod(name: str) -> datetime | None:
        return posts[absolute(newsroom[name].url)].lastmod

    assert lastmod("story") == newsroom["story"].published_at
    assert lastmod("updated") == newsroom["updated"].updated_at
    assert lastmod("corrected") == newsroom["note"].noted_at


def test_article_lastmod_ignores_a_republish(client, newsroom):
    story = newsroom["story"]
    story.save_revision().publish()
    story.refresh_from_db()
    assert story.last_published_at > story.published_at
    posts = by_loc(client, "/sitemap-posts.xml")
    assert posts[absolute(story.url)].lastmod == story.published_at


def test_dates_are_written_in_the_sites_timezone(client, newsroom):
    posts = by_loc(client, "/sitemap-posts.xml")
    lastmod = posts[absolute(newsroom["story"].url)].lastmod
    assert lastmod is not None
    assert lastmod.utcoffset() == KYIV.utcoffset(lastmod.replace(tzinfo=None))


def test_images_name_an_existing_rendition_or_the_original(client, newsroom):
    renditions_before = PhotoRendition.objects.count()
    posts = by_loc(client, "/sitemap-posts.xml")
    assert posts[absolute(newsroom["story"].url)].images == [absolute(newsroom["rendition"].url)]
    assert posts[absolute(newsroom["gated"].url)].images == [
        absolute(newsroom["original_only"].file.url)
    ]
    assert posts[absolute(newsroom["updated"].url)].images == []
    # Renditions are never cut on a crawler's request.
    assert PhotoRendition.objects.count() == renditions_before


def test_tags_sitemap_lists_public_tags_with_listed_articles(client, newsroom):
    tags = by_loc(client, "/sitemap-tags.xml")
    assert set(tags) == {absolute("/tag/war/"), absolute("/tag/energy/")}
    assert tags[absolute("/tag/energy/")].lastmod == newsroom["story"].published_at
    # "War" files the story as its section and the reservoir piece.
    assert tags[absolute("/tag/war/")].lastmod == newsroom["story"].published_at


def test_tag_image_is_its_feature_image(client, newsroom):
    photo = PhotoFactory()
    energy = newsroom["energy"]
    energy.feature_image = photo
    energy.save()
    tags = by_loc(client, "/sitemap-tags.xml")
    assert tags[absolute("/tag/energy/")].images == [absolute(photo.file.url)]


def test_authors_sitemap_lists_authors_with_listed_articles(client, newsroom):
    authors = by_loc(client, "/sitemap-authors.xml")
    assert set(authors) == {absolute("/author/mira-valen/"), absolute("/author/gia-gated/")}
    assert authors[absolute("/author/gia-gated/")].lastmod == newsroom["gated"].published_at


def test_author_image_is_the_avatar_rendition_the_page_shows(client, newsroom):
    author = newsroom["author"]
    author.avatar = PhotoFactory()
    author.save()
    rendition = author.avatar.get_rendition(sitemaps.AVATAR_IMAGE)
    authors = by_loc(client, "/sitemap-authors.xml")
    assert authors[absolute("/author/mira-valen/")].images == [absolute(rendition.url)]


def test_urls_use_the_host_the_crawler_asked(client, newsroom, settings):
    settings.ALLOWED_HOSTS = ["news.example"]
    response = client.get("/sitemap-posts.xml", HTTP_HOST="news.example", secure=True)
    assert all(
        entry.loc.startswith("https://news.example/") for entry in entries(valid_xml(response))
    )


# --- Google News --------------------------------------------------------------------


def news_items(client: Any) -> list[dict[str, str]]:
    doc = valid_xml(client.get("/sitemap-news.xml"))
    return [
        {
            "loc": node.findtext("s:loc", namespaces=NS),
            "name": node.findtext("news:news/news:publication/news:name", namespaces=NS),
            "language": node.findtext("news:news/news:publication/news:language", namespaces=NS),
            "date": node.findtext("news:news/news:publication_date", namespaces=NS),
            "title": node.findtext("news:news/news:title", namespaces=NS),
        }
        for node in doc.xpath("s:url", namespaces=NS)
    ]


def test_news_sitemap_names_the_publication_language_date_and_headline(client, newsroom):
    items = news_items(client)
    assert [item["loc"] for item in items] == [
        absolute(newsroom["story"].url),
        absolute(newsroom["gated"].url),
    ]
    story = items[0]
    assert story["name"] == "The Test Independent"
    assert story["language"] == "en"
    assert story["title"] == "Power returns to Dravik"
    assert datetime.fromisoformat(story["date"]) == newsroom["story"].published_at


def test_news_sitemap_keeps_the_last_48_hours(client, home):
    with time_machine.travel(NOW, tick=False) as traveller:
        for hours in (1, 47, 49):
            ArticlePageFactory(
                parent=home,
                slug=f"{hours}-hours-ago",
                first_published_at=NOW - timedelta(hours=hours),
            )
        assert [item["loc"] for item in news_items(client)] == [
            absolute("/1-hours-ago/"),
            absolute("/47-hours-ago/"),
        ]
        traveller.shift(timedelta(hours=2))
        assert [item["loc"] for item in news_items(client)] == [absolute("/1-hours-ago/")]


def test_news_sitemap_stops_at_its_cap_newest_first(client, home, monkeypatch):
    assert sitemaps.NEWS_LIMIT == 1_000  # Google News reads no more per sitemap
    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 3)
    now = timezone.now()
    for minutes in range(5):
        ArticlePageFactory(
            parent=home, slug=f"m{minutes}", first_published_at=now - timedelta(minutes=minutes)
        )
    assert [item["loc"] for item in news_items(client)] == [
        absolute("/m0/"),
        absolute("/m1/"),
        absolute("/m2/"),
    ]
    index = locs(client, "/sitemap.xml")
    assert absolute("/sitemap-news.xml") in index


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en-us", "en"), ("uk", "uk"), ("pt-br", "pt"), ("zh-hans", "zh-cn"), ("zh-hant", "zh-tw")],
)
def test_news_language_is_the_active_language_as_google_names_it(language, expected):
    from django.utils import translation

    with translation.override(language):
        assert sitemaps.news_language() == expected


# --- Paging -------------------------------------------------------------------------


def test_large_archives_are_paged_and_indexed_page_by_page(client, home, monkeypatch):
    monkeypatch.setattr(sitemaps, "URLS_PER_SITEMAP", 2)
    now = timezone.now()
    articles = [
        ArticlePageFactory(
            parent=home, slug=f"story-{i}", first_published_at=now - timedelta(days=i)
        )
        for i in range(5)
    ]
    index = locs(client, "/sitemap.xml")
    assert [loc for loc in index if "posts" in loc] == [
        absolute("/sitemap-posts.xml"),
        absolute("/sitemap-posts-2.xml"),
        absolute("/sitemap-posts-3.xml"),
    ]
    pages = [
        locs(client, url)
        for url in ["/sitemap-posts.xml", "/sitemap-posts-2.xml", "/sitemap-posts-3.xml"]
    ]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [loc for page in pages for loc in page] == [absolute(a.url) for a in articles]
    assert client.get("/sitemap-posts-4.xml").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/sitemap-posts-0.xml",
        "/sitemap-posts-1.xml",  # the same as /sitemap-posts.xml
        "/sitemap-posts-2.xml",  # beyond the last page
        "/sitemap-posts-02.xml",
        "/sitemap-posts-999999999.xml",
        "/sitemap-posts-99999999999999999999.xml",
        "/sitemap-posts--1.xml",
        "/sitemap-posts-abc.xml",
        "/sitemap-posts-2.5.xml",
        "/sitemap-comments.xml",
        "/sitemap-news-2.xml",
        "/sitemap-.xml",
        "/sitemap-pages.xml/",
    ],
)
def test_bad_sitemap_addresses_are_not_found(client, newsroom, url):
    assert client.get(url).status_code == 404


def test_sitemaps_only_answer_reads(client, home):
    assert client.post("/sitemap.xml").status_code == 405
    assert client.head("/sitemap-posts.xml").status_code == 200


# --- Headers and the stylesheet -----------------------------------------------------


@pytest.mark.parametrize("url", SITEMAP_URLS)
def test_sitemaps_are_cacheable_xml_kept_out_of_search_results(client, newsroom, url):
    response = client.get(url)
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    max_age = sitemaps.NEWS_MAX_AGE if "news" in url else sitemaps.SITEMAP_MAX_AGE
    assert set(response["Cache-Control"].split(", ")) == {"public", f"max-age={max_age}"}
    assert "noindex" in response["X-Robots-Tag"]
    # The newest date the file gives, to the second as HTTP dates go.
    doc = etree.fromstring(response.content)
    dates = doc.xpath("//s:lastmod/text() | //news:publication_date/text()", namespaces=NS)
    newest = max(datetime.fromisoformat(value) for value in dates).replace(microsecond=0)
    assert parsedate_to_datetime(response["Last-Modified"]) == newest


@pytest.mark.parametrize("url", SITEMAP_URLS)
def test_browsers_render_each_sitemap_as_a_readable_table(client, newsroom, url):
    doc = etree.fromstring(client.get(url).content)
    instruction = doc.getprevious()
    assert isinstance(instruction, etree._XSLTProcessingInstruction)
    assert instruction.get("href") == static("masthead/sitemap.xsl")
    stylesheet = finders.find("masthead/sitemap.xsl")
    assert stylesheet, "the stylesheet is not among the static files"
    transform = etree.XSLT(etree.parse(stylesheet))
    html = str(transform(doc))
    assert "<table" in html and "<caption" in html and 'scope="col"' in html
    for loc in doc.xpath("//s:loc/text()", namespaces=NS):
        assert f'href="{loc}"' in html
    for title in doc.xpath("//news:title/text()", namespaces=NS):
        assert title in html


# --- robots.txt ---------------------------------------------------------------------


def test_robots_txt_points_at_the_sitemaps_and_keeps_crawlers_out_of_private_paths(client, home):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert set(response["Cache-Control"].split(", ")) == {
        "public",
        f"max-age={sitemaps.ROBOTS_MAX_AGE}",
    }
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {HOST}/sitemap.xml" in lines
    assert f"Sitemap: {HOST}/sitemap-news.xml" in lines

    parser = urllib.robotparser.RobotFileParser()
    parser.parse(lines)
    assert parser.site_maps() == [f"{HOST}/sitemap.xml", f"{HOST}/sitemap-news.xml"]
    for path in [
        reverse("wagtailadmin_home"),
        "/ghost/api/content/posts/",
        reverse("membership:signin"),
        reverse("membership:account"),
        reverse("membership:checkout"),
        reverse("membership:verify") + "?token=abc",
        reverse("newsletters:view_in_browser", args=[uuid.uuid4()]),
        reverse("newsletters:unsubscribe") + "?uuid=x&key=y",
        reverse("publishing:search") + "?q=grid",
    ]:
        assert not parser.can_fetch("Googlebot", f"{HOST}{path}"), path
    for path in ["/", "/power-returns/", "/tag/war/", "/author/mira-valen/", "/sitemap.xml"]:
        assert parser.can_fetch("Googlebot", f"{HOST}{path}"), path


def test_robots_txt_lets_crawlers_find_the_join_page_only_by_its_exact_address(client, home):
    lines = client.get("/robots.txt").content.decode().splitlines()
    for name in ["membership:join", "membership:support", "membership:gift"]:
        assert f"Allow: {reverse(name)}$" in lines
    # Its follow-up pages stay behind the members' Disallow.
    assert reverse("membership:support_done").startswith("/members/")
    assert "Disallow: /members/" in lines


@pytest.mark.parametrize(
    ("prefix", "name", "args"),
    [
        ("/admin/", "wagtailadmin_home", []),
        ("/members/", "membership:account", []),
        ("/email/", "newsletters:view_in_browser", [uuid.uuid4()]),
        ("/unsubscribe/", "newsletters:unsubscribe", []),
        ("/newsletters/manage/", "newsletters:manage", []),
        ("/search/", "publishing:search", []),
    ],
)
def test_each_disallowed_path_is_where_the_site_routes_it(prefix, name, args):
    assert prefix in sitemaps.DISALLOWED
    assert reverse(name, args=args).startswith(prefix)


# --- Query budgets ------------------------------------------------------------------


def grow_archive(home: Any, *, count: int) -> None:
    """More of everything each sitemap lists: articles with images, notes, tags, authors."""
    now = timezone.now()
    for i in range(count):
        photo = PhotoFactory()
        if i % 2:
            photo.get_rendition(sitemaps.ARTICLE_IMAGE)
        tag = TagFactory(
            name=f"Grown tag {i}", feature_image=PhotoFactory() if i % 3 == 0 else None
        )
        writer = AuthorFactory(avatar=PhotoFactory() if i % 2 else None)
        article = ArticlePageFactory(
            parent=home,
            slug=f"grown-{i}",
            tags=[tag],
            authors=[writer],
            lead_image=photo,
            first_published_at=now - timedelta(hours=i),
            updated_at=now - timedelta(minutes=i) if i % 4 == 0 else None,
        )
        if i % 3 == 0:
            ArticleNoteFactory(page=article)
        StandardPageFactory(parent=home, slug=f"grown-page-{i}")


def queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", [*SITEMAP_URLS, "/robots.txt"])
def test_each_sitemap_runs_a_fixed_number_of_queries(
    page_cache_off, client, newsroom, home, url, django_assert_num_queries
):
    # Each kind of image present once: a prefetch over nothing but empty links is skipped.
    newsroom["energy"].feature_image = PhotoFactory()
    newsroom["energy"].save()
    newsroom["author"].avatar = PhotoFactory()
    newsroom["author"].save()
    client.get(url)  # fills the per-process caches (content types, site root paths)
    small = queries_for(client, url)
    grow_archive(home, count=12)
    client.get(url)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200
    if url != "/robots.txt":
        # The larger archive is really in the sitemap measured.
        assert len(entries(etree.fromstring(response.content))) > 2


def test_query_budgets_stay_small(
    page_cache_off, client, newsroom, home, django_assert_max_num_queries
):
    grow_archive(home, count=6)
    for url, budget in [
        # The site, its settings, then per sitemap: view restrictions, a count, a newest date.
        ("/sitemap.xml", 16),
        # The site, its settings, view restrictions, the count, the page, the site's root
        # paths for page URLs, the front page's newest story.
        ("/sitemap-pages.xml", 8),
        # The site, its settings, view restrictions, the count, the page, existing renditions.
        ("/sitemap-posts.xml", 6),
        ("/sitemap-authors.xml", 6),
        ("/sitemap-tags.xml", 6),
        ("/sitemap-news.xml", 5),
        ("/robots.txt", 2),
    ]:
        client.get(url)
        with django_assert_max_num_queries(budget):
            client.get(url)
