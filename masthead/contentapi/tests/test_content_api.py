"""The Content API over HTTP: envelopes, parameters, errors, member context and query counts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from masthead.contentapi.members_context import issue_member_token
from masthead.contentapi.models import Integration
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    StandardPageFactory,
    TagFactory,
    paragraph_blocks,
)

pytestmark = pytest.mark.django_db

MARKER = "quetzalcoatlite"
ROOT = "/ghost/api/content/"


@pytest.fixture
def key(db: None) -> str:
    return Integration.objects.create(name="Static site").content_key


def _get(client: Client, path: str, key: str, **params: Any) -> Any:
    return client.get(ROOT + path, {"key": key, **params})


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    return dict(response.json())


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    [error] = response.json()["errors"]
    assert error["type"] == kind
    return dict(error)


def _gated(home: Any, **kwargs: Any) -> Any:
    body = [
        *paragraph_blocks(["An opening anyone may read."]),
        {"type": "paywall", "value": None},
        *paragraph_blocks([f"The {MARKER} detail for members."]),
    ]
    return ArticlePageFactory(parent=home, body=body, dek="", **kwargs)


def test_browse_posts_is_paginated_as_ghost(client: Client, key: str, home: Any) -> None:
    for _ in range(3):
        ArticlePageFactory(parent=home)
    body = _ok(_get(client, "posts/", key, limit="2"))
    assert list(body) == ["posts", "meta"]
    assert len(body["posts"]) == 2
    assert body["meta"] == {
        "pagination": {"page": 1, "limit": 2, "pages": 2, "total": 3, "next": 2, "prev": None}
    }
    second = _ok(_get(client, "posts/", key, limit="2", page="2"))
    assert len(second["posts"]) == 1
    assert second["meta"]["pagination"]["prev"] == 1
    past = _ok(_get(client, "posts/", key, page="9"))
    assert past["posts"] == []
    assert past["meta"]["pagination"]["page"] == 9
    assert _ok(_get(client, "posts/", key, limit="all"))["meta"]["pagination"]["limit"] == 100
    assert _ok(_get(client, "posts/", key, limit="500"))["meta"]["pagination"]["limit"] == 100
    assert _ok(_get(client, "posts/", key))["meta"]["pagination"]["limit"] == 15


def test_posts_come_newest_first_and_email_only_or_draft_ones_never(
    client: Client, key: str, home: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old = ArticlePageFactory(parent=home, first_published_at=now - timedelta(days=2))
    new = ArticlePageFactory(parent=home, first_published_at=now - timedelta(days=1))
    ArticlePageFactory(parent=home, email_only=True)
    ArticlePageFactory(parent=home, live=False, first_published_at=None)
    slugs = [post["slug"] for post in _ok(_get(client, "posts/", key))["posts"]]
    assert slugs == [new.slug, old.slug]


def test_read_by_id_and_slug_returns_one_element_without_meta(
    client: Client, key: str, home: Any
) -> None:
    article = ArticlePageFactory(parent=home)
    by_id = _ok(_get(client, f"posts/{article.ghost_id}/", key))
    assert list(by_id) == ["posts"]
    assert by_id["posts"][0]["slug"] == article.slug
    by_slug = _ok(_get(client, f"posts/slug/{article.slug}/", key))
    assert by_slug["posts"][0]["id"] == article.ghost_id


def test_missing_resources_are_ghosts_404_and_bad_input_ghosts_422(
    client: Client, key: str, home: Any
) -> None:
    error = _error(_get(client, "posts/slug/nothing/", key), 404, "NotFoundError")
    assert error["message"] == "Resource not found error, cannot read post."
    error = _error(_get(client, "tags/" + "a" * 24 + "/", key), 404, "NotFoundError")
    assert error["message"] == "Resource not found error, cannot read tag."
    _error(_get(client, "authors/slug/nobody/", key), 404, "NotFoundError")
    _error(_get(client, "pages/" + "0" * 24 + "/", key), 404, "NotFoundError")
    _error(_get(client, "posts/not-an-id/", key), 422, "ValidationError")
    _error(_get(client, "posts/", key, formats="html,pdf"), 422, "ValidationError")
    _error(_get(client, "posts/", key, page="two"), 422, "ValidationError")
    _error(_get(client, "offers/" + "b" * 24 + "/", key), 404, "NotFoundError")
    _error(client.post(ROOT + "posts/?key=" + key), 404, "NotFoundError")


def test_keys_are_checked_before_anything_else(client: Client, key: str) -> None:
    _error(client.get(ROOT + "posts/"), 403, "NoPermissionError")
    _error(client.get(ROOT + "posts/", {"key": "0" * 26}), 401, "UnauthorizedError")
    _error(client.get(ROOT + f"posts/?key={key}&key={key}"), 400, "BadRequestError")
    _error(client.get(ROOT + "settings/"), 403, "NoPermissionError")


def test_include_fields_and_formats(client: Client, key: str, home: Any, author: Any) -> None:
    ArticlePageFactory(parent=home, authors=[author], tags=[TagFactory(name="Kyiv")])
    [post] = _ok(_get(client, "posts/", key, include="authors,tags,nonsense"))["posts"]
    assert post["primary_author"]["name"] == author.name
    assert post["primary_tag"]["slug"] == "kyiv"
    [post] = _ok(_get(client, "posts/", key, fields="title,url"))["posts"]
    assert list(post) == ["title", "url"]
    [post] = _ok(_get(client, "posts/", key, formats="plaintext,mobiledoc"))["posts"]
    assert "plaintext" in post
    assert "html" not in post
    assert "mobiledoc" not in post


def test_gated_text_reaches_only_readers_with_access(
    client: Client,
    key: str,
    home: Any,
    free_member: Any,
    make_member: Any,
    supporter: Any,
    member_client: Any,
) -> None:
    article = _gated(home, visibility="paid")
    path = f"posts/{article.ghost_id}/"
    params = {"formats": "html,plaintext"}

    anonymous = _get(client, path, key, **params)
    assert MARKER not in anonymous.content.decode()
    assert anonymous.json()["posts"][0]["access"] is False
    assert "Cookie" in anonymous["Vary"]

    free = _get(member_client(free_member), path, key, **params)
    assert MARKER not in free.content.decode()
    assert "private" in free["Cache-Control"]

    paying = make_member("payer@example.org", comp=supporter)
    by_cookie = _get(member_client(paying), path, key, **params)
    assert MARKER in by_cookie.json()["posts"][0]["html"]
    assert "private" in by_cookie["Cache-Control"]
    assert "Authorization" in by_cookie["Vary"]

    token = issue_member_token(paying)
    by_token = client.get(
        ROOT + path, {"key": key, **params}, HTTP_AUTHORIZATION=f"GhostMembers {token}"
    )
    assert MARKER in by_token.json()["posts"][0]["plaintext"]

    browse = _get(client, "posts/", key, **params)
    assert MARKER not in browse.content.decode()


def test_an_editors_session_does_not_unlock_the_public_api(
    client: Client, key: str, home: Any, django_user_model: Any
) -> None:
    article = _gated(home, visibility="members")
    editor = django_user_model.objects.create_superuser(
        username="editor", email="editor@example.org", password="x"
    )
    client.force_login(editor)
    response = _get(client, f"posts/{article.ghost_id}/", key)
    assert MARKER not in response.content.decode()


def test_member_tokens_come_from_the_session_endpoint_and_die_with_the_session(
    client: Client, key: str, home: Any, free_member: Any, member_client: Any
) -> None:
    article = _gated(home, visibility="members")
    assert client.get("/members/api/session/").status_code == 204
    session = member_client(free_member).get("/members/api/session/")
    assert session.status_code == 200
    assert session["Content-Type"].startswith("text/plain")
    token = session.content.decode()
    response = client.get(
        ROOT + f"posts/{article.ghost_id}/",
        {"key": key},
        HTTP_AUTHORIZATION=f"GhostMembers {token}",
    )
    assert MARKER in response.json()["posts"][0]["html"]

    free_member.session_version += 1
    free_member.save(update_fields=["session_version"])
    stale = client.get(
        ROOT + f"posts/{article.ghost_id}/",
        {"key": key},
        HTTP_AUTHORIZATION=f"GhostMembers {token}",
    )
    _error(stale, 401, "UnauthorizedError")
    forged = client.get(
        ROOT + "posts/", {"key": key}, HTTP_AUTHORIZATION="GhostMembers not.a.token"
    )
    _error(forged, 401, "UnauthorizedError")
    expired = issue_member_token(free_member, now=time.time() - 3600)
    _error(
        client.get(ROOT + "posts/", {"key": key}, HTTP_AUTHORIZATION=f"GhostMembers {expired}"),
        401,
        "UnauthorizedError",
    )


def test_browse_costs_the_same_queries_for_10_and_30_posts(
    client: Client,
    key: str,
    home: Any,
    section: Any,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from masthead.publishing import pagecache

    settings.MASTHEAD_PAGE_CACHE = False  # the answer is built each time, as on a miss
    authors = [AuthorFactory(), AuthorFactory()]
    tags = [TagFactory(), TagFactory()]

    def make(count: int) -> None:
        for _ in range(count):
            ArticlePageFactory(parent=home, section=section, tags=tags, authors=authors)

    params = {"include": "tags,authors,tiers", "limit": "all", "formats": "html,plaintext"}
    make(10)
    _ok(_get(client, "posts/", key, **params))  # warm Wagtail's site-root cache
    pagecache.bump("listing")  # the posts are built again, as after a publication
    # (with the site's chrome, which a publication retires too: 12 of these)
    with django_assert_max_num_queries(22) as ten:
        assert len(_ok(_get(client, "posts/", key, **params))["posts"]) == 10
    assert len(ten) > 0
    make(20)
    with django_assert_max_num_queries(len(ten)):
        assert len(_ok(_get(client, "posts/", key, **params))["posts"]) == 30


def test_other_resources_answer_in_ghosts_envelopes(
    client: Client, key: str, home: Any, section: Any, author: Any, supporter: Any
) -> None:
    ArticlePageFactory(parent=home, section=section, authors=[author])
    AuthorFactory(name="No Stories")
    StandardPageFactory(parent=home, title="About", slug="about")
    pages = _ok(_get(client, "pages/", key))
    assert [page["slug"] for page in pages["pages"]] == ["about"]
    authors = _ok(_get(client, "authors/", key, include="count.posts"))
    assert [(a["slug"], a["count"]) for a in authors["authors"]] == [(author.slug, {"posts": 1})]
    tags = _ok(_get(client, "tags/", key, include="count.posts"))
    assert tags["tags"][0]["count"] == {"posts": 1}
    tiers = _ok(_get(client, "tiers/", key, include="monthly_price,yearly_price"))
    assert {t["slug"] for t in tiers["tiers"]} >= {"supporter"}
    assert "meta" in _ok(_get(client, "newsletters/", key))
    settings_body = _ok(_get(client, "settings/", key))
    assert settings_body["meta"] == {}
    assert settings_body["settings"]["version"] == "6.0"
    recommendations = _ok(_get(client, "recommendations/", key))
    assert recommendations["recommendations"] == []
    assert recommendations["meta"]["pagination"]["total"] == 0


def test_search_index_lists_posts_without_gated_words(
    client: Client, key: str, home: Any, author: Any, section: Any
) -> None:
    _gated(home, visibility="paid", authors=[author], section=section)
    posts = _ok(_get(client, "search-index/posts/", key))["posts"]
    assert list(posts[0]) == ["id", "slug", "title", "excerpt", "url", "updated_at", "visibility"]
    assert MARKER not in str(posts)
    assert _ok(_get(client, "search-index/authors/", key))["authors"][0]["slug"] == author.slug
    assert _ok(_get(client, "search-index/tags/", key))["tags"][0]["slug"] == "war"


def test_filter_and_slug_order_go_through_nql(client: Client, key: str, home: Any) -> None:
    first = ArticlePageFactory(parent=home, slug="alpha")
    second = ArticlePageFactory(parent=home, slug="beta")
    ArticlePageFactory(parent=home, slug="gamma")
    body = _ok(_get(client, "posts/", key, filter="slug:[beta,alpha]"))
    assert [post["slug"] for post in body["posts"]] == [second.slug, first.slug]
    _error(_get(client, "posts/", key, filter="slug:(("), 400, "BadRequestError")
