"""HTML and Lexical from Ghost's clients become body blocks without losing a word."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings

from masthead.contentapi.html_import import html_to_blocks, lexical_to_blocks, photo_for_url
from masthead.publishing.factories import PhotoFactory
from masthead.publishing.plain_text import blocks_text, html_to_text

FIXTURE = "/work/shared/fixtures/ghost/ghost-6.65.0-export-sqlite.json"


def _ghost_posts() -> list[dict[str, Any]]:
    with open(FIXTURE, encoding="utf-8") as export:
        return list(json.load(export)["db"][0]["data"]["posts"])


def _words(text: str) -> list[str]:
    return text.split()


def _block_words(blocks: list[dict[str, Any]]) -> list[str]:
    """The words of the blocks, with tags treated as spaces."""
    spaced = [{**block, "value": _spaced(block["value"])} for block in blocks]
    return _words(blocks_text(spaced))


def _spaced(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("><", "> <")
    if isinstance(value, dict):
        return {key: _spaced(item) for key, item in value.items()}
    return value


def _in_order(expected: list[str], found: list[str]) -> bool:
    """Whether every expected word appears in ``found``, in the same order."""
    remaining = iter(found)
    return all(word in remaining for word in expected)


@pytest.mark.django_db
@pytest.mark.parametrize("ghost", _ghost_posts(), ids=lambda post: post["slug"])
def test_every_word_of_ghost_html_and_lexical_is_kept(ghost: dict[str, Any]) -> None:
    body = "page" if ghost["type"] == "page" else "article"
    expected = _words(html_to_text(ghost["html"].replace("><", "> <")))
    from_html = _block_words(html_to_blocks(ghost["html"], body=body))
    from_lexical = _block_words(lexical_to_blocks(ghost["lexical"], body=body))
    assert _in_order(expected, from_html)
    paragraphs = _words(html_to_text(ghost["html"].split("<figure")[0].replace("><", "> <")))
    assert _in_order(paragraphs, from_lexical)


def test_the_members_only_marker_is_the_paywall_in_articles_only() -> None:
    markup = "<p>Free.</p><!--members-only--><p>Paid.</p>"
    assert [b["type"] for b in html_to_blocks(markup)] == ["paragraph", "paywall", "paragraph"]
    assert [b["type"] for b in html_to_blocks(markup, body="page")] == ["paragraph"]


def test_scripts_are_dropped_and_unknown_tags_unwrapped() -> None:
    blocks = html_to_blocks('<p>Hi <script>alert(1)</script><blink onclick="x">there</blink></p>')
    assert blocks[0]["value"] == "<p>Hi there</p>"


def test_headings_quotes_and_cards() -> None:
    blocks = html_to_blocks(
        "<h1>Top</h1><h4>Small</h4><blockquote><p>Said.</p><cite>Ana</cite></blockquote>"
        '<div class="kg-card kg-callout-card"><div class="kg-callout-emoji">!</div>'
        '<div class="kg-callout-text">Note <b>this</b></div></div>'
        '<figure class="kg-card kg-embed-card"><iframe src="https://www.youtube.com/embed/'
        'dQw4w9WgXcQ" title="Clip"></iframe><figcaption>Caption</figcaption></figure>'
        '<figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" '
        'href="https://example.org/a"><div class="kg-bookmark-title">Read</div>'
        '<div class="kg-bookmark-description">More</div></a></figure><hr><pre>a\nb</pre>'
    )
    assert [(b["type"], b["value"]) for b in blocks[:3]] == [
        ("heading", {"text": "Top", "level": "h2"}),
        ("heading", {"text": "Small", "level": "h3"}),
        ("pull_quote", {"quote": "Said.", "attribution": "Ana"}),
    ]
    assert blocks[3] == {**blocks[3], "type": "editors_note"}
    assert "Note <b>this</b>" in blocks[3]["value"]["text"]
    assert blocks[4]["type"] == "video"
    assert blocks[4]["value"]["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert blocks[4]["value"]["caption"] == "Caption"
    assert blocks[5]["type"] == "paragraph"
    assert '<a href="https://example.org/a">Read</a>' in blocks[5]["value"]
    assert "a<br/>b" in blocks[-1]["value"]


def test_a_remote_image_becomes_a_link_and_is_never_fetched() -> None:
    blocks = html_to_blocks(
        '<figure><img src="https://example.com/photo.jpg" alt="Street">'
        "<figcaption>Photo: Jane</figcaption></figure>"
    )
    assert blocks == [{**blocks[0], "type": "paragraph"}]
    assert '<a href="https://example.com/photo.jpg">Photo: Jane</a>' in blocks[0]["value"]


@pytest.mark.django_db
def test_one_of_our_photos_becomes_an_image_block() -> None:
    photo = PhotoFactory()
    url = settings.MASTHEAD_SITE_URL + photo.file.url
    assert photo_for_url(url) == photo
    assert photo_for_url("https://elsewhere.example" + photo.file.url) is None
    blocks = html_to_blocks(f'<figure><img src="{url}" alt="A"><figcaption>C</figcaption></figure>')
    assert blocks[0]["type"] == "image"
    assert blocks[0]["value"]["image"] == photo.pk
    assert blocks[0]["value"]["caption"] == "C"


def test_lexical_lists_formats_and_html_cards() -> None:
    document = {
        "root": {
            "children": [
                {
                    "type": "list",
                    "listType": "number",
                    "children": [
                        {
                            "type": "listitem",
                            "children": [{"type": "text", "text": "One", "format": 1}],
                        }
                    ],
                },
                {"type": "html", "html": "<p>Raw <em>card</em></p>"},
                {"type": "horizontalrule"},
                {"type": "toggle", "heading": "Ignored key", "content": "Kept words"},
            ]
        }
    }
    blocks = lexical_to_blocks(document)
    assert blocks[0]["type"] == "paragraph"
    assert "<ol><li>" in blocks[0]["value"]
    assert "One" in blocks[0]["value"] and "card" in blocks[0]["value"]
    assert "Kept words" in blocks_text(blocks)
