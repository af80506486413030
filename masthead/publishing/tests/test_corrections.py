"""The corrections archive and its feeds: what is listed, gating, paging, query counts."""

from __future__ import annotations

import json
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import html as lxml_html

from masthead.membership.access import Visibility
from masthead.publishing.corrections import PAGE_SIZE
from masthead.publishing.factories import (
    ArticleNoteFactory,
    ArticlePageFactory,
    StandardPageFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticleNote, SiteSettings

pytestmark = pytest.mark.django_db

SITE = settings.MASTHEAD_SITE_URL
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "jsonfeed-1.1.json").read_text())
SECRET_WORD = "zanzibarquokka"


@pytest.fixture
def notes(home: Any, site: Any) -> dict[str, Any]:
    site_settings = SiteSettings.for_site(site)
    site_settings.timezone = "Europe/Kyiv"
    site_settings.save()
    now = timezone.now()
    public = ArticlePageFactory(parent=home, title="Drone attack hits power station", slug="drone")
    gated = ArticlePageFactory(
        parent=home,
        title="Inside the harbour deal",
        slug="harbour-deal",
        visibility=Visibility.PAID,
        body=paragraph_blocks([f"The {SECRET_WORD} finding."]),
    )
    email_only = ArticlePageFactory(parent=home, title="A letter", email_only=True)
    draft = ArticlePageFactory(parent=home, title="Unpublished story", live=False)
    return {
        "public": public,
        "gated": gated,
        "correction": ArticleNoteFactory(
            page=public,
            kind=ArticleNote.Kind.CORRECTION,
            noted_at=now - timedelta(hours=3),
            text="<p>An earlier version misstated the number of drones.</p>",
        ),
        "clarification": ArticleNoteFactory(
            page=public,
            kind=ArticleNote.Kind.CLARIFICATION,
            noted_at=now - timedelta(hours=1),
            text='<p>The station is <a href="/tag/energy/">run by the city</a>.</p>',
        ),
        "update": ArticleNoteFactory(
            page=public,
            kind=ArticleNote.Kind.UPDATE,
            noted_at=now - timedelta(minutes=30),
            text="<p>Power is back everywhere.</p>",
        ),
        "gated_note": ArticleNoteFactory(
            page=gated,
            noted_at=now - timedelta(hours=2),
            text=f"<p>The {SECRET_WORD} figure was wrong.</p>",
        ),
        "hidden": [
            ArticleNoteFactory(page=email_only, text="<p>Email-only correction.</p>"),
            ArticleNoteFactory(page=draft, text="<p>Draft correction.</p>"),
        ],
    }


def page_of(response: Any) -> Any:
    assert response.status_code == 200
    return lxml_html.fromstring(response.content)


def test_the_archive_lists_corrections_and_clarifications_newest_first(
    client: Any, notes: Any
) -> None:
    doc = page_of(client.get("/corrections/"))
    items = doc.find_class("correction")
    assert [item.find_class("correction__kind")[0].text_content() for item in items] == [
        "Clarification",
        "Correction",
        "Correction",
    ]
    titles = [item.find(".//h2/a") for item in items]
    assert [(a.text_content(), a.get("href")) for a in titles] == [
        ("Drone attack hits power station", "/drone/"),
        ("Inside the harbour deal", "/harbour-deal/"),
        ("Drone attack hits power station", "/drone/"),
    ]
    text = doc.text_content()
    assert "An earlier version misstated the number of drones." in text
    # Updates are not corrections; email-only and unpublished stories are not listed.
    for absent in ["Power is back everywhere.", "Email-only correction.", "Draft correction."]:
        assert absent not in text


def test_times_are_in_the_site_timezone(client: Any, notes: Any) -> None:
    doc = page_of(client.get("/corrections/"))
    noted_at = notes["correction"].noted_at
    kyiv = noted_at.astimezone(zoneinfo.ZoneInfo("Europe/Kyiv"))
    (time,) = [t for t in doc.iter("time") if t.get("datetime") == kyiv.isoformat()]
    assert time.text_content() == kyiv.strftime("%-d %B %Y, %H:%M")


def test_a_note_on_a_gated_story_shows_only_to_readers_who_may_read_it(
    client: Any, notes: Any, member_client: Any, make_member: Any, supporter: Any
) -> None:
    anonymous = client.get("/corrections/").content.decode()
    assert "Inside the harbour deal" in anonymous
    assert SECRET_WORD not in anonymous
    assert "on a story for members" in anonymous

    paying = member_client(make_member("paid@example.org", comp=supporter))
    assert f"The {SECRET_WORD} figure was wrong." in paying.get("/corrections/").content.decode()


def test_show_more_pages_by_cursor_and_partial_returns_only_items(client: Any, home: Any) -> None:
    now = timezone.now()
    story = ArticlePageFactory(parent=home, title="A much corrected story")
    for i in range(PAGE_SIZE + 2):
        ArticleNoteFactory(page=story, noted_at=now - timedelta(minutes=i), text=f"<p>Fix {i}.</p>")
    doc = page_of(client.get("/corrections/"))
    assert len(doc.find_class("correction")) == PAGE_SIZE
    (more,) = [a for a in doc.iter("a") if a.get("data-show-more") is not None]
    partial = client.get(more.get("href") + "&partial=1")
    assert partial.status_code == 200
    content = partial.content.decode()
    assert "<html" not in content
    assert f"Fix {PAGE_SIZE}." in content and f"Fix {PAGE_SIZE + 1}." in content
    assert "Fix 0." not in content
    # A malformed cursor means the first page, never an error.
    assert client.get("/corrections/?before=not-a-cursor").status_code == 200


def test_an_empty_archive_says_so(client: Any, home: Any) -> None:
    doc = page_of(client.get("/corrections/"))
    assert doc.find_class("empty-state")
    assert "No corrections or clarifications yet" in doc.text_content()


def test_the_policy_page_is_linked_when_set(client: Any, home: Any, site: Any) -> None:
    assert "Our corrections policy" not in client.get("/corrections/").content.decode()
    policy = StandardPageFactory(parent=home, title="Corrections policy", slug="corrections-policy")
    site_settings = SiteSettings.for_site(site)
    site_settings.corrections_policy_page = policy
    site_settings.save()
    doc = page_of(client.get("/corrections/"))
    links = {a.text_content(): a.get("href") for a in doc.iter("a")}
    assert links["Our corrections policy"] == "/corrections-policy/"


def test_the_archive_advertises_its_feeds(client: Any, home: Any) -> None:
    doc = page_of(client.get("/corrections/"))
    alternates = [link.get("href") for link in doc.iter("link") if link.get("rel") == "alternate"]
    assert {"/corrections/rss/", "/corrections/atom/", "/corrections/feed.json"} <= set(alternates)
    # The site's own feeds stay advertised too.
    assert {"/rss/", "/atom/", "/feed.json"} <= set(alternates)


# --- Feeds ---------------------------------------------------------------------------------------


def test_the_corrections_feeds_have_one_item_per_note(client: Any, notes: Any) -> None:
    for url in ["/corrections/rss/", "/corrections/atom/"]:
        response = client.get(url)
        assert response.status_code == 200
        parsed = feedparser.parse(response.content)
        assert parsed.bozo == 0, parsed.bozo_exception
        assert [entry.title for entry in parsed.entries] == [
            "Clarification: Drone attack hits power station",
            "Correction: Inside the harbour deal",
            "Correction: Drone attack hits power station",
        ]
        clarification = parsed.entries[0]
        assert clarification.link == f"{SITE}/drone/"
        assert (
            clarification.published_parsed[:6]
            == (notes["clarification"].noted_at.utctimetuple()[:6])
        )
        assert [tag.term for tag in clarification.tags] == ["Clarification"]
        body = lxml_html.fromstring(clarification.content[0].value)
        assert {a.get("href") for a in body.iter("a")} == {
            f"{SITE}/tag/energy/",
            f"{SITE}/drone/",
        }
        assert len({entry.id for entry in parsed.entries}) == 3
        assert SECRET_WORD not in response.content.decode()
        assert "misstated the number of drones" in response.content.decode()

    data = client.get("/corrections/feed.json").json()
    jsonschema.validate(data, SCHEMA)
    assert [item["title"] for item in data["items"]][1] == "Correction: Inside the harbour deal"
    assert data["items"][1]["summary"] == "A correction on a story for members."


def test_the_corrections_feed_is_cacheable(client: Any, notes: Any) -> None:
    response = client.get("/corrections/rss/")
    assert "public" in response["Cache-Control"]
    assert (
        client.get("/corrections/rss/", headers={"if-none-match": response["ETag"]}).status_code
        == 304
    )


# --- Query budget --------------------------------------------------------------------------------


def _notes(home: Any, tier: Any, count: int) -> None:
    for i in range(count):
        story = ArticlePageFactory(
            parent=home,
            visibility=Visibility.TIERS if i % 2 else Visibility.PUBLIC,
            tiers=[tier] if i % 2 else [],
        )
        ArticleNoteFactory(
            page=story, text=f'<p>See <a linktype="page" id="{story.pk}">the story</a>.</p>'
        )


@pytest.mark.parametrize("url", ["/corrections/", "/corrections/rss/", "/corrections/feed.json"])
def test_the_archive_and_its_feeds_run_fixed_queries(
    page_cache_off, client: Any, home: Any, supporter: Any, url: str, django_assert_num_queries: Any
) -> None:
    counts = []
    for size in [2, PAGE_SIZE + 5]:
        _notes(home, supporter, size)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_num_queries(counts[1]):
        client.get(url)
