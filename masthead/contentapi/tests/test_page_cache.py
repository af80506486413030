"""The Content API behind the page cache: shared answers for anyone with the key, exact
invalidation, and nothing member-specific kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from masthead.contentapi import actions
from masthead.contentapi.members_context import issue_member_token
from masthead.contentapi.models import Integration
from masthead.publishing import pagecache
from masthead.publishing.factories import ArticlePageFactory

pytestmark = pytest.mark.django_db

ROOT = "/ghost/api/content/"


@pytest.fixture
def integration(db: None) -> Integration:
    return Integration.objects.create(name="Static site")


def _browse(client: Client, key: str, **extra: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ROOT + "posts/", {"key": key, "include": "tags,authors"}, **extra)
    return response, len(queries.captured_queries)


def test_a_repeated_browse_is_answered_from_the_cache(client, home, integration):
    ArticlePageFactory(parent=home, title="Grain corridor reopens")
    first, count = _browse(client, integration.content_key)
    assert first.status_code == 200 and count > 0
    second, again = _browse(Client(), integration.content_key)
    assert again == 0
    assert second.content == first.content
    assert second["Access-Control-Allow-Origin"] == first["Access-Control-Allow-Origin"]
    assert second["Content-Version"] == first["Content-Version"]


def test_publishing_reaches_the_cached_listing(client, home, integration):
    _browse(client, integration.content_key)
    article = ArticlePageFactory(parent=home, title="Ferry service resumes", live=False)
    article.save_revision().publish()
    body = _browse(client, integration.content_key)[0].content.decode()
    assert "Ferry service resumes" in body


def test_a_revoked_key_stops_working_at_once(client, home, integration):
    ArticlePageFactory(parent=home)
    assert _browse(client, integration.content_key)[0].status_code == 200
    actions.revoke_integration(integration=integration)
    assert _browse(client, integration.content_key)[0].status_code == 401


def test_member_answers_are_never_kept(client, home, integration, make_member, supporter):
    ArticlePageFactory(parent=home)
    member = make_member("reader@example.org", comp=supporter)
    token = issue_member_token(member)
    response, _ = _browse(
        client, integration.content_key, HTTP_AUTHORIZATION=f"GhostMembers {token}"
    )
    assert response.status_code == 200
    assert len(pagecache.store()) == 0
