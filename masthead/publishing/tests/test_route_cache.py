"""An article's route is read once and shared by later renders, and every change to what it
holds (the article, its live updates, its privacy, its place in the site) retires it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from masthead.publishing import actions, pagecache
from masthead.publishing.factories import ArticlePageFactory, LivePageFactory, paragraph_blocks
from masthead.publishing.models import ArticlePage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _every_request_renders(settings: Any) -> None:
    settings.MASTHEAD_PAGE_CACHE = False  # only the parts a render shares are kept


def _get(client: Any, url: str) -> tuple[Any, list[str]]:
    """The response and the SQL of the queries that looked an address up."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    lookups = [q["sql"] for q in queries.captured_queries if '"url_path" = ' in q["sql"]]
    return response, lookups


def test_a_second_render_reads_no_route_and_shows_the_same_page(client, home):
    story = ArticlePageFactory(parent=home, title="Ferry service resumes")
    first, lookups = _get(client, story.url)
    assert first.status_code == 200 and len(lookups) == 1
    second, lookups = _get(client, story.url)
    assert second.status_code == 200 and lookups == []
    assert second.content == first.content


def test_an_edit_and_an_unpublish_reach_the_next_render(client, home):
    story = ArticlePageFactory(parent=home, title="Ferry service resumes")
    client.get(story.url)
    page = ArticlePage.objects.get(pk=story.pk)
    page.title = "Ferry service resumes on Monday"
    page.save_revision().publish()
    response, lookups = _get(client, story.url)
    assert b"Ferry service resumes on Monday" in response.content and len(lookups) == 1
    page.unpublish()
    assert client.get(story.url).status_code == 404


def test_a_privacy_setting_covers_the_article_at_once(client, home):
    story = ArticlePageFactory(parent=home, body=paragraph_blocks(["The Gravel-lantern memo."]))
    assert b"Gravel-lantern" in client.get(story.url).content
    PageViewRestriction.objects.create(
        page=story, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    response = client.get(story.url)
    assert b"Gravel-lantern" not in response.content


def test_a_live_update_reaches_a_live_page_rendered_before_it(client, home):
    live = LivePageFactory(parent=home, slug="storm-live")
    actions.post_live_update(page=live, body=paragraph_blocks(["Wind rising."]))
    assert b"Wind rising." in client.get(live.url).content
    actions.post_live_update(page=live, body=paragraph_blocks(["Harbour closed."]))
    response, lookups = _get(client, live.url)
    assert b"Harbour closed." in response.content and len(lookups) == 1


class _Recording:
    """The shared cache, noting every value stored."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.kept: list[Any] = []

    def set(self, key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        self.kept.append(value)
        return self.real.set(key, value, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_made_up_addresses_are_not_kept(client, home, monkeypatch):
    recording = _Recording(pagecache.cache)
    monkeypatch.setattr(pagecache, "cache", recording)
    for attempt in range(3):
        response, lookups = _get(client, f"/no-such-story-{attempt}/")
        assert response.status_code == 404 and len(lookups) == 1
    story = ArticlePageFactory(parent=home)
    client.get(story.url)
    routes = [memo.value for memo in recording.kept if isinstance(memo, pagecache._Memo)]
    assert [route.pk for route in routes if isinstance(route, ArticlePage)] == [story.pk]
    assert None not in routes
