"""Live coverage under odd input and bad timing: each test holds a fixed fault to its fix."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from masthead.publishing import actions, coverage
from masthead.publishing.factories import ArticlePageFactory, LivePageFactory, paragraph_blocks
from masthead.publishing.models import LivePage, LiveUpdate
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(home: Any) -> LivePage:
    live: LivePage = LivePageFactory(parent=home, slug="election-night", title="Election night")
    return live


def post(page: LivePage, text: str, **kwargs: Any) -> LiveUpdate:
    return actions.post_live_update(page=page, body=paragraph_blocks([text]), **kwargs)


# --- The live page ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["%C2%B2", "%D9%A3", "1%C2%B2", "+1", " 1x"])
@pytest.mark.parametrize("partial", ["", "&partial=1"])
def test_a_permalink_that_is_not_an_ascii_number_opens_the_latest_updates(
    client: Any, page: LivePage, value: str, partial: str
) -> None:
    # "²" passes str.isdigit() but not int(): the page answered 500.
    update = post(page, "Polls close in the capital.")

    response = client.get(f"/election-night/?update={value}{partial}")

    assert response.status_code == 200
    assert f'id="update-{update.pk}"' in response.content.decode()


def test_an_update_posted_while_the_page_renders_reaches_the_reader(
    client: Any, page: LivePage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page read its poll cursor after its updates: an update committed in between was
    # neither on the page nor after the cursor, so the reader never saw it.
    post(page, "Polls close in the capital.")
    real_batch_of_rows = coverage.batch_of_rows

    def read_then_post(*args: Any, **kwargs: Any) -> Any:
        batch = real_batch_of_rows(*args, **kwargs)  # the page's updates are read
        post(page, "Turnout is the highest in twenty years.")
        return batch

    monkeypatch.setattr(coverage, "batch_of_rows", read_then_post)
    html = client.get("/election-night/").content.decode()
    monkeypatch.undo()

    cursor = re.search(r'data-cursor="(\d+)"', html)
    assert cursor is not None
    answer = client.get(f"/election-night/updates.json?since={cursor[1]}").json()
    assert "Turnout is the highest" in html or any(
        "Turnout is the highest" in update["html"] for update in answer["updates"]
    )


# --- The command line -------------------------------------------------------------------


@pytest.mark.parametrize("subcommand", [["post", "--text", "Polls close."], ["end"], ["resume"]])
@pytest.mark.parametrize("name", ["99999999999999999999", "²", "9" * 5000])
def test_the_command_line_refuses_an_impossible_id_in_one_line(
    page: LivePage, subcommand: list[str], name: str
) -> None:
    # A 20-digit id overflowed SQLite and "²" failed int(): a traceback, not a message.
    with pytest.raises(CommandError, match="No live page has the slug or id"):
        call_command("live", subcommand[0], name, *subcommand[1:], stdout=io.StringIO())
    assert not LiveUpdate.objects.exists()


# --- The live desk ----------------------------------------------------------------------


@pytest.fixture
def chief(client: Any) -> Any:
    user = UserFactory(superuser=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "path",
    ["", "end/", "resume/", "updates/1/edit/", "updates/1/delete/"],
)
def test_the_desk_answers_404_for_a_page_id_too_large_for_the_database(
    client: Any, chief: Any, page: LivePage, path: str
) -> None:
    # The id reached SQLite, which cannot hold it: a server error instead of "not found".
    assert client.get(f"/admin/live/99999999999999999999/{path}").status_code == 404
    assert client.post(f"/admin/live/99999999999999999999/{path}").status_code == 404


@pytest.mark.parametrize(
    ("headline", "slug"), [("Search", "search-{pk}"), ("RSS", "rss-{pk}"), ("!!!", "update-{pk}")]
)
def test_promoting_an_update_whose_headline_makes_no_usable_slug_makes_a_draft(
    client: Any, chief: Any, page: LivePage, headline: str, slug: str
) -> None:
    # "Search" gave the draft the reserved slug "search" and "!!!" no slug at all: the
    # draft's validation failed and the desk answered 500.
    update = post(page, "The count is paused.", headline=headline)

    response = client.post(f"/admin/live/{page.pk}/updates/{update.pk}/promote/")

    update.refresh_from_db()
    assert update.promoted_to is not None
    assert response.status_code == 302
    assert response["Location"] == f"/admin/pages/{update.promoted_to.pk}/edit/"
    assert update.promoted_to.slug == slug.format(pk=update.pk)
    assert update.promoted_to.title == headline
    assert not update.promoted_to.live


def test_a_promotion_the_draft_s_validation_refuses_is_explained_on_the_desk(
    client: Any, chief: Any, page: LivePage, home: Any
) -> None:
    update = post(page, "The count is paused.", headline="Search")
    ArticlePageFactory(parent=home, slug=f"search-{update.pk}")

    response = client.post(f"/admin/live/{page.pk}/updates/{update.pk}/promote/", follow=True)

    assert response.status_code == 200
    assert "No draft article was made from the update" in response.content.decode()
    update.refresh_from_db()
    assert update.promoted_to is None
    assert update.sequence == 1


@pytest.mark.parametrize("action", ["post", "edit"])
def test_a_form_posted_without_the_block_editor_s_fields_asks_for_words(
    client: Any, chief: Any, page: LivePage, action: str
) -> None:
    # The block editor's missing "body-count" raised KeyError: a server error.
    update = post(page, "Polls close in the capital.")
    url = f"/admin/live/{page.pk}/"
    if action == "edit":
        url += f"updates/{update.pk}/edit/"

    response = client.post(url, {"headline": "Polls close"})

    assert response.status_code == 200
    assert "Write something in the update" in response.content.decode()
    update.refresh_from_db()
    assert update.headline == ""
    assert LiveUpdate.objects.count() == 1


def test_unpublishing_a_promoted_article_renumbers_its_update_and_drops_the_link(
    client: Any, page: LivePage
) -> None:
    update = post(page, "The dam holds.", headline="Dam holds")
    article = actions.promote_live_update(update=update)
    article.save_revision().publish()
    update.refresh_from_db()
    published_sequence = update.sequence
    assert "Read the full story" in client.get(page.url).content.decode()

    article.refresh_from_db()
    article.unpublish()
    update.refresh_from_db()
    assert update.sequence > published_sequence
    assert "Read the full story" not in client.get(page.url).content.decode()


def test_an_email_only_promoted_article_is_not_linked_from_the_live_page(
    client: Any, page: LivePage
) -> None:
    update = post(page, "For subscribers.", headline="Inside the talks")
    article = actions.promote_live_update(update=update)
    article.email_only = True
    article.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "Read the full story" not in html
    assert article.url not in html


def test_a_copied_story_raises_no_breaking_banner_of_its_own(home: Any) -> None:
    story = ArticlePageFactory(parent=home, is_breaking=True)
    copy = story.copy(update_attrs={"slug": f"{story.slug}-copy", "title": "Copy"})
    assert story.is_breaking
    assert not copy.is_breaking
    assert copy.breaking_until is None
