"""How live coverage is found: structured data, search, the home page, cards, feeds, sitemaps.

The JSON-LD is read back the way search engines read it (extruct) and checked against the
properties Google reads in a LiveBlogPosting and its BlogPosting updates.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

import extruct
import feedparser
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree
from lxml import html as lxml_html

from masthead.publishing import actions
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    LivePageFactory,
    PhotoFactory,
    image_block,
    paragraph_blocks,
)
from masthead.publishing.feeds import FEED_LIVE_UPDATES
from masthead.publishing.listings import HOME_LIVE_PAGES, HOME_LIVE_UPDATES
from masthead.publishing.models import (
    LIVE_LATEST_UPDATES,
    CoverageStatus,
    LivePage,
    LiveUpdate,
    SiteSettings,
)

pytestmark = pytest.mark.django_db

# The default site's root URL, on which Wagtail builds its pages' full URLs.
ROOT = "http://127.0.0.1:8000"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def post(page: LivePage, text: str, minutes_ago: float, **kwargs: Any) -> LiveUpdate:
    return actions.post_live_update(
        page=page,
        body=kwargs.pop("body", None) or paragraph_blocks([text]),
        posted_at=timezone.now() - timedelta(minutes=minutes_ago),
        **kwargs,
    )


def json_ld(client: Any, url: str) -> list[dict[str, Any]]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    data = extruct.extract(response.content.decode(), base_url=ROOT + url, syntaxes=["json-ld"])
    return list(data["json-ld"])


def one(items: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [item for item in items if item.get("@type") == kind]
    assert len(found) == 1, f"{len(found)} {kind} blocks in {items}"
    return found[0]


def doc(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return lxml_html.fromstring(response.content)


def by_class(node: Any, name: str) -> list[Any]:
    """Descendants of ``node`` with the class ``name``."""
    return list(
        node.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")
    )


def query_count(client: Any, url: str) -> int:
    client.get(url)  # the first render cuts image renditions; measure the steady state
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def coverage(site: Any, home: Any, section: Any, author: Any) -> dict[str, Any]:
    config = SiteSettings.for_site(site)
    config.publication_name = "The Test Independent"
    config.logo = PhotoFactory(title="Logo")
    config.save()
    page = LivePageFactory(
        parent=home,
        title="Storm over the capital",
        slug="storm-live",
        dek="Roads closed as the river rises.",
        section=section,
        authors=[author],
        lead_image=PhotoFactory(),
        first_published_at=timezone.now() - timedelta(hours=2),
        key_points=[{"type": "point", "value": "<p>The river crested at 6.2 metres.</p>"}],
    )
    photographer = AuthorFactory(name="Ion Petric", slug="ion-petric", job_title="Photographer")
    first = post(page, "Rain began overnight in the hills.", 50, headline="Rain begins")
    photo = post(
        page,
        "",
        40,
        body=[*paragraph_blocks(["Water over the embankment."]), image_block(PhotoFactory())],
        author=photographer,
    )
    gone = post(page, "A mistaken report of a bridge collapse.", 30, headline="Bridge report")
    actions.delete_live_update(update=gone)
    latest = post(page, "The mayor speaks at noon.", 10, author=author, headline="Mayor to speak")
    return {
        "page": page,
        "first": first,
        "photo": photo,
        "gone": gone,
        "latest": latest,
        "author": author,
        "photographer": photographer,
    }


# --- Structured data ----------------------------------------------------------------------


def test_a_live_page_is_a_live_blog_posting_with_its_latest_updates(
    client: Any, coverage: dict[str, Any]
) -> None:
    page = coverage["page"]
    items = json_ld(client, page.url)
    assert not [item for item in items if item.get("@type") == "NewsArticle"]
    blog = one(items, "LiveBlogPosting")
    assert one(items, "BreadcrumbList")["itemListElement"][-1]["item"] == f"{ROOT}{page.url}"

    # What Google reads of the live blog itself.
    assert blog["@context"] == "https://schema.org"
    assert blog["headline"] == "Storm over the capital"
    assert blog["description"] == "Roads closed as the river rises."
    assert blog["url"] == blog["mainEntityOfPage"] == f"{ROOT}{page.url}"
    assert blog["isAccessibleForFree"] is True
    assert len(blog["image"]) == 3
    assert blog["author"][0]["name"] == "Mira Valen"
    assert blog["publisher"]["name"] == "The Test Independent"
    assert blog["publisher"]["logo"]["url"].startswith(f"{ROOT}/")
    published = datetime.fromisoformat(blog["datePublished"])
    assert published == page.first_published_at
    assert datetime.fromisoformat(blog["coverageStartTime"]) == page.coverage_start
    # Ongoing with no planned end: a day after the latest update, so never "over" too soon.
    end = datetime.fromisoformat(blog["coverageEndTime"])
    assert end == coverage["latest"].posted_at + timedelta(days=1)
    # The latest change is the newest update, not the page's publication.
    latest = coverage["latest"]
    modified = datetime.fromisoformat(blog["dateModified"])
    assert modified >= latest.posted_at > published

    # The updates, newest first, the deleted one left out.
    updates = blog["liveBlogUpdate"]
    expected = [coverage["latest"], coverage["photo"], coverage["first"]]
    assert [item["url"] for item in updates] == [
        f"{ROOT}{page.url}?update={update.pk}#update-{update.pk}" for update in expected
    ]
    for item, update in zip(updates, expected, strict=True):
        assert item["@type"] == "BlogPosting"
        assert item["headline"]
        assert item["articleBody"]
        assert datetime.fromisoformat(item["datePublished"]) == update.posted_at
    assert "Bridge report" not in str(blog)
    assert updates[0]["headline"] == "Mayor to speak"
    assert updates[0]["articleBody"] == "The mayor speaks at noon."
    assert updates[0]["author"] == {
        "@type": "Person",
        "name": "Mira Valen",
        "url": f"{ROOT}/author/mira-valen/",
        "jobTitle": "War correspondent",
    }
    # An update without a headline is named by its first words, and shows its photo.
    assert updates[1]["headline"] == "Water over the embankment."
    assert updates[1]["author"]["name"] == "Ion Petric"
    assert "fill-1200x675" in updates[1]["image"]
    assert client.get(updates[1]["image"].removeprefix(ROOT)).status_code == 200
    assert "image" not in updates[0]
    assert "author" not in updates[2]


def test_ongoing_coverage_gives_the_planned_end_when_the_editor_set_one(
    client: Any, coverage: dict[str, Any]
) -> None:
    page = coverage["page"]
    planned = (timezone.now() + timedelta(hours=6)).replace(microsecond=0)
    LivePage.objects.filter(pk=page.pk).update(coverage_ended_at=planned)
    blog = one(json_ld(client, page.url), "LiveBlogPosting")
    assert datetime.fromisoformat(blog["coverageEndTime"]) == planned


def test_ended_coverage_says_when_it_ended(client: Any, coverage: dict[str, Any]) -> None:
    page = actions.set_coverage_status(page=coverage["page"], status=CoverageStatus.ENDED)
    blog = one(json_ld(client, page.url), "LiveBlogPosting")
    assert page.coverage_ended_at is not None
    assert datetime.fromisoformat(blog["coverageEndTime"]) == page.coverage_ended_at
    assert blog["coverageEndTime"] >= blog["coverageStartTime"]


def test_structured_data_lists_at_most_the_latest_twenty_in_fixed_queries(
    page_cache_off, client: Any, coverage: dict[str, Any]
) -> None:
    page = coverage["page"]
    for minute in range(LIVE_LATEST_UPDATES):
        post(page, f"Bulletin number {minute}.", 9 - minute / 100)
    small = query_count(client, page.url)
    for minute in range(LIVE_LATEST_UPDATES + 10):
        post(page, f"Early bulletin {minute}.", 100 + minute)
    large = query_count(client, page.url)
    assert large == small
    updates = one(json_ld(client, page.url), "LiveBlogPosting")["liveBlogUpdate"]
    assert len(updates) == LIVE_LATEST_UPDATES
    assert updates[0]["articleBody"] == f"Bulletin number {LIVE_LATEST_UPDATES - 1}."


# --- Search -----------------------------------------------------------------------------------


def search_titles(client: Any, query: str) -> list[str]:
    page = doc(client, f"/search/?q={query}")
    return [link.text_content().strip() for link in by_class(page, "card__link")]


def test_search_finds_a_live_page_by_the_words_of_its_updates(
    client: Any, coverage: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    page, title = coverage["page"], "Storm over the capital"
    assert title not in search_titles(client, "quetzalcoatlus")

    # Updates are announced after their commit; that is when the page is re-indexed.
    with django_capture_on_commit_callbacks(execute=True):
        update = post(page, "A quetzalcoatlus replica floated down the river.", 1)
    assert title in search_titles(client, "quetzalcoatlus")

    with django_capture_on_commit_callbacks(execute=True):
        actions.edit_live_update(update=update, body=paragraph_blocks(["A parade float went by."]))
    assert title not in search_titles(client, "quetzalcoatlus")
    assert title in search_titles(client, "parade")

    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_live_update(update=update)
    assert title not in search_titles(client, "parade")
    # Headlines and key points are found too; a deleted update's words are not.
    assert title in search_titles(client, "mayor")
    assert title in search_titles(client, "crested")
    assert title not in search_titles(client, "collapse")


# --- Home page and cards -------------------------------------------------------------------


def test_ongoing_coverage_leads_the_home_page_with_its_latest_updates(
    client: Any, site: Any, home: Any, coverage: dict[str, Any]
) -> None:
    page = coverage["page"]
    post(page, "Sandbags handed out at the town hall.", 5)
    ended = LivePageFactory(
        parent=home, title="Election night results", coverage_status=CoverageStatus.ENDED
    )
    post(ended, "All votes are counted.", 60)
    config = SiteSettings.for_site(site)
    config.timezone = "Europe/Kyiv"
    config.save()

    html = doc(client, "/")
    (block,) = by_class(html, "home-live")
    (item,) = by_class(block, "home-live__item")
    assert by_class(item, "home-live__title")[0].xpath(".//a")[0].get("href") == page.url
    assert by_class(item, "home-live__label")[0].text_content().strip() == "Live"
    assert (
        by_class(by_class(item, "home-live__label")[0], "live-dot")[0].get("aria-hidden") == "true"
    )
    lines = [link for line in by_class(item, "home-live__update") for link in line.xpath(".//a")]
    assert len(lines) == HOME_LIVE_UPDATES
    latest = coverage["latest"]
    texts = [by_class(line, "home-live__text")[0].text_content() for line in lines]
    assert texts == [
        "Sandbags handed out at the town hall.",
        "Mayor to speak",
        "Water over the embankment.",
    ]
    assert lines[1].get("href") == f"{page.url}?update={latest.pk}#update-{latest.pk}"
    # Times are the site's: Kyiv, chosen in Site settings.
    shown = latest.posted_at.astimezone(zoneinfo.ZoneInfo("Europe/Kyiv"))
    assert lines[1].xpath(".//time")[0].get("datetime") == shown.isoformat()
    assert lines[1].xpath(".//time")[0].text == shown.strftime("%H:%M")
    # The live page is not repeated below; ended coverage is an ordinary card.
    cards = [link.get("href") for link in by_class(html, "card__link")]
    assert page.url not in cards
    assert ended.url in cards


def test_the_home_page_shows_at_most_two_ongoing_pages_newest_first(client: Any, home: Any) -> None:
    now = timezone.now()
    pages = [
        LivePageFactory(
            parent=home, title=f"Coverage {n}", first_published_at=now - timedelta(hours=n)
        )
        for n in range(HOME_LIVE_PAGES + 1)
    ]
    titles = [
        link.text_content() for link in doc(client, "/").xpath("//*[@class='home-live__title']/a")
    ]
    assert titles == [page.title for page in pages[:HOME_LIVE_PAGES]]


def test_cards_of_ongoing_coverage_carry_a_live_badge(
    client: Any, home: Any, section: Any, coverage: dict[str, Any]
) -> None:
    ended = LivePageFactory(
        parent=home,
        title="Election night results",
        section=section,
        coverage_status=CoverageStatus.ENDED,
    )
    ArticlePageFactory(parent=home, title="Bridge to reopen", section=section)
    html = doc(client, "/tag/war/")
    badges = {}
    for card in by_class(html, "card"):
        title = by_class(card, "card__link")[0].text_content()
        badge = by_class(card, "live-badge")
        badges[title] = badge[0].text_content().strip() if badge else None
        if title == ended.title:
            assert "Live coverage" in by_class(card, "kicker")[0].text_content()
    assert badges == {
        "Storm over the capital": "Live",
        "Election night results": None,
        "Bridge to reopen": None,
    }


def test_home_and_listing_queries_do_not_grow_with_live_coverage(
    page_cache_off, client: Any, home: Any, section: Any, author: Any
) -> None:
    def publish(count: int) -> None:
        for n in range(count):
            page = LivePageFactory(parent=home, section=section, authors=[author])
            for minute in range(4):
                post(page, f"Update {minute} of {n}.", minute + n)
            ArticlePageFactory(parent=home, section=section, authors=[author])

    publish(1)
    urls = ["/", "/tag/war/", f"/author/{author.slug}/", "/rss/", "/feed.json"]
    small = {url: query_count(client, url) for url in urls}
    publish(4)
    large = {url: query_count(client, url) for url in urls}
    assert small == large


# --- Feeds ----------------------------------------------------------------------------------


def test_a_live_page_s_feed_item_is_its_summary_key_points_and_latest_updates(
    client: Any, coverage: dict[str, Any]
) -> None:
    page = coverage["page"]
    ArticlePageFactory(parent=page.get_parent(), title="Bridge to reopen")
    for minute in range(FEED_LIVE_UPDATES):
        post(page, f"Bulletin number {minute}.", 9 - minute / 100)
    response = client.get("/rss/")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0
    (item,) = [entry for entry in parsed.entries if entry.title == page.title]
    content = item.content[0].value
    body = lxml_html.fromstring(content)
    text = body.text_content()
    assert "Roads closed as the river rises." in text
    assert "The river crested at 6.2 metres." in text
    shown = [f"Bulletin number {minute}." for minute in range(FEED_LIVE_UPDATES)]
    assert all(line in text for line in shown)
    assert "The mayor speaks at noon." not in text  # older than the latest five
    assert "bridge collapse" not in text
    newest = LiveUpdate.objects.filter(page=page).visible().newest_first().first()
    assert newest is not None
    links = [link.get("href") for link in body.iter("a")]
    assert f"{settings.MASTHEAD_SITE_URL}{page.url}?update={newest.pk}#update-{newest.pk}" in links
    assert all(link.startswith(settings.MASTHEAD_SITE_URL) for link in links)
    # The item counts as updated when an update is posted (Atom says so; RSS has no field).
    atom = feedparser.parse(client.get("/atom/").content)
    (entry,) = [entry for entry in atom.entries if entry.title == page.title]
    assert datetime.fromisoformat(entry.updated) == newest.posted_at
    assert entry.updated > entry.published

    other = [entry for entry in parsed.entries if entry.title == "Bridge to reopen"]
    assert other and "Key points" not in other[0].content[0].value


def test_json_feed_carries_the_same_live_content(client: Any, coverage: dict[str, Any]) -> None:
    data = client.get("/feed.json").json()
    (item,) = [entry for entry in data["items"] if entry["title"] == coverage["page"].title]
    assert "The mayor speaks at noon." in item["content_html"]
    assert "The river crested at 6.2 metres." in item["content_html"]
    assert "bridge collapse" not in item["content_html"]


# --- Sitemaps -------------------------------------------------------------------------------


def lastmods(client: Any, url: str) -> dict[str, datetime]:
    response = client.get(url)
    assert response.status_code == 200
    tree = etree.fromstring(response.content)
    return {
        node.findtext("s:loc", namespaces=SITEMAP_NS): datetime.fromisoformat(
            node.findtext("s:lastmod", namespaces=SITEMAP_NS)
        )
        for node in tree.xpath("s:url | s:sitemap", namespaces=SITEMAP_NS)
    }


def test_a_live_page_s_lastmod_is_its_latest_update(client: Any, coverage: dict[str, Any]) -> None:
    page = coverage["page"]
    location = f"http://testserver{page.url}"
    # The latest change is the deletion, after the last update was posted.
    deleted = LiveUpdate.objects.get(pk=coverage["gone"].pk)
    latest = LiveUpdate.objects.get(pk=coverage["latest"].pk)
    assert lastmods(client, "/sitemap-posts.xml")[location] == max(
        deleted.changed_at, latest.changed_at
    )

    later = post(page, "Water levels are falling.", 0)
    later.refresh_from_db()
    assert lastmods(client, "/sitemap-posts.xml")[location] == later.changed_at
    assert lastmods(client, "/sitemap.xml")["http://testserver/sitemap-posts.xml"] == (
        later.changed_at
    )
