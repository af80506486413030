"""The posts browse without the page cache: its queries stay few whatever the archive's size,
and the counts and post objects it keeps (``pagecache.memoize``) follow every change."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from masthead.contentapi.models import Integration
from masthead.publishing import pagecache
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    TagFactory,
    paragraph_blocks,
)

pytestmark = pytest.mark.django_db

ROOT = "/ghost/api/content/"
# The page's ids (the key's integration is a shared answer until an integration changes,
# see ``auth._active_integration``); after a publication also the key, the count, the
# restricted paths, the articles with their section and images, bylines, tags, tiers and
# the photos' renditions, and the site's chrome (12: a publication retires it too, as
# its menus may point at articles).
WARM_QUERIES = 1
COLD_QUERIES = 21


pytestmark = pytest.mark.usefixtures("page_cache_off")  # built every time, as on a miss


@pytest.fixture
def key(db: None) -> str:
    return Integration.objects.create(name="Static site").content_key


def _browse(client: Client, key: str, **params: str) -> dict[str, Any]:
    response = client.get(
        ROOT + "posts/", {"key": key, "limit": "15", "include": "tags,authors", **params}
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def _queries(client: Client, key: str, **params: str) -> tuple[int, dict[str, Any]]:
    with CaptureQueriesContext(connection) as captured:
        body = _browse(client, key, **params)
    return len(captured), body


def _archive(home: Any, section: Any, count: int) -> None:
    authors = [AuthorFactory(), AuthorFactory()]
    tags = [TagFactory(), TagFactory()]
    for _ in range(count):
        ArticlePageFactory(parent=home, section=section, tags=tags, authors=authors)


@pytest.mark.parametrize("size", [20, 120])
def test_a_page_of_posts_costs_the_same_queries_in_a_small_and_a_large_archive(
    client: Client, key: str, home: Any, section: Any, size: int
) -> None:
    _archive(home, section, size)
    _browse(client, key)  # Wagtail's site-root cache, as on any running server
    pagecache.bump("listing")  # as a publication does: nothing kept is current
    cold, first = _queries(client, key)
    warm, again = _queries(client, key, page="1")
    deep, last = _queries(client, key, page=str((size + 14) // 15))
    assert cold <= COLD_QUERIES
    assert warm == WARM_QUERIES
    assert deep <= COLD_QUERIES
    assert again == first
    assert first["meta"]["pagination"]["total"] == size
    assert len(first["posts"]) == 15
    assert len(last["posts"]) == (size % 15 or 15)


def test_kept_posts_follow_an_edit_a_rename_and_a_privacy_setting(
    client: Client, key: str, home: Any, section: Any
) -> None:
    tag = TagFactory(name="Courts")
    author = AuthorFactory(name="Olena Bilyk")
    story = ArticlePageFactory(parent=home, title="First draft", tags=[tag], authors=[author])
    ArticlePageFactory(parent=home, title="Another story")
    assert [post["title"] for post in _browse(client, key)["posts"]][-1] == "First draft"

    story.title = "Court rules on the dam"
    story.save_revision().publish()
    posts = _browse(client, key)["posts"]
    assert "Court rules on the dam" in [post["title"] for post in posts]

    tag.name = "Justice"
    tag.save()
    author.name = "Olena Bilyk-Shevchenko"
    author.save()
    [post] = [post for post in _browse(client, key)["posts"] if post["id"] == story.ghost_id]
    assert [item["name"] for item in post["tags"]] == ["Justice"]
    assert post["primary_author"]["name"] == "Olena Bilyk-Shevchenko"

    PageViewRestriction.objects.create(
        page=story, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    body = _browse(client, key)
    assert [post["title"] for post in body["posts"]] == ["Another story"]
    assert body["meta"]["pagination"]["total"] == 1


def test_a_restriction_above_the_articles_hides_them_all_and_its_removal_shows_them(
    client: Client, key: str, home: Any
) -> None:
    ArticlePageFactory(parent=home)
    ArticlePageFactory(parent=home)
    assert _browse(client, key)["meta"]["pagination"]["total"] == 2
    restriction = PageViewRestriction.objects.create(
        page=home, restriction_type=PageViewRestriction.LOGIN
    )
    assert _browse(client, key) == {
        "posts": [],
        "meta": {
            "pagination": {
                "page": 1,
                "limit": 15,
                "pages": 1,
                "total": 0,
                "next": None,
                "prev": None,
            }
        },
    }
    restriction.delete()
    assert len(_browse(client, key)["posts"]) == 2


def test_each_filter_keeps_its_own_count_and_a_new_post_joins_it(
    client: Client, key: str, home: Any
) -> None:
    courts = TagFactory(slug="courts")
    ArticlePageFactory(parent=home, tags=[courts])
    ArticlePageFactory(parent=home)
    assert _browse(client, key)["meta"]["pagination"]["total"] == 2
    assert _browse(client, key, filter="tag:courts")["meta"]["pagination"]["total"] == 1
    ArticlePageFactory(parent=home, tags=[courts])
    assert _browse(client, key, filter="tag:courts")["meta"]["pagination"]["total"] == 2
    assert _browse(client, key)["meta"]["pagination"]["total"] == 3


def test_readers_of_different_access_never_share_kept_posts(
    client: Client, key: str, home: Any, free_member: Any
) -> None:
    from masthead.contentapi.members_context import issue_member_token

    marker = "quetzalcoatlite"
    ArticlePageFactory(
        parent=home,
        visibility="members",
        dek="",
        body=[
            *paragraph_blocks(["An opening anyone may read."]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([f"The {marker} detail for members."]),
        ],
    )
    anonymous = _browse(client, key)["posts"][0]
    token = issue_member_token(free_member)
    member = client.get(
        ROOT + "posts/",
        {"key": key, "limit": "15", "include": "tags,authors"},
        HTTP_AUTHORIZATION=f"GhostMembers {token}",
    ).json()["posts"][0]
    assert marker not in anonymous["html"]
    assert anonymous["access"] is False
    assert marker in member["html"]
    assert member["access"] is True
    assert marker not in _browse(client, key)["posts"][0]["html"]
