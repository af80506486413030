"""Story cards are rendered once per change and shared by every page that lists them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from masthead.publishing import actions
from masthead.publishing.factories import ArticlePageFactory, LivePageFactory, PhotoFactory
from masthead.publishing.listings import live_articles
from masthead.publishing.models import CoverageStatus
from masthead.publishing.templatetags.card_tags import TEMPLATE, article_card

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


def test_a_memoized_brief_and_avatar_are_what_the_templates_render(home: Any, author: Any) -> None:
    from masthead.publishing.templatetags.card_tags import avatar, brief_item

    brief = ArticlePageFactory(parent=home, brief=True, title="Power back in Kharkiv")
    row = live_articles().get(pk=brief.pk)
    expected = render_to_string("components/brief_item.html", {"article": row})
    assert str(brief_item(row)) == str(brief_item(row)) == expected
    for size in ("small", "medium", "large"):
        expected = render_to_string("components/avatar.html", {"author": author, "size": size})
        assert str(avatar(author, size=size)) == str(avatar(author, size=size)) == expected


def test_a_breaking_label_comes_off_the_news_feed_when_its_time_is_up(
    client: Client, home: Any
) -> None:
    import time_machine
    from django.utils import timezone

    now = timezone.now()
    ArticlePageFactory(
        parent=home,
        brief=True,
        title="Air raid alert in Kyiv",
        is_breaking=True,
        breaking_until=now + timedelta(minutes=30),
    )

    def labelled() -> bool:
        body = client.get("/news-feed/").content.decode()
        entries = [
            entry.split("</li>")[0]
            for entry in body.split('<li class="brief"')[1:]
            if "Air raid alert in Kyiv" in entry.split("</li>")[0]
        ]
        assert entries
        return all("brief__breaking" in entry for entry in entries)

    assert labelled()
    with time_machine.travel(now + timedelta(minutes=31), tick=False):
        assert not labelled()


def test_the_breaking_label_change_time() -> None:
    from django.utils import timezone

    from masthead.publishing.models import BREAKING_DEFAULT_HOURS, ArticlePage
    from masthead.publishing.templatetags.card_tags import breaking_label_changes_at

    now = timezone.now()
    story = ArticlePage(is_breaking=True, published_at=now, breaking_until=None)
    assert breaking_label_changes_at(story, now) == now + timedelta(hours=BREAKING_DEFAULT_HOURS)
    story.breaking_until = now + timedelta(minutes=5)
    assert breaking_label_changes_at(story, now) == now + timedelta(minutes=5)
    story.published_at = now + timedelta(minutes=2)  # dated ahead: the label starts then
    assert breaking_label_changes_at(story, now) == now + timedelta(minutes=2)
    story.is_breaking = False
    assert breaking_label_changes_at(story, now) is None


def test_live_updates_show_their_edits_pins_and_dates(client: Client, home: Any) -> None:
    import time_machine
    from django.utils import timezone

    live = LivePageFactory(parent=home, title="Storm over the coast")
    first = actions.post_live_update(
        page=live, body=[{"type": "paragraph", "value": "<p>Wind rising.</p>"}]
    )
    actions.post_live_update(page=live, body=[{"type": "paragraph", "value": "<p>Rain.</p>"}])
    body = client.get(live.url).content.decode()
    assert "Wind rising." in body and "live-update__date" not in body

    actions.edit_live_update(
        update=first,
        headline="",
        body=[{"type": "paragraph", "value": "<p>Gale force winds.</p>"}],
    )
    body = client.get(live.url).content.decode()
    assert "Gale force winds." in body and "Wind rising." not in body

    actions.set_live_update_pinned(update=first, pinned=True)
    assert "live-update--pinned" in client.get(live.url).content.decode()

    # The next day, every update says which day it was posted.
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert "live-update__date" in client.get(live.url).content.decode()


# --- A story's own HTML and social meta ------------------------------------------------


def _story_html(body: str) -> str:
    return body[body.index('<article class="article') : body.index("</article>")]


def test_the_kept_story_is_the_story_the_template_renders(
    client: Client, story: Any, page_cache_off: Any
) -> None:
    first = client.get(story.url).content.decode()
    again = client.get(story.url).content.decode()
    assert first == again
    assert "Grain ships leave Odesa" in _story_html(again)
    # A renamed author reaches the byline and the author card at once.
    author = story.ordered_authors[0]
    author.name = "Oksana Renamed"
    author.save()
    assert _story_html(client.get(story.url).content.decode()).count("Oksana Renamed") >= 2


def test_an_edit_reaches_the_kept_story_and_its_meta(
    client: Client, story: Any, page_cache_off: Any
) -> None:
    client.get(story.url)
    story.title = "Grain convoy reaches the Bosphorus"
    story.body = [{"type": "paragraph", "value": "<p>The convoy is through the strait.</p>"}]
    story.save_revision().publish()
    body = client.get(story.url).content.decode()
    assert "The convoy is through the strait." in _story_html(body)
    assert '<meta property="og:title" content="Grain convoy reaches the Bosphorus">' in body
    assert "Grain ships leave Odesa" not in body


def test_a_preview_shows_its_draft_and_leaves_the_kept_story_alone(
    client: Client, story: Any, page_cache_off: Any
) -> None:
    client.get(story.url)
    draft = story.get_latest_revision_as_object()
    draft.title = "Draft headline nobody may see yet"
    draft.body = [{"type": "paragraph", "value": "<p>An unpublished paragraph.</p>"}]
    preview = draft.make_preview_request().content.decode()
    assert "An unpublished paragraph." in _story_html(preview)
    assert "Draft headline nobody may see yet" in preview
    live = client.get(story.url).content.decode()
    assert "An unpublished paragraph." not in live
    assert "Draft headline nobody may see yet" not in live


# --- What a publish elsewhere leaves alone, and what a linked page's change reaches ----


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates kept parts are built from, in order, and the article rows looked up
    by address (``route:<path>``), from here on."""
    from masthead.publishing.models import ArticlePageQuerySet
    from masthead.publishing.templatetags import card_tags

    built: list[str] = []
    render = card_tags.render_to_string
    for_page = ArticlePageQuerySet.for_page

    def recording_render(template: str, context: Any = None) -> str:
        article = (context or {}).get("article") if isinstance(context, dict) else None
        built.append(f"{template}:{article.pk}" if article is not None else template)
        return render(template, context)

    def recording_for_page(self: Any, *, url_path: str) -> Any:
        built.append(f"route:{url_path}")
        return for_page(self, url_path=url_path)

    monkeypatch.setattr(card_tags, "render_to_string", recording_render)
    monkeypatch.setattr(ArticlePageQuerySet, "for_page", recording_for_page)
    return built


def test_a_publish_elsewhere_leaves_the_kept_story_and_cards_alone(
    client: Client, story: Any, home: Any, section: Any, page_cache_off: Any, renders: list[str]
) -> None:
    neighbour = ArticlePageFactory(parent=home, title="Ferry resumes", section=section)
    client.get(story.url)
    client.get(neighbour.url)
    renders.clear()

    ArticlePageFactory(parent=home, title="Port reopens", section=section)
    body = client.get(story.url).content.decode()

    assert "Grain ships leave Odesa" in _story_html(body)
    # The related list changed, so it is built again, from the cards it already had.
    assert "components/related_stories.html" in renders
    assert "components/article_story.html" not in renders
    assert f"route:{story.url_path}" not in renders
    assert f"{TEMPLATE}:{neighbour.pk}" not in renders
    assert "Port reopens" in body


def test_a_list_names_listing_not_each_card(client: Client, story: Any) -> None:
    """Every change of a card's story bumps ``listing`` too, which the list names: its
    keys stay three, however many cards it shows (a draft or a live update, which leave
    cards alone, leave the list cached: ``test_pagecache``)."""
    response = client.get("/")
    assert "Grain ships leave Odesa" in response.content.decode()
    keys = response["Surrogate-Key"].split()
    assert "masthead/listing" in keys
    assert not [key for key in keys if key.startswith("masthead/published:")]


def _link(target: Any, text: str) -> str:
    return f'<a linktype="page" id="{target.pk}">{text}</a>'


def test_a_linked_page_reaches_the_kept_story(
    client: Client, home: Any, page_cache_off: Any, renders: list[str]
) -> None:
    from masthead.publishing.models import ArticleNote

    timeline = ArticlePageFactory(parent=home, title="The timeline", slug="timeline")
    explainer = ArticlePageFactory(parent=home, title="The explainer", slug="explainer")
    archive = ArticlePageFactory(parent=home, title="The archive", slug="archive")
    story = ArticlePageFactory(
        parent=home,
        title="Grain ships leave Odesa",
        body=[
            {"type": "paragraph", "value": f"<p>See {_link(timeline, 'the timeline')}.</p>"},
            {"type": "read_also", "value": {"article": explainer.pk, "label": "Read also"}},
        ],
    )
    ArticleNote.objects.create(page=story, text=f"<p>Moved from {_link(archive, 'here')}.</p>")
    first = _story_html(client.get(story.url).content.decode())
    assert 'href="/timeline/"' in first and "The explainer" in first
    assert 'href="/archive/"' in first

    # A draft of a linked page changes nothing readers see: the story stays kept.
    explainer.title = "A draft title"
    explainer.save_revision()
    renders.clear()
    assert _story_html(client.get(story.url).content.decode()) == first
    assert "components/article_story.html" not in renders

    # Renamed in rich text, retitled in "read also", renamed in a note's text.
    timeline.slug = "full-timeline"
    timeline.save_revision().publish()
    html = _story_html(client.get(story.url).content.decode())
    assert 'href="/full-timeline/"' in html and 'href="/timeline/"' not in html

    explainer.title = "The explainer, updated"
    explainer.save_revision().publish()
    assert "The explainer, updated" in _story_html(client.get(story.url).content.decode())

    archive.slug = "old-archive"
    archive.save_revision().publish()
    assert 'href="/old-archive/"' in _story_html(client.get(story.url).content.decode())

    # An unpublished story is no longer offered to read.
    explainer.unpublish()
    assert "The explainer" not in _story_html(client.get(story.url).content.decode())


def test_a_kept_story_asks_a_failed_embed_provider_again(
    home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An embed that failed is not kept empty until the story's next edit, and one that
    succeeded is kept no longer than the provider's own cache age."""
    import time

    from django.utils import timezone
    from wagtail.embeds.exceptions import EmbedNotFoundException
    from wagtail.embeds.models import Embed

    from masthead.cachetags import collecting
    from masthead.publishing import blocks

    url = "https://social.example/post/1234"
    story = ArticlePageFactory(
        parent=home, body=[{"type": "embed", "value": {"embed": url, "caption": "The post"}}]
    )

    def unreachable(asked: str, *args: Any) -> Any:
        raise EmbedNotFoundException(asked)

    monkeypatch.setattr(blocks.embeds, "get_embed", unreachable)
    with collecting() as failed:
        html = str(story.body[0].render())
    assert "<iframe" not in html and f'href="{url}"' in html  # the link to the original
    assert failed.valid_until is not None
    assert failed.valid_until <= time.time() + blocks.EMBED_RETRY_SECONDS

    expires = timezone.now() + timedelta(days=1)
    found = Embed(
        url=url, type="rich", html="<iframe src='https://social.example/e/1234'></iframe>"
    )
    found.cache_until = expires
    monkeypatch.setattr(blocks.embeds, "get_embed", lambda asked, *args: found)
    with collecting() as shown:
        html = str(story.body[0].render())
    assert "https://social.example/e/1234" in html
    assert shown.valid_until == expires.timestamp()
