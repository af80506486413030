"""Edges every discovery surface shares: private pages, characters XML cannot carry,
stories taken down, internal tags and malformed page numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import feedparser
import pytest
from django.utils import timezone
from lxml import etree
from wagtail.models import PageViewRestriction

from masthead.publishing.factories import (
    ArticleNoteFactory,
    ArticlePageFactory,
    TagFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticleNote, Tag

pytestmark = pytest.mark.django_db

FEEDS = ["/rss/", "/atom/", "/feed.json", "/tag/war/rss/", "/author/mira-valen/rss/"]


def _story(home: Any, section: Tag, author: Any, **fields: Any) -> Any:
    defaults: dict[str, Any] = {
        "parent": home,
        "section": section,
        "authors": [author],
        "first_published_at": timezone.now() - timedelta(hours=1),
    }
    return ArticlePageFactory(**(defaults | fields))


def test_a_page_behind_wagtail_privacy_is_on_no_discovery_surface(
    client: Any, home: Any, section: Tag, author: Any
) -> None:
    story = _story(
        home,
        section,
        author,
        title="Quietly drafted settlement",
        body=paragraph_blocks(["The ocelotparagraph terms of the settlement."]),
    )
    ArticleNoteFactory(page=story, kind=ArticleNote.Kind.CORRECTION, text="<p>Fixed.</p>")
    PageViewRestriction.objects.create(
        page=story, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    for url in [*FEEDS, "/corrections/", "/corrections/rss/", "/sitemap-posts.xml"]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        body = response.content.decode()
        assert "Quietly drafted settlement" not in body, url
        assert "ocelotparagraph" not in body, url
    assert (
        "Quietly drafted" not in client.get("/search/", {"q": "ocelotparagraph"}).content.decode()
    )
    assert client.get("/search/suggest/", {"q": "Quietly"}).json()["suggestions"] == []
    # A restriction on a page above the story covers it too.
    story_without = _story(home, section, author, title="Second quiet story")
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)
    assert "Second quiet story" not in client.get("/rss/").content.decode()
    PageViewRestriction.objects.filter(page=home).delete()
    assert story_without.title in client.get("/rss/").content.decode()


def test_a_control_character_in_a_headline_breaks_no_feed_or_sitemap(
    client: Any, home: Any, section: Tag, author: Any
) -> None:
    # Word's soft line break arrives as \x0b when a headline is pasted.
    _story(home, section, author, title="Power\x0bcut in the east", dek="Crews\x0c at work")
    for url in FEEDS:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".json"):
            assert response.json()["items"][0]["title"] == "Powercut in the east"
            continue
        parsed = feedparser.parse(response.content)
        assert parsed.bozo == 0, (url, parsed.bozo_exception)
        assert parsed.entries[0].title == "Powercut in the east"
    news = client.get("/sitemap-news.xml")
    titles = etree.fromstring(news.content).findall(
        ".//{http://www.google.com/schemas/sitemap-news/0.9}title"
    )
    assert [title.text for title in titles] == ["Powercut in the east"]


def test_a_story_taken_down_leaves_the_feed_even_for_a_reader_with_a_copy(
    client: Any, home: Any, section: Tag, author: Any
) -> None:
    _story(
        home,
        section,
        author,
        title="Older story",
        first_published_at=timezone.now() - timedelta(days=1),
    )
    pulled = _story(home, section, author, title="Story to be pulled")
    first = client.get("/rss/")
    pulled.unpublish()
    for headers in [
        {"if-none-match": first["ETag"]},
        {"if-modified-since": first["Last-Modified"]},
    ]:
        again = client.get("/rss/", headers=headers)
        assert again.status_code == 200, headers
        assert "Story to be pulled" not in again.content.decode()


def test_internal_tags_find_nothing_and_public_tags_find_their_stories(
    client: Any, home: Any, section: Tag, author: Any
) -> None:
    internal = TagFactory(name="#legalhold", slug="legalhold", visibility=Tag.Visibility.INTERNAL)
    public = TagFactory(name="Okapiwatch", slug="okapiwatch")
    story = _story(home, section, author, title="Tagged twice", tags=[internal, public])
    # The tests' task backend indexes inside post_save, before modelcluster writes the
    # tags; a worker indexes after the commit. Saving again indexes what a worker would.
    story.save()
    assert "Tagged twice" not in client.get("/search/", {"q": "legalhold"}).content.decode()
    assert "Tagged twice" in client.get("/search/", {"q": "okapiwatch"}).content.decode()


@pytest.mark.parametrize(
    ("url", "status", "location"),
    [
        ("/rss/01/", 301, "/rss/"),
        ("/tag/war/atom/001/", 301, "/tag/war/atom/"),
        ("/feed.json?page=\u00b2", 404, None),
        ("/feed.json?page=\u0663", 404, None),
    ],
)
def test_odd_page_numbers_redirect_to_the_first_page_or_are_not_found(
    client: Any, home: Any, section: Tag, author: Any, url: str, status: int, location: str | None
) -> None:
    _story(home, section, author)
    response = client.get(url)
    assert response.status_code == status
    if location is not None:
        assert response["Location"] == location
