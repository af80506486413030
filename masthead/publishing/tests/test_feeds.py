"""RSS, Atom and JSON Feed: what they carry, what they never carry, caching and query counts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from django.conf import settings
from django.utils import timezone
from lxml import etree
from lxml import html as lxml_html
from wagtail.embeds.models import Embed

from masthead.membership.access import Visibility
from masthead.publishing.factories import (
    ArticleNoteFactory,
    ArticlePageFactory,
    AuthorFactory,
    PhotoFactory,
    TagFactory,
    image_block,
    paragraph_blocks,
)
from masthead.publishing.feeds import FEED_SIZE
from masthead.publishing.models import ArticleNote, SiteSettings, Tag

pytestmark = pytest.mark.django_db

SITE = settings.MASTHEAD_SITE_URL
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "jsonfeed-1.1.json").read_text())
ATOM = "{http://www.w3.org/2005/Atom}"
SECRET_WORD = "zanzibarquokka"
POST = "https://social.example/@velna/1234"


@pytest.fixture
def newsroom(home: Any, site: Any, section: Tag, author: Any) -> dict[str, Any]:
    """A public story full of blocks, a gated story, an email-only one, a brief and tags."""
    site_settings = SiteSettings.for_site(site)
    site_settings.publication_name = "The Test Independent"
    site_settings.tagline = "News from Arvenia"
    site_settings.save()
    now = timezone.now()
    topic = TagFactory(name="Energy", slug="energy")
    internal = TagFactory(name="#desk-only", slug="desk-only", visibility=Tag.Visibility.INTERNAL)
    second = AuthorFactory(name="Ilan Dorre", slug="ilan-dorre")
    Embed.objects.create(
        url=POST,
        hash="1" * 32,
        type="rich",
        html="<iframe src='https://social.example/embed/1234'></iframe>",
        title="Port authority on the strike",
        provider_name="Social Example",
        thumbnail_url="https://cdn.social.example/thumb.jpg",
    )
    older = ArticlePageFactory(
        parent=home,
        title="Reservoir levels fall",
        slug="reservoir-levels-fall",
        section=section,
        authors=[author],
        first_published_at=now - timedelta(days=2),
    )
    story = ArticlePageFactory(
        parent=home,
        title="Drone attack hits power station",
        slug="drone-attack",
        dek="Engineers restore power to half of the city within hours.",
        section=section,
        tags=[topic, internal],
        authors=[author, second],
        lead_image=PhotoFactory(title="Power station"),
        first_published_at=now - timedelta(hours=3),
        body=[
            {
                "type": "paragraph",
                "value": (
                    f'<p>See <a linktype="page" id="{older.pk}">the reservoir story</a> '
                    'and <a href="/tag/war/">our war coverage</a>.</p>'
                ),
            },
            image_block(PhotoFactory(caption="Crews at work", credit="Ana Rusu")),
            {"type": "embed", "value": {"embed": POST, "caption": "The announcement"}},
            {
                "type": "video",
                "value": {
                    "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    "title": "The repairs in two minutes",
                    "caption": "",
                    "poster": None,
                },
            },
            {"type": "read_also", "value": {"article": older.pk, "label": "Read also"}},
            {"type": "membership_drive", "value": {"campaign": None}},
            {"type": "paywall", "value": None},
            *paragraph_blocks(["The last paragraph of a public story."]),
        ],
    )
    ArticleNoteFactory(
        page=story,
        kind=ArticleNote.Kind.CORRECTION,
        noted_at=now - timedelta(hours=1),
        text="<p>An earlier version misstated the number of drones.</p>",
    )
    gated = ArticlePageFactory(
        parent=home,
        title="Inside the harbour deal",
        slug="harbour-deal",
        dek="",
        section=section,
        authors=[author],
        visibility=Visibility.PAID,
        first_published_at=now - timedelta(hours=2),
        body=[
            *paragraph_blocks(["Aardvarkprelude: the opening anyone may read."]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([f"The {SECRET_WORD} finding is for paying members only."]),
        ],
    )
    ArticleNoteFactory(page=gated, text=f"<p>The {SECRET_WORD} figure was wrong.</p>")
    email_only = ArticlePageFactory(
        parent=home,
        title="A letter for subscribers only",
        slug="letter",
        email_only=True,
        section=section,
        authors=[author],
        first_published_at=now - timedelta(minutes=30),
    )
    brief = ArticlePageFactory(
        parent=home,
        brief=True,
        title="Power back in the east",
        slug="power-back",
        section=section,
        first_published_at=now - timedelta(minutes=10),
    )
    return {
        "story": story,
        "older": older,
        "gated": gated,
        "email_only": email_only,
        "brief": brief,
        "author": author,
        "second": second,
        "topic": topic,
        "internal": internal,
        "section": section,
    }


def get_feed(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.bozo_exception)
    return parsed


def entry(parsed: Any, title: str) -> Any:
    (found,) = [item for item in parsed.entries if item.title == title]
    return found


# --- What the feeds carry ------------------------------------------------------------------------


def test_the_site_rss_lists_listed_articles_newest_first(client: Any, newsroom: Any) -> None:
    response = client.get("/rss/")
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    parsed = get_feed(client, "/rss/")

    assert parsed.version == "rss20"
    assert parsed.feed.title == "The Test Independent"
    assert parsed.feed.link == f"{SITE}/"
    assert [item.title for item in parsed.entries] == [
        "Power back in the east",
        "Inside the harbour deal",
        "Drone attack hits power station",
        "Reservoir levels fall",
    ]
    assert "A letter for subscribers only" not in response.content.decode()


def test_an_rss_item_carries_ghost_s_fields(client: Any, newsroom: Any) -> None:
    story = newsroom["story"]
    item = entry(get_feed(client, "/rss/"), story.title)

    assert item.link == f"{SITE}/drone-attack/"
    assert item.id == story.ghost_id
    assert item.guidislink is False
    assert item.summary == story.dek
    assert [author["name"] for author in item.authors] == ["Mira Valen", "Ilan Dorre"]
    # Section and public tags; never the internal one.
    assert [tag.term for tag in item.tags] == ["War", "Energy"]
    assert item.published_parsed[:6] == story.first_published_at.utctimetuple()[:6]
    (enclosure,) = item.enclosures
    assert enclosure.href.startswith(f"{SITE}/media/images/")
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) > 0
    (media,) = item.media_content
    assert media["url"] == enclosure.href
    assert media["medium"] == "image"


def test_the_rss_document_declares_its_namespaces_and_one_creator_per_author(
    client: Any, newsroom: Any
) -> None:
    root = etree.fromstring(client.get("/rss/").content)
    item = next(
        node for node in root.iter("item") if node.findtext("title") == newsroom["story"].title
    )
    creators = item.findall("{http://purl.org/dc/elements/1.1/}creator")
    assert [node.text for node in creators] == ["Mira Valen", "Ilan Dorre"]
    assert item.find("{http://purl.org/rss/1.0/modules/content/}encoded") is not None
    assert item.find("{http://search.yahoo.com/mrss/}content") is not None
    assert item.find("enclosure") is not None
    assert root.find("channel/ttl").text == "60"


def test_a_public_body_is_whole_absolute_and_free_of_site_only_blocks(
    client: Any, newsroom: Any
) -> None:
    item = entry(get_feed(client, "/rss/"), newsroom["story"].title)
    body = lxml_html.fromstring(item.content[0].value)
    text = body.text_content()

    assert "The last paragraph of a public story." in text
    links = {a.text_content().strip(): a.get("href") for a in body.iter("a")}
    assert links["the reservoir story"] == f"{SITE}/reservoir-levels-fall/"
    assert links["our war coverage"] == f"{SITE}/tag/war/"
    assert links["Port authority on the strike"] == POST
    assert links["Watch “The repairs in two minutes” on YouTube"] == (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
    assert links["Reservoir levels fall"] == f"{SITE}/reservoir-levels-fall/"
    images = [img.get("src") for img in body.iter("img")]
    assert len(images) == 2  # the lead image, then the photo in the body
    assert all(src.startswith(f"{SITE}/media/images/") for src in images)
    assert "Crews at work" in text
    # Embeds become links: no player, script or provider thumbnail.
    assert body.findall(".//iframe") == [] and body.findall(".//script") == []
    assert "cdn.social.example" not in item.content[0].value
    # No membership drive, no paywall marker.
    assert "/members/join/" not in item.content[0].value
    assert "become a member" not in text.lower()
    # Its correction, which quotes the public story, comes with it.
    assert "An earlier version misstated the number of drones." in text


def test_gated_text_appears_in_no_feed(client: Any, newsroom: Any) -> None:
    gated = newsroom["gated"]
    urls = [
        f"{prefix}{suffix}"
        for prefix in ["/", "/tag/war/", f"/author/{newsroom['author'].slug}/"]
        for suffix in ["rss/", "atom/", "feed.json"]
    ]
    for url in urls:
        response = client.get(url)
        content = response.content.decode()
        assert gated.title in content, url
        assert "Aardvarkprelude" in content, url
        assert SECRET_WORD not in content, url
        # The public story's full text is there in the same document.
        assert "The last paragraph of a public story." in content, url


def test_a_gated_item_is_its_excerpt_and_a_link_to_the_site(client: Any, newsroom: Any) -> None:
    item = entry(get_feed(client, "/rss/"), newsroom["gated"].title)
    body = lxml_html.fromstring(item.content[0].value)

    assert item.summary.startswith("Aardvarkprelude")
    assert "This story is for members." in body.text_content()
    assert f"{SITE}/harbour-deal/" in [a.get("href") for a in body.iter("a")]


def test_atom_has_every_required_element(client: Any, newsroom: Any) -> None:
    response = client.get("/atom/")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ["id", "title", "updated"]:
        assert root.find(f"{ATOM}{required}") is not None, required
    assert root.find(f"{ATOM}author/{ATOM}name").text == "The Test Independent"
    self_links = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_links[0].get("href") == f"{SITE}/atom/"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4
    for node in entries:
        for required in ["id", "title", "updated"]:
            assert node.find(f"{ATOM}{required}") is not None, required
        assert node.find(f"{ATOM}id").text.startswith("urn:uuid:")
        assert node.find(f"{ATOM}link[@rel='alternate']").get("href").startswith(SITE)
    parsed = get_feed(client, "/atom/")
    assert parsed.version == "atom10"
    story = entry(parsed, newsroom["story"].title)
    assert [author["name"] for author in story.authors] == ["Mira Valen", "Ilan Dorre"]
    assert "The last paragraph of a public story." in story.content[0].value


def test_updated_dates_follow_real_changes_not_republishing(client: Any, newsroom: Any) -> None:
    """An editor's "updated" and a correction move the date; a republished typo fix does not."""
    story, older = newsroom["story"], newsroom["older"]
    note = story.notes.get()
    later = timezone.now() + timedelta(minutes=5)
    type(older).objects.filter(pk=older.pk).update(last_published_at=later)
    edited = timezone.now() - timedelta(minutes=5)
    type(story).objects.filter(pk=newsroom["brief"].pk).update(updated_at=edited)

    parsed = get_feed(client, "/atom/")
    assert (
        entry(parsed, older.title).updated_parsed[:6]
        == (older.first_published_at.utctimetuple()[:6])
    )
    assert entry(parsed, story.title).updated_parsed[:6] == note.noted_at.utctimetuple()[:6]
    assert entry(parsed, newsroom["brief"].title).updated_parsed[:6] == (edited.utctimetuple()[:6])
    # The feed is as new as its newest change.
    assert parsed.feed.updated_parsed[:6] == edited.utctimetuple()[:6]
    data = client.get("/feed.json").json()
    (brief,) = [item for item in data["items"] if item["title"] == newsroom["brief"].title]
    assert brief["date_modified"] == edited.isoformat()


def test_json_feed_is_valid_json_feed_1_1(client: Any, newsroom: Any) -> None:
    response = client.get("/feed.json")
    assert response["Content-Type"] == "application/feed+json"
    data = response.json()
    jsonschema.validate(data, SCHEMA)

    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["feed_url"] == f"{SITE}/feed.json"
    assert data["home_page_url"] == f"{SITE}/"
    (story,) = [item for item in data["items"] if item["title"] == newsroom["story"].title]
    assert story["id"] == newsroom["story"].ghost_id
    assert story["url"] == f"{SITE}/drone-attack/"
    assert story["image"].startswith(f"{SITE}/media/images/")
    assert story["summary"] == newsroom["story"].dek
    assert story["tags"] == ["War", "Energy"]
    assert [author["name"] for author in story["authors"]] == ["Mira Valen", "Ilan Dorre"]
    assert story["authors"][0]["url"] == f"{SITE}/author/mira-valen/"
    assert story["date_published"] == newsroom["story"].first_published_at.isoformat()


def test_the_schema_refuses_what_json_feed_forbids() -> None:
    """The schema is not a rubber stamp: items need an id, versions must be JSON Feed's."""
    item = {"id": "1", "content_text": "Words."}
    valid = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [item]}
    jsonschema.validate(valid, SCHEMA)
    for broken in [
        {**valid, "version": "1.1"},
        {**valid, "items": [{"content_text": "no id"}]},
        {**valid, "items": [{"id": "1"}]},
        {**valid, "items": [{**item, "date_published": "yesterday"}]},
        {**valid, "items": [{**item, "authors": [{}]}]},
        {key: value for key, value in valid.items() if key != "title"},
    ]:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


# --- Tag, author and News Feed feeds -------------------------------------------------------------


def test_a_tag_feed_lists_the_tag_s_articles(client: Any, newsroom: Any) -> None:
    parsed = get_feed(client, "/tag/energy/rss/")
    assert parsed.feed.title == "Energy - The Test Independent"
    assert parsed.feed.link == f"{SITE}/tag/energy/"
    assert [item.title for item in parsed.entries] == [newsroom["story"].title]
    section = get_feed(client, "/tag/war/atom/")
    assert len(section.entries) == 4


def test_an_author_feed_lists_their_bylines(client: Any, newsroom: Any) -> None:
    parsed = get_feed(client, "/author/ilan-dorre/rss/")
    assert parsed.feed.title == "Ilan Dorre - The Test Independent"
    assert [item.title for item in parsed.entries] == [newsroom["story"].title]
    data = client.get("/author/mira-valen/feed.json").json()
    jsonschema.validate(data, SCHEMA)
    assert {item["title"] for item in data["items"]} == {
        "Drone attack hits power station",
        "Inside the harbour deal",
        "Reservoir levels fall",
    }


def test_the_news_feed_feed_lists_only_briefs(client: Any, newsroom: Any) -> None:
    for url in ["/news-feed/rss/", "/news-feed/atom/"]:
        parsed = get_feed(client, url)
        assert [item.title for item in parsed.entries] == ["Power back in the east"]
    data = client.get("/news-feed/feed.json").json()
    jsonschema.validate(data, SCHEMA)
    assert [item["title"] for item in data["items"]] == ["Power back in the east"]


@pytest.mark.parametrize(
    "url",
    [
        "/tag/desk-only/rss/",
        "/tag/desk-only/feed.json",
        "/tag/no-such-tag/atom/",
        "/author/nobody/rss/",
        "/author/nobody/feed.json",
        "/rss/0/",
        "/rss/2/",
        "/atom/99999999999999999999999/",
        "/feed.json?page=2",
        "/feed.json?page=0",
        "/feed.json?page=abc",
        "/feed.json?page=-1",
    ],
)
def test_unknown_internal_or_out_of_range_feeds_are_not_found(
    client: Any, newsroom: Any, url: str
) -> None:
    assert client.get(url).status_code == 404


def test_older_pages_follow_ghost_s_paths(client: Any, home: Any, section: Tag) -> None:
    now = timezone.now()
    for i in range(FEED_SIZE + 3):
        ArticlePageFactory(
            parent=home, title=f"Story {i}", first_published_at=now - timedelta(hours=i)
        )
    first = get_feed(client, "/rss/")
    assert len(first.entries) == FEED_SIZE
    assert [link.href for link in first.feed.links if link.rel == "next"] == [f"{SITE}/rss/2/"]
    second = get_feed(client, "/rss/2/")
    assert [item.title for item in second.entries] == [
        f"Story {i}" for i in range(FEED_SIZE, FEED_SIZE + 3)
    ]
    assert not [link for link in second.feed.links if link.rel == "next"]
    redirect = client.get("/rss/1/")
    assert redirect.status_code == 301 and redirect["Location"] == "/rss/"
    data = client.get("/feed.json").json()
    assert data["next_url"] == f"{SITE}/feed.json?page=2"
    assert len(client.get("/feed.json?page=2").json()["items"]) == 3
    assert client.get("/rss/3/").status_code == 404


# --- Caching -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/rss/", "/atom/", "/feed.json", "/tag/war/rss/"])
def test_feeds_are_cacheable_and_answer_304_when_unchanged(
    client: Any, newsroom: Any, url: str
) -> None:
    response = client.get(url)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=300"} <= cache_control
    assert any(part.startswith("stale-while-revalidate=") for part in cache_control)
    etag = response["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response["Last-Modified"]

    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    # A date alone never gives a 304: a story taken down would not move the feed's date.
    since = client.get(url, headers={"if-modified-since": response["Last-Modified"]})
    assert since.status_code == 200
    assert client.get(url, headers={"if-none-match": '"something-else"'}).status_code == 200


def test_a_change_to_a_listed_story_changes_the_etag(client: Any, newsroom: Any) -> None:
    before = client.get("/rss/")["ETag"]
    story = newsroom["story"]
    story.title = "Drone attack hits two power stations"
    story.save_revision().publish()
    after = client.get("/rss/", headers={"if-none-match": before})
    assert after.status_code == 200
    assert after["ETag"] != before
    assert "two power stations" in after.content.decode()


# --- Query budget --------------------------------------------------------------------------------


def _archive(home: Any, section: Tag, count: int) -> None:
    now = timezone.now()
    photo = PhotoFactory()
    tag = Tag.objects.get_or_create(slug="energy", defaults={"name": "Energy"})[0]
    authors = [AuthorFactory(), AuthorFactory()]
    linked = ArticlePageFactory(parent=home, first_published_at=now - timedelta(days=400))
    for i in range(count):
        story = ArticlePageFactory(
            parent=home,
            section=section,
            tags=[tag],
            authors=authors,
            lead_image=PhotoFactory(),
            visibility=Visibility.PAID if i % 3 == 0 else Visibility.PUBLIC,
            first_published_at=now - timedelta(hours=i),
            body=[
                {
                    "type": "paragraph",
                    "value": f'<p>See <a linktype="page" id="{linked.pk}">this</a>.</p>',
                },
                image_block(photo),
                {"type": "read_also", "value": {"article": linked.pk, "label": "Read also"}},
                {"type": "embed", "value": {"embed": POST, "caption": ""}},
                {"type": "paywall", "value": None},
                *paragraph_blocks(["More words."]),
            ],
        )
        ArticleNoteFactory(page=story)


FEED_URLS = ["/rss/", "/atom/", "/feed.json", "/tag/energy/rss/"]


def test_a_feed_runs_the_same_queries_for_a_small_or_large_archive(
    page_cache_off, client: Any, home: Any, section: Tag, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, list[int]] = {url: [] for url in FEED_URLS}
    # A few stories, then more than a whole feed of them (each feed shows FEED_SIZE).
    for size in [3, FEED_SIZE]:
        _archive(home, section, size)
        for url in FEED_URLS:
            client.get(url)  # renditions are made on the first request
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[url].append(len(queries))
    for url, (small, large) in counts.items():
        assert small == large, (url, small, large)
        with django_assert_num_queries(large):
            client.get(url)
        assert large <= 20, url


# --- Where the feeds are advertised --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "own"),
    [
        ("/tag/energy/", "/tag/energy/"),
        ("/author/ilan-dorre/", "/author/ilan-dorre/"),
        ("/news-feed/", "/news-feed/"),
    ],
)
def test_listing_pages_advertise_the_site_s_feeds_and_their_own(
    client: Any, newsroom: Any, url: str, own: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    doc = lxml_html.fromstring(response.content)
    alternates = {
        (link.get("type"), link.get("href"))
        for link in doc.iter("link")
        if link.get("rel") == "alternate"
    }
    for prefix in ["/", own]:
        assert ("application/rss+xml", f"{prefix}rss/") in alternates
        assert ("application/atom+xml", f"{prefix}atom/") in alternates
        assert ("application/feed+json", f"{prefix}feed.json") in alternates
    # A visible link too, named for screen readers.
    (visible,) = list(doc.find_class("feed-link")[0].iter("a"))
    assert visible.get("href") == f"{own}rss/"
    assert visible.text_content().startswith("RSS feed of")


def test_every_page_advertises_the_site_s_feeds(client: Any, newsroom: Any) -> None:
    doc = lxml_html.fromstring(client.get(newsroom["story"].url).content)
    alternates = [link.get("href") for link in doc.iter("link") if link.get("rel") == "alternate"]
    assert alternates[:3] == ["/rss/", "/atom/", "/feed.json"]
