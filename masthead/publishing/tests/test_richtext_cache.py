"""Rich text links are expanded once per content change, and follow a renamed page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.rich_text import RichText

from masthead.publishing.blocks import ArticleBodyBlock, LiveUpdateBodyBlock
from masthead.publishing.factories import ArticlePageFactory
from masthead.publishing.models import ArticlePage
from masthead.publishing.richtext_cache import CachedRichText

pytestmark = pytest.mark.django_db


def linking_paragraph(target: ArticlePage) -> dict[str, Any]:
    return {
        "type": "paragraph",
        "value": f'<p>See <a linktype="page" id="{target.pk}">the timeline</a> so far.</p>',
    }


def render_first_block(story: ArticlePage) -> str:
    """The story's first body block as a reader sees it, from a freshly loaded page."""
    body = ArticlePage.objects.get(pk=story.pk).body
    with CaptureQueriesContext(connection) as queries:
        html = str(body[0].render())
    render_first_block.queries = len(queries)  # type: ignore[attr-defined]
    return html


def test_a_second_render_of_a_link_costs_no_query(home: Any) -> None:
    target = ArticlePageFactory(parent=home, slug="timeline")
    story = ArticlePageFactory(parent=home, body=[linking_paragraph(target)])

    first = render_first_block(story)
    first_queries = render_first_block.queries  # type: ignore[attr-defined]
    second = render_first_block(story)

    assert first_queries > 0
    assert render_first_block.queries == 0  # type: ignore[attr-defined]
    assert second == first
    assert f'<a href="{target.url}">the timeline</a>' in second


def test_a_renamed_page_is_linked_at_its_new_address(
    home: Any, django_capture_on_commit_callbacks: Any
) -> None:
    target = ArticlePageFactory(parent=home, slug="timeline")
    story = ArticlePageFactory(parent=home, body=[linking_paragraph(target)])
    assert 'href="/timeline/"' in render_first_block(story)

    target.slug = "full-timeline"
    with django_capture_on_commit_callbacks(execute=True):
        target.save_revision().publish()

    html = render_first_block(story)
    assert 'href="/full-timeline/"' in html
    assert "/timeline/" not in html.replace("/full-timeline/", "")


def test_a_deleted_page_loses_its_link(home: Any, django_capture_on_commit_callbacks: Any) -> None:
    target = ArticlePageFactory(parent=home, slug="timeline")
    story = ArticlePageFactory(parent=home, body=[linking_paragraph(target)])
    assert 'href="/timeline/"' in render_first_block(story)

    with django_capture_on_commit_callbacks(execute=True):
        target.delete()

    html = render_first_block(story)
    assert "/timeline/" not in html
    assert "<a>the timeline</a>" in html


@pytest.mark.parametrize(
    "source",
    [
        "<p>Plain words, <b>bold</b> ones and a <a href='https://example.org/'>link out</a>.</p>",
        "",
    ],
)
def test_rendering_matches_wagtails_own(source: str) -> None:
    assert str(CachedRichText(source)) == str(RichText(source))


def test_a_linking_text_renders_as_wagtail_renders_it(home: Any) -> None:
    target = ArticlePageFactory(parent=home, slug="timeline")
    source = linking_paragraph(target)["value"]

    assert str(CachedRichText(source)) == str(RichText(source))
    assert str(CachedRichText(source)) == str(RichText(source))  # the cached copy as well


def test_stored_data_and_migrations_are_wagtails_rich_text_blocks() -> None:
    for stream in (ArticleBodyBlock(), LiveUpdateBodyBlock()):
        paragraph = stream.child_blocks["paragraph"]
        assert paragraph.deconstruct()[0] == "wagtail.blocks.RichTextBlock"
        value = paragraph.to_python("<p>Hi</p>")
        assert isinstance(value, CachedRichText)
        assert paragraph.get_prep_value(value) == "<p>Hi</p>"
