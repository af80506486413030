"""HTML and Lexical from Ghost's clients become body blocks without losing a word."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from masthead.contentapi.html_import import ALL_MEMBERS_SEGMENT as ALL_MEMBERS
from masthead.contentapi.html_import import (
    html_to_blocks,
    import_html,
    import_lexical,
    lexical_to_blocks,
    photo_for_url,
    visibility_covers,
)
from masthead.contentapi.models import Integration
from masthead.contentapi.tests.test_admin_api import sign
from masthead.ghost_errors import ValidationError
from masthead.membership.access import Visibility
from masthead.publishing.factories import PhotoFactory
from masthead.publishing.models import ArticlePage
from masthead.publishing.plain_text import blocks_text, html_to_text

# A real Ghost 6.65 export, for the HTML Ghost itself writes.
FIXTURE = Path(__file__).parent / "fixtures" / "ghost-6.65.0-export-sqlite.json"


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


# --- Ghost's gated blocks ------------------------------------------------------------------

PAID_ONLY = (
    '<p>Free.</p><!--kg-gated-block:begin nonMember:false memberSegment:"status:-free" -->'
    "<p>Paid-only SECRET.</p><!--kg-gated-block:end-->"
)


def test_a_paid_only_gated_block_is_refused_in_a_public_article() -> None:
    with pytest.raises(ValidationError) as refused:
        html_to_blocks(PAID_ONLY)
    assert refused.value.property == "html"
    assert '"paid"' in (refused.value.help or "")


def test_a_paid_only_gated_block_starts_the_gated_part_and_needs_paid() -> None:
    imported = import_html(PAID_ONLY + "<p>After.</p>")
    assert imported.visibility == Visibility.PAID
    assert [b["type"] for b in imported.blocks] == [
        "paragraph",
        "paywall",
        "paragraph",
        "paragraph",
    ]
    assert "SECRET" in imported.blocks[2]["value"]
    assert html_to_blocks(PAID_ONLY, visibility="paid")[1]["type"] == "paywall"


@pytest.mark.parametrize(
    ("segment", "needs"),
    [
        ("status:free,status:-free", Visibility.MEMBERS),
        ("status:free", Visibility.MEMBERS),
        ("status:-free", Visibility.PAID),
    ],
)
def test_each_member_segment_needs_the_visibility_that_keeps_out_the_public(
    segment: str, needs: Visibility
) -> None:
    markup = (
        f'<p>Open.</p><!--kg-gated-block:begin nonMember:false memberSegment:"{segment}"-->'
        "<p>Hidden.</p><!--kg-gated-block:end-->"
    )
    imported = import_html(markup)
    assert imported.visibility == needs
    assert [b["type"] for b in imported.blocks] == ["paragraph", "paywall", "paragraph"]


def test_an_earlier_paywall_is_kept_and_a_later_one_comes_after_the_inserted_cut() -> None:
    before = import_html(
        "<p>A.</p><!--members-only--><p>B.</p>"
        '<!--kg-gated-block:begin nonMember:false memberSegment:"status:free,status:-free" -->'
        "<p>C.</p><!--kg-gated-block:end-->"
    )
    assert [b["type"] for b in before.blocks] == ["paragraph", "paywall", "paragraph", "paragraph"]
    after = import_html(
        '<p>A.</p><!--kg-gated-block:begin nonMember:false memberSegment:"status:-free" -->'
        "<p>Secret.</p><!--kg-gated-block:end--><p>D.</p><!--members-only--><p>E.</p>"
    )
    types = [b["type"] for b in after.blocks]
    assert types.index("paywall") == 1
    assert after.visibility == Visibility.PAID


@pytest.mark.parametrize(
    "params",
    [
        'nonMember:true memberSegment:""',  # a sign-up call for visitors only
        'nonMember:false memberSegment:""',  # shown to no one on the web
        'nonMember:false memberSegment:"tier:gold"',  # a segment Ghost does not honour
        "",
    ],
)
def test_blocks_members_never_see_on_the_web_are_dropped(params: str) -> None:
    imported = import_html(
        f"<p>A.</p><!--kg-gated-block:begin {params} --><p>Dropped words.</p>"
        "<!--kg-gated-block:end--><p>B.</p>"
    )
    assert "Dropped" not in blocks_text(imported.blocks)
    assert imported.visibility == Visibility.PUBLIC
    assert [b["type"] for b in imported.blocks] == ["paragraph", "paragraph"]


def test_a_block_the_public_sees_is_kept_as_public_text() -> None:
    imported = import_html(
        '<!--kg-gated-block:begin nonMember:true memberSegment:"status:free" -->'
        "<p>Upgrade today.</p><!--kg-gated-block:end-->"
    )
    assert imported.visibility == Visibility.PUBLIC
    assert "Upgrade today." in blocks_text(imported.blocks)


def test_a_marker_inside_a_paragraph_still_cuts_and_an_unclosed_one_gates_to_the_end() -> None:
    inside = import_html(
        '<p>Open <!--kg-gated-block:begin nonMember:false memberSegment:"status:-free" -->'
        "secret<!--kg-gated-block:end--> tail</p>"
    )
    assert [b["type"] for b in inside.blocks] == ["paragraph", "paywall", "paragraph", "paragraph"]
    assert "secret" not in inside.blocks[0]["value"]
    unclosed = import_html(
        '<p>Open.</p><!--kg-gated-block:begin nonMember:false memberSegment:"status:-free" -->'
        "<p>Secret.</p><p>More.</p>"
    )
    assert [b["type"] for b in unclosed.blocks] == ["paragraph", "paywall", "paragraph"]
    assert unclosed.visibility == Visibility.PAID


def test_a_page_with_a_gated_block_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        import_html(PAID_ONLY, body="page")
    assert refused.value.property == "html"


def test_lexical_card_visibility_gates_like_the_html_markers() -> None:
    def card(html: str, web: dict[str, Any] | None = None, **old: Any) -> dict[str, Any]:
        visibility: dict[str, Any] = dict(old)
        if web is not None:
            visibility = {"web": web, "email": {"memberSegment": "status:free,status:-free"}}
        return {"type": "html", "html": html, "visibility": visibility}

    document = {
        "root": {
            "children": [
                {"type": "paragraph", "children": [{"type": "text", "text": "Open."}]},
                card("<p>Everyone.</p>", {"nonMember": True, "memberSegment": ALL_MEMBERS}),
                card("<p>Email only.</p>", showOnWeb=False, showOnEmail=True),
                card("<p>Visitors only.</p>", {"nonMember": True, "memberSegment": ""}),
                card("<p>Paid SECRET.</p>", {"nonMember": False, "memberSegment": "status:-free"}),
            ]
        }
    }
    with pytest.raises(ValidationError) as refused:
        lexical_to_blocks(document)
    assert refused.value.property == "lexical"
    imported = import_lexical(document)
    assert imported.visibility == Visibility.PAID
    text = blocks_text(imported.blocks)
    assert "Email only" not in text and "Visitors only" not in text
    types = [b["type"] for b in imported.blocks]
    assert types == ["paragraph", "paywall", "paragraph"]
    assert "Everyone." in imported.blocks[0]["value"]
    assert "SECRET" in imported.blocks[2]["value"]


def test_visibility_covers_orders_public_members_paid() -> None:
    assert visibility_covers("paid", "members")
    assert not visibility_covers("members", "paid")
    assert visibility_covers("tiers", "members")
    assert not visibility_covers("tiers", "paid")
    assert visibility_covers("tiers", "paid", tiers_are_paid=True)
    assert not visibility_covers("nonsense", "members")


@pytest.mark.django_db
def test_the_admin_api_keeps_ghosts_gated_blocks_gated(home: Any, client: Any) -> None:
    integration = Integration.objects.create(name="Writer")
    api = Client(HTTP_AUTHORIZATION=f"Ghost {sign(integration)}")
    response = api.post(
        "/ghost/api/admin/posts/?source=html&formats=html",
        data=json.dumps({"posts": [{"title": "Gated", "html": PAID_ONLY, "status": "published"}]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    [post] = response.json()["posts"]
    # The request said nothing of visibility: the gated part still keeps out everyone Ghost's
    # block kept out, behind the paywall, and what came before it stays free.
    assert post["visibility"] == "paid"
    article = ArticlePage.objects.get(title="Gated")
    assert article.visibility == "paid"
    page = client.get(article.url)
    assert page.status_code == 200
    assert b"Free." in page.content
    assert b"SECRET" not in page.content

    # An edit that asks for a public article with the same body is raised again.
    response = api.put(
        f"/ghost/api/admin/posts/{post['id']}/?source=html",
        data=json.dumps(
            {
                "posts": [
                    {"html": PAID_ONLY, "visibility": "public", "updated_at": post["updated_at"]}
                ]
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["posts"][0]["visibility"] == "paid"
