"""Admin API reads show the latest revision, the one the next edit is applied to.

An editor may save a draft of a live article in Wagtail; the Admin API then shows that
draft (its title, tags, bylines and ``updated_at``), while the Content API and the site
keep showing what is published. A stale ``updated_at`` is a 409 naming what changed.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.contentapi.admin_views import latest_versions
from masthead.contentapi.models import Integration
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    PhotoFactory,
    StandardPageFactory,
    TagFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticleAuthor, ArticlePage

pytestmark = pytest.mark.django_db

ROOT = "/ghost/api/admin"


def _token(integration: Integration) -> str:
    issued = int(time.time())
    return jwt.encode(
        {"iat": issued, "exp": issued + 300, "aud": "/admin/"},
        bytes.fromhex(integration.admin_secret),
        algorithm="HS256",
        headers={"kid": integration.admin_key_id},
    )


@pytest.fixture
def integration(db: None) -> Integration:
    return Integration.objects.create(name="Sync")


@pytest.fixture
def api(integration: Integration) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Ghost {_token(integration)}")


def _save_draft(article: Any, **changes: Any) -> Any:
    """What the page editor's "Save draft" does: a new revision, the live page untouched."""
    draft = article.get_latest_revision_as_object()
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft.save_revision()


def _put(api: Client, path: str, data: Any) -> Any:
    return api.put(f"{ROOT}{path}", data=json.dumps(data), content_type="application/json")


def test_an_editors_draft_shows_in_admin_reads_and_not_in_the_content_api(
    api: Client, integration: Integration, home: Any
) -> None:
    kyiv = TagFactory(name="Kyiv", slug="kyiv")
    later = TagFactory(name="Later", slug="later")
    ana, ben = AuthorFactory(name="Ana"), AuthorFactory(name="Ben")
    photo = PhotoFactory()
    article = ArticlePageFactory(
        parent=home, title="Live title", slug="story", tags=[kyiv], authors=[ana]
    )
    article.save_revision().publish()
    article.refresh_from_db()
    draft = article.get_latest_revision_as_object()
    draft.title = "Draft title"
    draft.lead_image = photo
    draft.tags = [kyiv, later]
    draft.article_authors = [
        ArticleAuthor(author=ben, sort_order=0),
        ArticleAuthor(author=ana, sort_order=1),
    ]
    revision = draft.save_revision()

    one = api.get(f"{ROOT}/posts/{article.ghost_id}/?include=tags,authors").json()["posts"][0]
    assert one["title"] == "Draft title"
    assert one["status"] == "published"
    assert [tag["slug"] for tag in one["tags"]] == ["kyiv", "later"]
    assert [author["name"] for author in one["authors"]] == ["Ben", "Ana"]
    assert one["feature_image"] is not None
    assert one["url"].endswith("/story/")
    shown = datetime.fromisoformat(one["updated_at"])
    assert abs(shown - revision.created_at) < timedelta(milliseconds=1)
    by_slug = api.get(f"{ROOT}/posts/slug/story/").json()["posts"][0]
    assert by_slug["title"] == "Draft title"
    listing = api.get(f"{ROOT}/posts/").json()["posts"]
    assert [post["title"] for post in listing] == ["Draft title"]

    content = Client().get(
        "/ghost/api/content/posts/slug/story/",
        {"key": integration.content_key, "include": "tags"},
    )
    assert content.status_code == 200, content.content
    live = content.json()["posts"][0]
    assert live["title"] == "Live title"
    assert [tag["slug"] for tag in live["tags"]] == ["kyiv"]
    assert ArticlePage.objects.get(pk=article.pk).title == "Live title"


def test_the_updated_at_of_a_draft_is_the_one_an_edit_must_send(api: Client, home: Any) -> None:
    article = ArticlePageFactory(parent=home, title="Live", slug="story")
    article.save_revision().publish()
    article.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        _save_draft(article, title="Draft")
    read = api.get(f"{ROOT}/posts/{article.ghost_id}/").json()["posts"][0]
    edited = _put(
        api,
        f"/posts/{article.ghost_id}/",
        {"posts": [{"custom_excerpt": "Short.", "updated_at": read["updated_at"]}]},
    )
    assert edited.status_code == 200, edited.content
    answer = edited.json()["posts"][0]
    # The edit went onto the draft, and published it as Ghost's editor would.
    assert (answer["title"], answer["custom_excerpt"]) == ("Draft", "Short.")
    assert ArticlePage.objects.get(pk=article.pk).title == "Draft"


def test_a_page_draft_shows_in_admin_reads(api: Client, home: Any) -> None:
    page = StandardPageFactory(parent=home, title="About", slug="about")
    page.save_revision().publish()
    page.refresh_from_db()
    _save_draft(page, title="About us", intro="Who we are.")
    answer = api.get(f"{ROOT}/pages/{page.ghost_id}/").json()["pages"][0]
    assert (answer["title"], answer["custom_excerpt"]) == ("About us", "Who we are.")
    assert answer["id"] == page.ghost_id


def test_drafts_cost_the_same_queries_for_one_or_many_posts(api: Client, home: Any) -> None:
    tags = [TagFactory() for _ in range(3)]
    writers = [AuthorFactory() for _ in range(3)]

    def drafted(count: int) -> None:
        for n in range(count):
            article = ArticlePageFactory(parent=home, tags=tags[:2], authors=writers[:2])
            article.save_revision().publish()
            article.refresh_from_db()
            _save_draft(article, title=f"Draft {n}", tags=tags, lead_image=PhotoFactory(), tiers=[])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(f"{ROOT}/posts/?include=tags,authors&limit=all")
        assert response.status_code == 200
        assert all(post["title"].startswith("Draft") for post in response.json()["posts"])
        return len(captured)

    # The first answer after new photos makes their renditions; measure the next one.
    drafted(1)
    queries()
    few = queries()
    drafted(4)
    queries()
    assert queries() == few


def test_latest_versions_keeps_pages_without_drafts_as_they_are(home: Any) -> None:
    article = ArticlePageFactory(parent=home)
    assert latest_versions([article]) == [article]
    assert latest_versions([article])[0] is article


def test_a_stale_edit_names_the_fields_changed_since(api: Client, home: Any) -> None:
    created = api.post(
        f"{ROOT}/posts/",
        data=json.dumps({"posts": [{"title": "One"}]}),
        content_type="application/json",
    ).json()["posts"][0]
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        moved = _put(
            api,
            f"/posts/{created['id']}/",
            {
                "posts": [
                    {"title": "Two", "custom_excerpt": "New.", "updated_at": created["updated_at"]}
                ]
            },
        )
    assert moved.status_code == 200, moved.content
    stale = _put(api, f"/posts/{created['id']}/", {"posts": [{"title": "Three", **_at(created)}]})
    assert stale.status_code == 409
    error = stale.json()["errors"][0]
    assert error["code"] == "UPDATE_COLLISION"
    assert error["details"]["changedFields"] == ["title", "custom_excerpt"]
    assert error["details"]["clientUpdatedAt"] == created["updated_at"]


def test_a_stale_edit_from_an_unknown_version_has_no_changed_fields(api: Client, home: Any) -> None:
    created = api.post(
        f"{ROOT}/posts/",
        data=json.dumps({"posts": [{"title": "One"}]}),
        content_type="application/json",
    ).json()["posts"][0]
    stale = _put(
        api,
        f"/posts/{created['id']}/",
        {"posts": [{"title": "Two", "updated_at": "2001-01-01T00:00:00.000Z"}]},
    )
    assert stale.status_code == 409
    details = stale.json()["errors"][0]["details"]
    assert "changedFields" not in details
    assert details["clientUpdatedAt"] == "2001-01-01T00:00:00.000Z"


def _at(post: dict[str, Any]) -> dict[str, str]:
    return {"updated_at": post["updated_at"]}


def test_a_drafts_reading_time_is_counted_from_the_drafts_body(api: Client, home: Any) -> None:
    article = ArticlePageFactory(parent=home, body=paragraph_blocks(["A short story."]))
    article.save_revision().publish()
    article.refresh_from_db()
    _save_draft(article, body=paragraph_blocks([" ".join(["word"] * 2000)]))
    answer = api.get(f"{ROOT}/posts/{article.ghost_id}/").json()["posts"][0]
    assert answer["reading_time"] >= 5
    assert ArticlePage.objects.get(pk=article.pk).reading_time <= 1
