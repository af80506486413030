"""Story cards are rendered once per change and shared by every page that lists them."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from masthead.publishing import actions
from masthead.publishing.factories import ArticlePageFactory, LivePageFactory, PhotoFactory
from masthead.publishing.listings import live_articles
from masthead.publishing.models import CoverageStatus
from masthead.publishing.templatetags.card_tags import article_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(home: Any, section: Any, author: Any) -> Any:
    return ArticlePageFactory(
        parent=home,
        title="Grain ships leave Odesa",
        dek="The first convoy in a month.",
        section=section,
        authors=[author],
        lead_image=PhotoFactory(),
    )


@pytest.mark.parametrize("variant", ["lead", "standard", "compact", "brief", "video"])
def test_a_memoized_card_is_the_card_the_template_renders(story: Any, variant: str) -> None:
    card = live_articles().get(pk=story.pk)
    expected = render_to_string(
        "components/article_card.html",
        {"article": card, "variant": variant, "heading_level": 3},
    )
    assert str(article_card(card, variant=variant, heading_level=3)) == expected
    # Served from the cache the second time, still the same.
    assert str(article_card(card, variant=variant, heading_level=3)) == expected


def test_an_edited_headline_reaches_every_card(client: Client, story: Any, section: Any) -> None:
    for url in ("/", section.get_absolute_url()):
        assert "Grain ships leave Odesa" in client.get(url).content.decode()
    story.title = "Grain convoy reaches the Bosphorus"
    story.save_revision().publish()
    for url in ("/", section.get_absolute_url()):
        body = client.get(url).content.decode()
        assert "Grain convoy reaches the Bosphorus" in body
        assert "Grain ships leave Odesa" not in body


def test_a_renamed_author_reaches_the_cards(client: Client, story: Any, author: Any) -> None:
    assert author.name in client.get("/").content.decode()
    author.name = "Oksana Renamed"
    author.save()
    assert "Oksana Renamed" in client.get("/").content.decode()


def test_a_renamed_section_reaches_the_cards(client: Client, story: Any, section: Any) -> None:
    client.get("/")
    section.name = "Frontline"
    section.save()
    assert ">Frontline</a>" in client.get("/").content.decode()


def test_the_live_badge_goes_when_coverage_ends(client: Client, home: Any, section: Any) -> None:
    live = LivePageFactory(parent=home, title="Storm over the coast", section=section)
    actions.post_live_update(page=live, body=[{"type": "paragraph", "value": "<p>Wind.</p>"}])

    def badge_on_section_page() -> bool:
        body = client.get(section.get_absolute_url()).content.decode()
        card = body.split("Storm over the coast")[0].rsplit('<article class="card', 1)[-1]
        return "live-badge" in card

    assert badge_on_section_page()
    actions.set_coverage_status(page=live, status=CoverageStatus.ENDED)
    assert not badge_on_section_page()
