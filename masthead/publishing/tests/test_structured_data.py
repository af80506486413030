"""JSON-LD on every page type, read back the way search engines read it (extruct).

The properties checked are those Google lists as required or recommended for Article
(NewsArticle), BreadcrumbList, Organization and ProfilePage, and for subscription and
paywalled content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import extruct
import lxml.html
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.membership.access import Visibility
from masthead.publishing.factories import (
    ArticleNoteFactory,
    ArticlePageFactory,
    PhotoFactory,
    StandardPageFactory,
    TagFactory,
    TeamPageFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticleFormat, ArticleNote, SiteSettings, Tag
from masthead.publishing.structured_data import json_ld_text

pytestmark = pytest.mark.django_db

# The default site's root URL, on which Wagtail builds its pages' full URLs.
ROOT = "http://127.0.0.1:8000"

PREVIEW = "aardvarkprelude opens the story for everyone"
SECRET_WORD = "zanzibarquokka"
SECRET = f"{SECRET_WORD} is what only entitled readers may see"


@dataclass
class Page:
    """A rendered page as crawlers see it: JSON-LD, Open Graph, other meta tags."""

    html: str
    json_ld: list[dict[str, Any]]
    og: dict[str, list[str]]
    meta: dict[str, str]
    canonical: str

    def one(self, kind: str) -> dict[str, Any]:
        found = [item for item in self.json_ld if item.get("@type") == kind]
        assert len(found) == 1, f"{len(found)} {kind} blocks in {self.json_ld}"
        return found[0]

    def has_class(self, selector: str) -> bool:
        """Whether a ``.class`` selector matches an element of the page's body."""
        assert selector.startswith(".") and " " not in selector
        name = selector[1:]
        tree = lxml.html.fromstring(self.html)
        return bool(
            tree.xpath(
                f"//body//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
            )
        )


def fetch(client: Client, url: str, **params: str) -> Page:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    text = response.content.decode()
    data = extruct.extract(text, base_url=ROOT + url, syntaxes=["json-ld", "opengraph"])
    og: dict[str, list[str]] = {}
    for block in data["opengraph"]:
        for key, value in block["properties"]:
            og.setdefault(key, []).append(value)
    tree = lxml.html.fromstring(text)
    meta = {
        element.get("name"): element.get("content") for element in tree.xpath("//head/meta[@name]")
    }
    canonical = tree.xpath("//head/link[@rel='canonical']/@href")
    assert len(canonical) == 1
    return Page(text, data["json-ld"], og, meta, canonical[0])


@pytest.fixture
def newsroom(site: Any, home: Any, section: Tag, author: Any) -> dict[str, Any]:
    settings = SiteSettings.for_site(site)
    settings.publication_name = "The Test Independent"
    settings.logo = PhotoFactory(title="Logo")
    settings.x_url = "https://x.com/testindie"
    settings.facebook_url = "https://www.facebook.com/testindie"
    settings.save()
    author.x_handle = "@miravalen"
    author.avatar = PhotoFactory()
    author.website = "https://mira.example.org"
    author.save()
    topic = TagFactory(name="Energy", slug="energy")
    internal = TagFactory(name="#desk-pick", slug="desk-pick", visibility=Tag.Visibility.INTERNAL)
    story = ArticlePageFactory(
        parent=home,
        title="Drone attack hits power station",
        dek="Engineers restore power to half of the city within hours.",
        section=section,
        authors=[author],
        lead_image=PhotoFactory(),
        tags=[topic, internal],
        first_published_at=timezone.now() - timedelta(hours=3),
    )
    ArticleNoteFactory(page=story, text="<p>An earlier version misstated the number.</p>")
    ArticleNoteFactory(
        page=story, kind=ArticleNote.Kind.UPDATE, text="<p>Power is back everywhere.</p>"
    )
    return {"settings": settings, "story": story, "author": author, "section": section}


def test_article_says_what_google_asks_of_a_news_article(
    client: Client, newsroom: dict[str, Any]
) -> None:
    story, author = newsroom["story"], newsroom["author"]
    page = fetch(client, story.url)
    article = page.one("NewsArticle")
    assert article["@context"] == "https://schema.org"
    assert article["headline"] == "Drone attack hits power station"
    assert article["url"] == article["mainEntityOfPage"] == page.canonical
    assert article["description"] == story.dek
    assert len(article["image"]) == 3
    for url, spec in zip(article["image"], ["1200x675", "1200x900", "1200x1200"], strict=True):
        assert url.startswith(f"{ROOT}/") and f"fill-{spec}" in url
    assert article["datePublished"].startswith(str(story.first_published_at.year))
    assert article["dateModified"] >= article["datePublished"]
    assert article["author"] == [
        {
            "@type": "Person",
            "name": "Mira Valen",
            "url": f"{ROOT}/author/{author.slug}/",
            "jobTitle": "War correspondent",
        }
    ]
    publisher = article["publisher"]
    assert publisher["@type"] == "NewsMediaOrganization"
    assert publisher["name"] == "The Test Independent"
    assert publisher["url"] == f"{ROOT}/"
    assert publisher["logo"]["@type"] == "ImageObject"
    assert publisher["logo"]["url"].startswith(f"{ROOT}/media/original_images/")
    assert article["isAccessibleForFree"] is True
    assert "hasPart" not in article
    assert article["articleSection"] == "War"
    assert article["keywords"] == ["Energy"]  # the internal tag stays private
    assert article["wordCount"] == story.word_count > 0
    # Corrections and clarifications, not updates.
    assert article["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": "An earlier version misstated the number.",
            "datePublished": article["correction"][0]["datePublished"],
        }
    ]
    assert "articleBody" not in article


def test_article_pictures_are_served_at_their_json_ld_addresses(
    client: Client, newsroom: dict[str, Any]
) -> None:
    article = fetch(client, newsroom["story"].url).one("NewsArticle")
    for url in article["image"]:
        response = client.get(url.removeprefix(ROOT))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("image/")


def test_headline_is_cut_to_what_google_shows(client: Client, home: Any) -> None:
    story = ArticlePageFactory(parent=home, title=" ".join(["Headline"] * 20))
    headline = fetch(client, story.url).one("NewsArticle")["headline"]
    assert len(headline) <= 110
    assert headline.startswith("Headline Headline")


def test_article_breadcrumbs_run_home_section_article(
    client: Client, newsroom: dict[str, Any]
) -> None:
    story = newsroom["story"]
    trail = fetch(client, story.url).one("BreadcrumbList")["itemListElement"]
    assert [(item["position"], item["name"], item["item"]) for item in trail] == [
        (1, "The Test Independent", f"{ROOT}/"),
        (2, "War", f"{ROOT}/tag/war/"),
        (3, story.title, f"{ROOT}{story.url}"),
    ]


def test_tag_page_breadcrumbs(client: Client, newsroom: dict[str, Any]) -> None:
    trail = fetch(client, "/tag/energy/").one("BreadcrumbList")["itemListElement"]
    assert [item["name"] for item in trail] == ["The Test Independent", "Energy"]
    assert trail[-1]["item"] == f"{ROOT}/tag/energy/"


def gated_story(home: Any, visibility: str = Visibility.PAID) -> Any:
    story = ArticlePageFactory(
        parent=home,
        title="What the ministry knew",
        slug="what-the-ministry-knew",
        dek="",
        visibility=visibility,
        body=[
            *paragraph_blocks([PREVIEW]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([SECRET]),
        ],
    )
    ArticleNoteFactory(page=story, text=f"<p>We misquoted {SECRET_WORD}.</p>")
    return story


def test_gated_article_marks_its_paywalled_part_and_says_nothing_of_it(
    client: Client, home: Any
) -> None:
    story = gated_story(home)
    page = fetch(client, story.url)
    article = page.one("NewsArticle")
    assert article["isAccessibleForFree"] is False
    part = article["hasPart"]
    assert part["@type"] == "WebPageElement"
    assert part["isAccessibleForFree"] is False
    assert page.has_class(part["cssSelector"])
    assert "correction" not in article
    assert SECRET_WORD not in page.html
    assert SECRET_WORD not in json_ld_text(page.json_ld)
    assert all(SECRET_WORD not in value for value in page.meta.values())
    assert all(SECRET_WORD not in value for values in page.og.values() for value in values)


def test_readers_with_access_get_the_corrections_of_a_gated_article(
    home: Any, make_member: Any, member_client: Any, supporter: Any
) -> None:
    story = gated_story(home)
    reader = member_client(make_member("paying@example.org", comp=supporter))
    page = fetch(reader, story.url)
    article = page.one("NewsArticle")
    assert [note["text"] for note in article["correction"]] == [f"We misquoted {SECRET_WORD}."]
    assert page.has_class(article["hasPart"]["cssSelector"])
    assert SECRET in page.html


def test_json_ld_cannot_end_its_script_element(client: Client, home: Any) -> None:
    story = ArticlePageFactory(parent=home, title="Why </script><b>bold</b> & more")
    page = fetch(client, story.url)
    assert "</script><b>" not in page.html
    assert page.one("NewsArticle")["headline"] == "Why </script><b>bold</b> & more"


def test_video_article_describes_its_video(client: Client, home: Any) -> None:
    story = ArticlePageFactory(
        parent=home,
        title="Inside the repair crews",
        format=ArticleFormat.VIDEO,
        lead_video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )
    video = fetch(client, story.url).one("NewsArticle")["video"]
    assert video["@type"] == "VideoObject"
    assert video["name"] == "Inside the repair crews"
    assert video["embedUrl"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert video["thumbnailUrl"] and video["uploadDate"]


def test_home_page_describes_the_newsroom_and_its_search(
    client: Client, home: Any, newsroom: dict[str, Any]
) -> None:
    page = fetch(client, "/")
    organization = page.one("NewsMediaOrganization")
    assert organization["name"] == "The Test Independent"
    assert organization["url"] == f"{ROOT}/"
    assert organization["logo"]["url"].startswith(f"{ROOT}/media/")
    assert organization["sameAs"] == [
        "https://x.com/testindie",
        "https://www.facebook.com/testindie",
    ]
    # No policy page chosen yet: the corrections archive stands in.
    assert organization["correctionsPolicy"] == f"{ROOT}/corrections/"
    assert "ethicsPolicy" not in organization and "masthead" not in organization
    website = page.one("WebSite")
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == f"{ROOT}/search/?q={{search_term_string}}"
    assert action["query-input"] == "required name=search_term_string"

    settings = newsroom["settings"]
    settings.corrections_policy_page = StandardPageFactory(
        parent=home, title="Corrections policy", slug="corrections-policy"
    )
    settings.ethics_policy_page = StandardPageFactory(
        parent=home, title="Ethics and standards", slug="ethics"
    )
    settings.save()
    TeamPageFactory(parent=home)
    organization = fetch(client, "/").one("NewsMediaOrganization")
    assert organization["correctionsPolicy"] == f"{ROOT}/corrections-policy/"
    assert organization["ethicsPolicy"] == f"{ROOT}/ethics/"
    assert organization["masthead"] == f"{ROOT}/team/"


def test_author_page_is_a_profile_page(client: Client, newsroom: dict[str, Any]) -> None:
    author = newsroom["author"]
    profile = fetch(client, f"/author/{author.slug}/").one("ProfilePage")
    person = profile["mainEntity"]
    assert person["@type"] == "Person"
    assert person["name"] == "Mira Valen"
    assert person["jobTitle"] == "War correspondent"
    assert person["description"] == author.bio
    assert person["url"] == profile["url"] == f"{ROOT}/author/{author.slug}/"
    assert "fill-600x600" in person["image"]
    assert person["sameAs"] == ["https://mira.example.org", "https://x.com/miravalen"]
    assert profile["dateCreated"] and profile["dateModified"]


def test_other_pages_carry_no_article_markup(
    client: Client, newsroom: dict[str, Any], home: Any
) -> None:
    about = StandardPageFactory(parent=home, slug="about")
    for url in [about.url, "/news-feed/", "/search/"]:
        assert not any(item.get("@type") == "NewsArticle" for item in fetch(client, url).json_ld)


def _queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in context.captured_queries]


def test_article_page_queries_stay_fixed_and_look_up_no_rendition(
    client: Client, home: Any, section: Tag, author: Any, page_cache_off: Any
) -> None:
    photo = PhotoFactory()
    story = ArticlePageFactory(
        parent=home, section=section, authors=[author], lead_image=photo, og_image=PhotoFactory()
    )
    ArticleNoteFactory(page=story)

    def publish(count: int) -> None:
        for _ in range(count):
            related = ArticlePageFactory(parent=home, section=section, authors=[author])
            ArticleNoteFactory(page=related)
            ArticlePageFactory(parent=home, brief=True, section=section)

    publish(3)
    client.get(story.url)  # the page's own renditions are cut on the first view
    # Each publish bumps ``listing``: the next view builds the story's HTML, social meta
    # and structured data again, as the first view after any publish does (the second
    # such view finds the renditions made by the first one in the renditions cache).
    publish(1)
    client.get(story.url)
    publish(1)
    small = _queries(client, story.url)
    publish(30)
    large = _queries(client, story.url)
    assert len(small) == len(large)
    # The three JSON-LD pictures and the social ones are signed URLs: no lookups.
    json_ld_specs = ("fill-1200x675", "fill-1200x900", "fill-1200x1200", "fill-1200x630")
    assert not [sql for sql in large if any(spec in sql for spec in json_ld_specs)]
    # Once built, they are shared: the next reader's page reads nothing, not even the
    # notes, which only the story's own HTML and structured data show.
    assert _queries(client, story.url) == []
