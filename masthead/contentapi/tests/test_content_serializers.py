"""Ghost objects built from masthead rows: keys, order, gating and the Admin API shape."""

from __future__ import annotations

from typing import Any

import pytest

from masthead.contentapi.serializers import (
    Context,
    page_queryset,
    post_queryset,
    serialize_authors,
    serialize_newsletters,
    serialize_pages,
    serialize_posts,
    serialize_settings,
    serialize_tags,
    serialize_tiers,
)
from masthead.membership.access import ANONYMOUS, Reader, ReaderKind
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    StandardPageFactory,
    TagFactory,
    paragraph_blocks,
)

pytestmark = pytest.mark.django_db

POST_KEYS = [
    "id",
    "uuid",
    "title",
    "slug",
    "html",
    "comment_id",
    "feature_image",
    "featured",
    "visibility",
    "created_at",
    "updated_at",
    "published_at",
    "custom_excerpt",
    "codeinjection_head",
    "codeinjection_foot",
    "custom_template",
    "canonical_url",
    "tags",
    "authors",
    "primary_author",
    "primary_tag",
    "url",
    "excerpt",
    "reading_time",
    "access",
    "comments",
    "og_image",
    "og_title",
    "og_description",
    "twitter_image",
    "twitter_title",
    "twitter_description",
    "meta_title",
    "meta_description",
    "email_subject",
    "frontmatter",
    "feature_image_alt",
    "feature_image_caption",
]

GATED_MARKER = "zanzibarite"


def _gated_body() -> list[dict[str, Any]]:
    return [
        *paragraph_blocks(["The free opening of the story."]),
        {"type": "paywall", "value": None},
        *paragraph_blocks([f"The {GATED_MARKER} secret for members."]),
    ]


def _ctx(**kwargs: Any) -> Context:
    kwargs.setdefault("api", "content")
    kwargs.setdefault("reader", ANONYMOUS)
    return Context(**kwargs)


def _posts(ctx: Context) -> list[dict[str, Any]]:
    return serialize_posts(list(post_queryset(ctx.api).order_by("pk")), ctx)


def test_a_post_has_ghosts_content_keys_in_ghosts_order(
    home: Any, section: Any, author: Any
) -> None:
    tag = TagFactory(name="Kyiv")
    internal = TagFactory(name="#legal-hold", slug="hash-legal-hold", visibility="internal")
    ArticlePageFactory(
        parent=home, title="Front line", section=section, tags=[tag, internal], authors=[author]
    )
    [post] = _posts(_ctx(include=frozenset({"tags", "authors"})))
    assert list(post) == POST_KEYS
    assert [t["slug"] for t in post["tags"]] == ["war", "hash-legal-hold", "kyiv"]
    assert post["primary_tag"]["slug"] == "war"
    assert post["tags"][1]["url"].endswith("/404/")
    assert post["primary_author"]["slug"] == "mira-valen"
    assert post["url"].startswith("http")
    assert post["created_at"].endswith("+00:00")
    assert post["created_at"][19:23] == ".000" or post["created_at"][19] == "."
    assert post["comments"] is False
    assert post["access"] is True


def test_gated_text_never_reaches_a_reader_without_access(home: Any) -> None:
    ArticlePageFactory(parent=home, visibility="paid", body=_gated_body(), dek="")
    formats = frozenset({"html", "plaintext"})
    [anonymous] = _posts(_ctx(formats=formats))
    assert GATED_MARKER not in str(anonymous)
    assert "free opening" in anonymous["html"]
    assert anonymous["access"] is False
    assert anonymous["excerpt"].startswith("The free opening")
    [default_formats] = _posts(_ctx())
    assert GATED_MARKER not in str(default_formats)
    assert "plaintext" in default_formats
    paid = Reader(kind=ReaderKind.MEMBER, has_paid_access=True)
    [member] = _posts(_ctx(reader=paid, formats=formats))
    assert GATED_MARKER in member["html"]
    assert "<!--members-only-->" in member["html"]
    assert member["access"] is True


def test_a_gated_post_without_a_paywall_block_shows_nothing(home: Any) -> None:
    ArticlePageFactory(
        parent=home, visibility="members", body=paragraph_blocks([GATED_MARKER]), dek=""
    )
    [post] = _posts(_ctx(formats=frozenset({"html", "plaintext"})))
    assert post["html"] == ""
    assert post["plaintext"] == ""
    assert post["excerpt"] == ""


def test_the_admin_shape_has_status_and_the_whole_body(home: Any) -> None:
    ArticlePageFactory(parent=home, visibility="paid", body=_gated_body())
    ctx = _ctx(api="admin", formats=frozenset({"html", "plaintext", "lexical"}))
    [post] = _posts(ctx)
    assert post["status"] == "published"
    assert post["lexical"] is None
    assert GATED_MARKER in post["html"]
    assert "access" not in post
    assert post["email_only"] is False
    assert post["type"] == "post"


def test_fields_keeps_only_the_asked_keys_in_ghosts_order(home: Any) -> None:
    ArticlePageFactory(parent=home)
    [post] = _posts(_ctx(fields=("url", "title", "nonsense")))
    assert list(post) == ["title", "url"]


def test_pages_authors_tags_tiers_newsletters_and_settings_build(
    home: Any, section: Any, author: Any, supporter: Any
) -> None:
    from masthead.publishing.models import Author, Tag

    StandardPageFactory(parent=home, title="About", slug="about")
    ArticlePageFactory(parent=home, section=section, authors=[author])
    ArticlePageFactory(parent=home, section=section, authors=[author], email_only=True)
    AuthorFactory(name="Nobody")
    ctx = _ctx(include=frozenset({"count.posts", "monthly_price", "yearly_price", "benefits"}))
    [page] = serialize_pages(list(page_queryset("content")), ctx)
    assert page["url"].endswith("/about/")
    assert page["show_title_and_feature_image"] is True
    authors = {a["slug"]: a for a in serialize_authors(list(Author.objects.all()), ctx)}
    assert authors["mira-valen"]["count"] == {"posts": 1}
    assert authors["mira-valen"]["url"].endswith("/author/mira-valen/")
    tags = {t["slug"]: t for t in serialize_tags(list(Tag.objects.all()), ctx)}
    assert tags["war"]["count"] == {"posts": 1}
    assert tags["war"]["accent_color"] == "#B42318"
    from masthead.membership.models import Tier

    tiers = {t["slug"]: t for t in serialize_tiers(list(Tier.objects.all()), ctx)}
    assert tiers["supporter"]["monthly_price"] == 500
    assert tiers["supporter"]["created_at"].endswith("Z")
    from masthead.newsletters.models import Newsletter

    newsletters = serialize_newsletters(list(Newsletter.objects.all()), ctx)
    assert all(next(iter(n)) == "id" for n in newsletters)
    settings = serialize_settings(ctx)
    assert settings["version"] == "6.0"
    assert settings["url"].endswith("/")
