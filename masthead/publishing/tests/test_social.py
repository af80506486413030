"""Open Graph and X cards on every public page type, and the generated share images."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from masthead.membership.access import Visibility
from masthead.publishing import social
from masthead.publishing.factories import (
    ArticlePageFactory,
    PhotoFactory,
    StandardPageFactory,
    TagFactory,
    TeamPageFactory,
    paragraph_blocks,
)
from masthead.publishing.models import SiteSettings, Tag

from .test_structured_data import PREVIEW, ROOT, SECRET, SECRET_WORD, fetch

pytestmark = pytest.mark.django_db

OG_EVERYWHERE = ["og:site_name", "og:type", "og:title", "og:url", "og:image", "og:locale"]
OG_IMAGE = ["og:image:width", "og:image:height", "og:image:alt"]
TWITTER = ["twitter:card", "twitter:title", "twitter:image", "twitter:site"]


@pytest.fixture
def settings_row(site: Any) -> SiteSettings:
    settings = SiteSettings.for_site(site)
    settings.publication_name = "The Test Independent"
    settings.tagline = "News from Arvenia"
    settings.accent_colour = "#1F6FEB"
    settings.x_url = "https://x.com/testindie"
    settings.save()
    return settings


@pytest.fixture
def story(home: Any, section: Tag, author: Any, settings_row: SiteSettings) -> Any:
    author.x_handle = "miravalen"
    author.save()
    return ArticlePageFactory(
        parent=home,
        title="Drone attack hits power station",
        dek="Engineers restore power within hours.",
        section=section,
        authors=[author],
        lead_image=PhotoFactory(description="Rescuers at the station"),
        tags=[TagFactory(name="Energy", slug="energy")],
    )


def test_every_public_page_type_has_social_cards(
    client: Client, home: Any, story: Any, author: Any
) -> None:
    about = StandardPageFactory(parent=home, title="About us", slug="about")
    team = TeamPageFactory(parent=home)
    urls = {
        "/": "website",
        story.url: "article",
        about.url: "website",
        team.url: "website",
        "/tag/war/": "website",
        f"/author/{author.slug}/": "profile",
        "/news-feed/": "website",
        "/search/": "website",
    }
    for url, og_type in urls.items():
        page = fetch(client, url)
        for key in OG_EVERYWHERE + OG_IMAGE:
            assert page.og.get(key), (url, key)
        for key in TWITTER:
            assert page.meta.get(key), (url, key)
        assert page.og["og:type"] == [og_type], url
        assert page.og["og:site_name"] == ["The Test Independent"]
        assert page.og["og:locale"] == ["en_US"]
        assert page.og["og:url"] == [page.canonical]
        assert page.meta["twitter:card"] == "summary_large_image"
        assert page.meta["twitter:site"] == "@testindie"
        assert page.og["og:image"][0].startswith(f"{ROOT}/share/")


def test_article_cards_carry_the_article(client: Client, story: Any, author: Any) -> None:
    page = fetch(client, story.url)
    assert page.og["og:title"] == ["Drone attack hits power station"]
    assert page.og["og:description"] == ["Engineers restore power within hours."]
    assert page.meta["description"] == "Engineers restore power within hours."
    assert "fill-1200x630" in page.og["og:image"][0]
    assert page.og["og:image:alt"] == ["Rescuers at the station"]
    assert page.og["article:section"] == ["War"]
    assert page.og["article:tag"] == ["Energy"]
    assert page.og["article:author"] == [f"{ROOT}/author/{author.slug}/"]
    assert page.og["article:published_time"] and page.og["article:modified_time"]
    assert page.meta["twitter:creator"] == "@miravalen"
    assert page.meta["twitter:title"] == "Drone attack hits power station"
    assert page.meta["twitter:image"] == page.og["og:image"][0]
    assert page.canonical == f"{ROOT}{story.url}"


def test_overrides_win_in_order(client: Client, story: Any) -> None:
    story.seo_title = "SEO headline"
    story.search_description = "SEO description"
    story.save()
    page = fetch(client, story.url)
    assert page.og["og:title"] == ["SEO headline"]
    assert page.og["og:description"] == ["SEO description"]
    assert page.meta["twitter:description"] == "SEO description"

    story.og_title = "Facebook headline"
    story.og_description = "Facebook description"
    story.og_image = PhotoFactory(description="The og picture")
    story.save()
    page = fetch(client, story.url)
    assert page.og["og:title"] == ["Facebook headline"]
    assert page.og["og:description"] == ["Facebook description"]
    assert page.og["og:image:alt"] == ["The og picture"]
    # X falls back on the Open Graph overrides.
    assert page.meta["twitter:title"] == "Facebook headline"
    assert page.meta["twitter:description"] == "Facebook description"
    assert page.meta["twitter:image"] == page.og["og:image"][0]

    story.twitter_title = "X headline"
    story.twitter_description = "X description"
    story.twitter_image = PhotoFactory(description="The X picture")
    story.save()
    page = fetch(client, story.url)
    assert page.meta["twitter:title"] == "X headline"
    assert page.meta["twitter:description"] == "X description"
    assert page.meta["twitter:image:alt"] == "The X picture"
    assert page.meta["twitter:image"] != page.og["og:image"][0]
    assert page.og["og:title"] == ["Facebook headline"]


def test_canonical_url(client: Client, story: Any, home: Any) -> None:
    story.canonical_url = "https://elsewhere.example.org/first-told-here"
    story.save()
    page = fetch(client, story.url)
    assert page.canonical == "https://elsewhere.example.org/first-told-here"
    assert page.og["og:url"] == [page.canonical]
    # Listings are canonical without their query string.
    assert fetch(client, "/tag/war/", before="123-4").canonical == f"{ROOT}/tag/war/"
    assert fetch(client, "/search/", q="power").canonical == f"{ROOT}/search/"
    assert fetch(client, "/search/", q="power").meta["robots"] == "noindex, follow"


def test_email_only_article_keeps_its_own_address_and_no_card(client: Client, home: Any) -> None:
    from masthead.publishing.social import article_card_name

    story = ArticlePageFactory(parent=home, email_only=True)
    assert client.get(story.url).status_code == 404
    settings = SiteSettings.for_site(story.get_site())
    digest = social.article_card_digest(story, settings)
    assert client.get(f"/share/{story.pk}-{digest}.png").status_code == 404
    assert not default_storage.exists(article_card_name(story, settings))


def test_gated_text_stays_out_of_every_description(client: Client, home: Any) -> None:
    story = ArticlePageFactory(
        parent=home,
        dek="",
        visibility=Visibility.PAID,
        body=[
            *paragraph_blocks([PREVIEW]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([SECRET]),
        ],
    )
    page = fetch(client, story.url)
    assert SECRET_WORD not in page.html
    # The free preview's opening words are public, and stand in for the missing standfirst.
    assert page.meta["description"].startswith("aardvarkprelude")
    assert page.og["og:description"] == [page.meta["description"]]
    assert page.meta["twitter:description"] == page.meta["description"]


# --- Generated share images ----------------------------------------------------------


def card_url(client: Client, article: Any) -> str:
    url = fetch(client, article.url).og["og:image"][0]
    assert url.startswith(f"{ROOT}/share/{article.pk}-") and url.endswith(".png")
    return url.removeprefix(ROOT)


def png_size(response: Any) -> tuple[int, int]:
    data = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.size


def test_article_without_a_picture_gets_a_generated_card(
    client: Client, home: Any, section: Tag, settings_row: SiteSettings
) -> None:
    story = ArticlePageFactory(
        parent=home, title="Кабмін ухвалив бюджет на 2026 рік", section=section
    )
    url = card_url(client, story)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert png_size(response) == (1200, 630)
    page = fetch(client, story.url)
    assert page.og["og:image:width"] == ["1200"] and page.og["og:image:height"] == ["630"]
    assert page.og["og:image:alt"] == [story.title]
    assert page.one("NewsArticle")["image"] == [f"{ROOT}{url}"]


def test_card_url_follows_the_headline(
    client: Client, home: Any, settings_row: SiteSettings
) -> None:
    story = ArticlePageFactory(parent=home, title="First headline")
    old = card_url(client, story)
    story.title = "Second headline"
    story.save()
    new = card_url(client, story)
    assert new != old
    response = client.get(old)
    assert response.status_code == 302
    assert response["Location"] == new


@pytest.mark.parametrize("case", ["unknown", "draft", "with_picture"])
def test_cards_only_for_live_articles_without_a_picture(
    client: Client, home: Any, case: str
) -> None:
    if case == "unknown":
        pk = 999_999
    else:
        story = ArticlePageFactory(
            parent=home,
            live=case != "draft",
            lead_image=PhotoFactory() if case == "with_picture" else None,
        )
        pk = story.pk
    assert client.get(f"/share/{pk}-0123456789ab.png").status_code == 404


def test_a_stored_card_is_served_without_drawing_it_again(
    client: Client, home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    story = ArticlePageFactory(parent=home)
    url = card_url(client, story)
    first = b"".join(client.get(url).streaming_content)

    def refuse(**kwargs: Any) -> bytes:
        raise AssertionError("the card was drawn twice")

    monkeypatch.setattr(social, "draw_card", refuse)
    assert b"".join(client.get(url).streaming_content) == first


def test_publishing_draws_the_card_in_the_background(
    home: Any, django_capture_on_commit_callbacks: Any
) -> None:
    story = ArticlePageFactory(parent=home, live=False, first_published_at=None)
    settings = SiteSettings.for_site(story.get_site())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        story.save_revision().publish()
    assert callbacks
    story.refresh_from_db()
    assert default_storage.exists(social.article_card_name(story, settings))


def test_site_pages_share_the_site_card_or_the_chosen_image(
    client: Client, settings_row: SiteSettings
) -> None:
    url = fetch(client, "/").og["og:image"][0]
    assert url.startswith(f"{ROOT}/share/site-")
    response = client.get(url.removeprefix(ROOT))
    assert response.status_code == 200
    assert png_size(response) == (1200, 630)
    assert client.get("/share/site-000000000000.png").status_code == 302

    settings_row.share_image = PhotoFactory(description="Our newsroom")
    settings_row.save()
    page = fetch(client, "/")
    assert "fill-1200x630" in page.og["og:image"][0]
    assert page.og["og:image:alt"] == ["Our newsroom"]


def test_cards_draw_cyrillic_with_real_glyphs() -> None:
    font = social._font(40)
    missing = font.getmask("\uffff").getbbox()
    assert font.getmask("Ж").getbbox() != missing
    assert font.getlength("Жж") != font.getlength("\uffff\uffff")


def test_long_headlines_shrink_and_wrap_inside_the_card() -> None:
    headline = " ".join(["Parliament"] * 40)
    font, lines, line_height = social._fit(headline, width=1040, height=400)
    assert len(lines) * line_height <= 400
    assert all(font.getlength(line) <= 1040 for line in lines)
    assert lines[-1].endswith("…")
    started = time.perf_counter()
    png = social.draw_card(
        headline=headline, kicker="Politics", publication="The Test Independent", accent="#B3261E"
    )
    assert time.perf_counter() - started < 5
    assert Image.open(io.BytesIO(png)).size == (1200, 630)
