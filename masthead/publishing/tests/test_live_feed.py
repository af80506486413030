"""One live page's RSS, Atom and JSON feeds, and what ``<slug>/rss/`` does for other pages."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import jsonschema
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from masthead.publishing import actions
from masthead.publishing.factories import (
    LivePageFactory,
    PhotoFactory,
    StandardPageFactory,
    image_block,
    paragraph_blocks,
)
from masthead.publishing.feeds import FEED_SIZE
from masthead.publishing.models import LivePage, LiveUpdate, StandardPage

pytestmark = pytest.mark.django_db

SITE = settings.MASTHEAD_SITE_URL
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "jsonfeed-1.1.json").read_text())
LONG = "Crowds gather outside the electoral commission as the first results from the north arrive"


@pytest.fixture
def page(home: Any) -> LivePage:
    return LivePageFactory(
        parent=home, slug="election-night", title="Election night", dek="Every result."
    )


@pytest.fixture
def coverage(page: LivePage, author: Any) -> dict[str, Any]:
    """Three updates: one with a headline and a photo, one without, and a deleted one."""
    now = timezone.now()
    photo = PhotoFactory(caption="Counting in Velna", credit="Ana Rusu")
    headed = actions.post_live_update(
        page=page,
        headline="Polls close",
        body=[*paragraph_blocks(["See <a href='/tag/war/'>our coverage</a>."]), image_block(photo)],
        author=author,
        posted_at=now - timedelta(minutes=20),
    )
    plain = actions.post_live_update(
        page=page, body=paragraph_blocks([LONG]), posted_at=now - timedelta(minutes=10)
    )
    deleted = actions.post_live_update(
        page=page, body=paragraph_blocks(["A wrong figure."]), posted_at=now
    )
    actions.delete_live_update(update=deleted)
    return {"headed": headed, "plain": plain, "deleted": deleted}


def test_the_url_names(page: LivePage) -> None:
    assert reverse("publishing:live_feed_rss", args=["election-night"]) == "/election-night/rss/"
    assert reverse("publishing:live_feed_atom", args=["election-night"]) == "/election-night/atom/"
    assert (
        reverse("publishing:live_feed_json", args=["election-night"]) == "/election-night/feed.json"
    )
    assert (
        reverse("publishing:live_updates", args=["election-night"])
        == "/election-night/updates.json"
    )


def test_the_rss_lists_visible_updates_newest_first(client: Any, coverage: Any) -> None:
    response = client.get("/election-night/rss/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.feed.title == "Election night"
    assert feed.feed.link == f"{SITE}/election-night/"
    assert [entry.title for entry in feed.entries] == [
        "Crowds gather outside the electoral commission as the first results from the…",
        "Polls close",
    ]
    plain, headed = coverage["plain"], coverage["headed"]
    for entry, update in zip(feed.entries, [plain, headed], strict=True):
        assert entry.link == f"{SITE}/election-night/?update={update.pk}#update-{update.pk}"
        assert entry.id == f"{update.page.ghost_id}-update-{update.pk}"
        assert entry.guidislink is False
        assert entry.published_parsed[:6] == update.posted_at.utctimetuple()[:6]
    assert "A wrong figure" not in response.content.decode()


def test_an_item_carries_its_body_portably_and_its_author(client: Any, coverage: Any) -> None:
    feed = feedparser.parse(client.get("/election-night/rss/").content)
    headed = feed.entries[1]
    assert headed.author == "Mira Valen"
    content = headed.content[0].value
    assert f'href="{SITE}/tag/war/"' in content
    assert f'href="{SITE}/author/mira-valen/"' in content
    [image] = content.split("<img")[1:]
    src = image.split('src="')[1].split('"')[0]
    assert src.startswith(f"{SITE}/") and "/images/" in urlsplit(src).path
    assert "Counting in Velna" in content and "Ana Rusu" in content
    assert feed.entries[0].summary == LONG


def test_the_atom_feed_is_valid_and_has_the_same_items(client: Any, coverage: Any) -> None:
    response = client.get("/election-night/atom/")
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.version == "atom10"
    assert [entry.title for entry in feed.entries][1] == "Polls close"
    assert all(entry.id.startswith("urn:uuid:") for entry in feed.entries)
    assert all("?update=" in entry.link for entry in feed.entries)
    assert all(entry.updated_parsed for entry in feed.entries)


def test_the_json_feed_is_json_feed_1_1(client: Any, coverage: Any) -> None:
    response = client.get("/election-night/feed.json")
    assert response.status_code == 200
    data = response.json()
    jsonschema.validate(data, SCHEMA)
    assert data["home_page_url"] == f"{SITE}/election-night/"
    assert data["feed_url"] == f"{SITE}/election-night/feed.json"
    assert [item["title"] for item in data["items"]][1] == "Polls close"
    assert data["items"][1]["authors"] == [
        {"name": "Mira Valen", "url": f"{SITE}/author/mira-valen/"}
    ]


def test_the_feed_holds_the_latest_twenty(client: Any, page: LivePage) -> None:
    now = timezone.now()
    for number in range(FEED_SIZE + 5):
        actions.post_live_update(
            page=page,
            body=paragraph_blocks([f"Update number {number}."]),
            posted_at=now - timedelta(minutes=FEED_SIZE + 5 - number),
        )
    feed = feedparser.parse(client.get("/election-night/rss/").content)
    assert len(feed.entries) == FEED_SIZE
    assert feed.entries[0].title == f"Update number {FEED_SIZE + 4}."
    assert feed.entries[-1].title == "Update number 5."


def test_feeds_are_cacheable_and_answer_304_by_etag(client: Any, coverage: Any) -> None:
    for url in ["/election-night/rss/", "/election-night/atom/", "/election-night/feed.json"]:
        response = client.get(url)
        parts = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"public", "max-age=300"} <= parts
        etag = response["ETag"]
        unchanged = client.get(url, headers={"if-none-match": etag})
        assert unchanged.status_code == 304
        assert unchanged.content == b""


def test_a_new_update_changes_the_etag(client: Any, coverage: Any, page: LivePage) -> None:
    etag = client.get("/election-night/rss/")["ETag"]
    actions.post_live_update(page=page, body=paragraph_blocks(["Results from the south."]))
    response = client.get("/election-night/rss/", headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "Results from the south." in response.content.decode()


def test_an_edit_reaches_the_feed(client: Any, coverage: Any) -> None:
    actions.edit_live_update(
        update=coverage["headed"], headline="Polls closed", body=paragraph_blocks(["Closed."])
    )
    feed = feedparser.parse(client.get("/election-night/rss/").content)
    assert "Polls closed" in [entry.title for entry in feed.entries]


# --- Other pages at <slug>/rss/ ------------------------------------------------------------------


def test_a_wagtail_page_at_a_two_segment_path_still_answers(client: Any, home: Any) -> None:
    about = StandardPageFactory(parent=home, slug="about", title="About us")
    # "rss" and "atom" are reserved slugs now; an older or imported page may still have one.
    feeds = StandardPageFactory(parent=about, slug="our-feeds", title="Our feeds explained")
    atom = StandardPageFactory(parent=about, slug="about-atom", title="Atom explained")
    StandardPage.objects.filter(pk=feeds.pk).update(slug="rss", url_path="/home/about/rss/")
    StandardPage.objects.filter(pk=atom.pk).update(slug="atom", url_path="/home/about/atom/")

    response = client.get("/about/rss/")
    assert response.status_code == 200
    assert "Our feeds explained" in response.content.decode()
    assert "Atom explained" in client.get("/about/atom/").content.decode()
    missing = client.get("/about/feed.json")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("text/html")


def test_no_feed_for_what_is_not_a_public_live_page(
    client: Any, home: Any, page: LivePage, coverage: Any
) -> None:
    LivePageFactory(parent=home, slug="draft-coverage", live=False)
    for url in ["/nowhere/rss/", "/draft-coverage/rss/", "/draft-coverage/atom/"]:
        assert client.get(url).status_code == 404, url
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    assert client.get("/election-night/rss/").status_code == 404
    assert client.get("/election-night/feed.json").status_code == 404


def test_a_feed_runs_the_same_queries_for_one_or_twenty_updates(
    page_cache_off, client: Any, page: LivePage, author: Any
) -> None:
    photo = PhotoFactory()

    def post(number: int) -> LiveUpdate:
        return actions.post_live_update(
            page=page,
            body=[*paragraph_blocks([f"Update {number}."]), image_block(photo)],
            author=author,
        )

    counts = []
    post(0)
    for more in [0, FEED_SIZE - 1]:
        for number in range(more):
            post(number + 1)
        client.get("/election-night/rss/")  # renditions are made on the first request
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/election-night/rss/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
