"""The live desk in the admin: posting, editing, pinning, deleting, promoting, ending."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission, PageLogEntry
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from masthead.publishing import actions
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    LivePageFactory,
    paragraph_blocks,
)
from masthead.publishing.live_admin import POSTED
from masthead.publishing.models import ArticlePage, CoverageStatus, LivePage, LiveUpdate
from masthead.publishing.tests.live_desk import post_from_the_desk
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(home: Any, section: Any) -> LivePage:
    page: LivePage = LivePageFactory(parent=home, title="Flooding in the delta", section=section)
    return page


@pytest.fixture
def chief(client: Any) -> Any:
    """A superuser: may publish, so may post."""
    user = UserFactory(superuser=True, email="chief@example.org")
    client.force_login(user)
    return user


@pytest.fixture
def reporter(client: Any, home: Any) -> Any:
    """May edit pages under the home page but not publish them."""
    group = Group.objects.create(name="Reporters")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    GroupPagePermission.objects.create(
        group=group, page=home, permission=Permission.objects.get(codename="change_page")
    )
    user = UserFactory()
    user.groups.add(group)
    client.force_login(user)
    return user


def desk(page: LivePage) -> str:
    return f"/admin/live/{page.pk}/"


def update_url(update: LiveUpdate, action: str) -> str:
    return f"/admin/live/{update.page_id}/updates/{update.pk}/{action}/"


def form(*paragraphs: str, **fields: Any) -> dict[str, Any]:
    return nested_form_data(
        {
            "headline": "",
            "author": "",
            "body": streamfield([("paragraph", rich_text(text)) for text in paragraphs]),
            **fields,
        }
    )


def post(page: LivePage, text: str, **kwargs: Any) -> LiveUpdate:
    return actions.post_live_update(page=page, body=paragraph_blocks([text]), **kwargs)


def test_the_desk_shows_the_page_its_status_a_ready_form_and_its_updates(
    client: Any, chief: Any, live: LivePage
) -> None:
    older = post(live, "Water rises at the Ravel bridge.")
    newer = post(live, "Evacuation of the lower town begins.", headline="Evacuation")

    response = client.get(desk(live))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Flooding in the delta" in html
    assert "Live desk" in html
    assert "End coverage" in html
    assert "View live page" in html
    assert f"/admin/pages/{live.pk}/edit/" in html
    assert 'id="live-post-form"' in html
    assert 'data-controller="w-block"' in html
    assert html.index("Evacuation") < html.index("Water rises at the Ravel bridge")
    assert f"{live.full_url}?update={newer.pk}#update-{newer.pk}" in html
    assert f'id="update-{older.pk}"' in html
    assert "Copy link" in html
    assert "2 updates" in html


def test_the_form_opens_with_a_paragraph_and_the_editors_own_byline(
    client: Any, chief: Any, live: LivePage
) -> None:
    byline = AuthorFactory(name="Chief Editor", user=chief)
    AuthorFactory(name="Someone Else")

    response = client.get(desk(live))

    form = response.context["form"]
    assert form.initial["author"] == byline.pk
    assert [block.block_type for block in form.initial["body"]] == ["paragraph"]


def test_the_byline_falls_back_to_an_author_with_the_editors_email(
    client: Any, chief: Any, live: LivePage
) -> None:
    byline = AuthorFactory(name="By Email", email="CHIEF@example.org")

    assert client.get(desk(live)).context["form"].initial["author"] == byline.pk


def test_posting_takes_one_click_and_puts_the_update_on_top(
    client: Any, chief: Any, live: LivePage, author: Any
) -> None:
    post(live, "An older update.")

    response = client.post(
        desk(live),
        form(
            "The levee at Orsk failed at 09:40.",
            "Residents are asked to leave.",
            headline="Levee fails",
            author=str(author.pk),
            is_key_event="on",
        ),
        follow=True,
    )

    assert response.redirect_chain == [(desk(live), 302)]
    update = LiveUpdate.objects.get(headline="Levee fails")
    assert update.author == author
    assert update.is_key_event
    assert not update.is_pinned
    assert update.posted_by == chief
    assert update.summary_text.startswith("The levee at Orsk failed at 09:40.")
    assert [b["type"] for b in update.body.raw_data] == ["paragraph", "paragraph"]
    html = response.content.decode()
    assert "Update posted" in html
    assert html.index("Levee fails") < html.index("An older update.")
    assert LivePage.objects.get(pk=live.pk).latest_revision_id == live.latest_revision_id
    assert PageLogEntry.objects.filter(page=live, action=POSTED).exists()


@pytest.mark.parametrize("body", [[], [""], ["", "   "]], ids=["no-block", "blank", "two-blank"])
def test_an_empty_update_is_refused_with_a_message_and_the_input_kept(
    client: Any, chief: Any, live: LivePage, body: list[str]
) -> None:
    response = client.post(desk(live), form(*body, headline="Kept headline"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Write something in the update" in html
    assert "The update was not posted" in html
    assert 'value="Kept headline"' in html
    assert response.context["form"].errors["body"] == [
        "Write something in the update: a paragraph, an image, an embed, a quote or a video."
    ]
    assert not LiveUpdate.objects.exists()


def test_a_headline_too_long_is_refused_on_its_field(
    client: Any, chief: Any, live: LivePage
) -> None:
    response = client.post(desk(live), form("Words.", headline="x" * 300))

    assert response.status_code == 200
    assert "headline" in response.context["form"].errors
    assert not LiveUpdate.objects.exists()


def test_editing_an_update_keeps_its_place_and_numbers_the_change(
    client: Any, chief: Any, live: LivePage
) -> None:
    update = post(live, "Toll rises to 4.")

    page = client.get(update_url(update, "edit"))
    assert page.status_code == 200
    assert "Toll rises to 4." in page.content.decode()

    response = client.post(
        update_url(update, "edit"),
        form(
            "Toll rises to 5.",
            headline="Correction",
            posted_at=update.posted_at.strftime("%Y-%m-%d %H:%M"),
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == f"{desk(live)}#update-{update.pk}"
    update.refresh_from_db()
    assert update.summary_text == "Toll rises to 5."
    assert update.headline == "Correction"
    assert (update.created_sequence, update.sequence) == (1, 2)


def test_an_edit_that_empties_the_update_is_refused(
    client: Any, chief: Any, live: LivePage
) -> None:
    update = post(live, "Still standing.")

    response = client.post(
        update_url(update, "edit"),
        form("", posted_at=update.posted_at.strftime("%Y-%m-%d %H:%M")),
    )

    assert response.status_code == 200
    assert "Write something in the update" in response.content.decode()
    assert LiveUpdate.objects.get(pk=update.pk).summary_text == "Still standing."


def test_deleting_asks_first_then_removes_the_update_from_the_desk(
    client: Any, chief: Any, live: LivePage
) -> None:
    update = post(live, "Posted by mistake.")

    confirm = client.get(update_url(update, "delete"))
    assert confirm.status_code == 200
    assert "Posted by mistake." in confirm.content.decode()
    assert LiveUpdate.objects.get(pk=update.pk).deleted_at is None

    response = client.post(update_url(update, "delete"), follow=True)

    assert "Update deleted" in response.content.decode()
    assert "Posted by mistake." not in response.content.decode()
    assert LiveUpdate.objects.get(pk=update.pk).is_deleted
    assert client.get(update_url(update, "edit")).status_code == 404


def test_pinning_and_unpinning_come_back_to_the_desk_page_the_editor_was_on(
    client: Any, chief: Any, live: LivePage
) -> None:
    update = post(live, "Shelters are open at the school.")

    pinned = client.post(update_url(update, "pin"), {"pinned": "1", "next": f"{desk(live)}?p=1"})

    assert pinned.status_code == 302
    assert pinned["Location"] == f"{desk(live)}?p=1"
    assert LiveUpdate.objects.get(pk=update.pk).is_pinned

    unpinned = client.post(
        update_url(update, "pin"), {"pinned": "0", "next": "https://elsewhere.example/"}
    )

    assert unpinned["Location"] == f"{desk(live)}#update-{update.pk}"
    assert not LiveUpdate.objects.get(pk=update.pk).is_pinned
    assert client.get(update_url(update, "pin")).status_code == 405


def test_promoting_opens_the_new_draft_article_in_the_editor(
    client: Any, chief: Any, live: LivePage, author: Any
) -> None:
    update = post(live, "The dam held overnight.", headline="Dam holds", author=author)

    response = client.post(update_url(update, "promote"))

    article = ArticlePage.objects.get(title="Dam holds")
    assert not article.live
    assert response.status_code == 302
    assert response["Location"] == f"/admin/pages/{article.pk}/edit/"
    again = client.post(update_url(update, "promote"))
    assert again["Location"] == f"/admin/pages/{article.pk}/edit/"
    assert ArticlePage.objects.filter(title="Dam holds").count() == 1
    html = client.get(desk(live)).content.decode()
    assert f"/admin/pages/{article.pk}/edit/" in html
    assert "Promoted to an article" in html


def test_ending_and_resuming_coverage_ask_first(client: Any, chief: Any, live: LivePage) -> None:
    confirm = client.get(f"{desk(live)}end/")
    assert confirm.status_code == 200
    assert "Yes, end coverage" in confirm.content.decode()
    assert LivePage.objects.get(pk=live.pk).coverage_status == CoverageStatus.LIVE

    ended = client.post(f"{desk(live)}end/", follow=True)

    page = LivePage.objects.get(pk=live.pk)
    assert page.coverage_status == CoverageStatus.ENDED
    assert page.coverage_ended_at is not None
    html = ended.content.decode()
    assert "Coverage ended" in html
    assert "Resume coverage" in html

    client.post(f"{desk(live)}resume/")
    assert LivePage.objects.get(pk=live.pk).coverage_status == CoverageStatus.LIVE


def test_an_editor_who_cannot_publish_reads_the_desk_but_changes_nothing(
    client: Any, reporter: Any, live: LivePage
) -> None:
    update = post(live, "Seen, not changed.")

    page = client.get(desk(live))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Seen, not changed." in html
    assert "live-post-form" not in html
    assert "needs permission to publish" in html

    refused = [
        client.post(desk(live), form("Sneaky update.")),
        client.post(update_url(update, "edit"), form("Changed.")),
        client.post(update_url(update, "pin"), {"pinned": "1"}),
        client.post(update_url(update, "promote")),
        client.get(update_url(update, "delete")),
        client.post(update_url(update, "delete")),
        client.get(f"{desk(live)}end/"),
        client.post(f"{desk(live)}end/"),
    ]

    # Wagtail's admin answers a refusal by going back to the dashboard with a message.
    assert [(r.status_code, r["Location"]) for r in refused] == [(302, "/admin/")] * len(refused)
    update.refresh_from_db()
    assert (update.sequence, update.is_pinned, update.is_deleted) == (1, False, False)
    assert LiveUpdate.objects.count() == 1
    assert LivePage.objects.get(pk=live.pk).coverage_status == CoverageStatus.LIVE


def test_someone_who_cannot_edit_the_page_cannot_open_its_desk(client: Any, live: LivePage) -> None:
    outsider = UserFactory()
    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(outsider)

    refused = client.get(desk(live), follow=True)
    assert refused.redirect_chain == [("/admin/", 302)]
    assert "Sorry, you do not have permission" in refused.content.decode()
    assert "Flooding in the delta" not in client.get("/admin/live/").content.decode()


def test_posts_need_the_csrf_token(live: LivePage) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(UserFactory(superuser=True))

    assert strict.post(desk(live), form("No token.")).status_code == 403
    assert not LiveUpdate.objects.exists()


def test_unknown_ids_and_pages_that_are_not_live_pages_are_not_found(
    client: Any, chief: Any, live: LivePage, home: Any
) -> None:
    article = ArticlePageFactory(parent=home)
    other: LivePage = LivePageFactory(parent=home)
    elsewhere = post(other, "On another page.")
    gone = post(live, "Deleted.")
    actions.delete_live_update(update=gone)

    assert client.get("/admin/live/999999/").status_code == 404
    assert client.get(f"/admin/live/{article.pk}/").status_code == 404
    assert client.get(f"/admin/live/{home.pk}/").status_code == 404
    assert client.get(f"{desk(live)}updates/999999/edit/").status_code == 404
    assert client.get(f"{desk(live)}updates/{elsewhere.pk}/edit/").status_code == 404
    assert client.get(update_url(gone, "edit")).status_code == 404
    assert client.post(update_url(gone, "promote")).status_code == 404
    assert client.get(desk(live), {"p": "7"}).status_code == 404


def test_long_coverage_is_paginated_in_a_fixed_number_of_queries(
    client: Any,
    chief: Any,
    live: LivePage,
    author: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(55):
        post(live, f"Update number {n}.", author=author)
    client.get(desk(live))  # warm Wagtail's per-process caches

    with django_assert_max_num_queries(20):
        first = client.get(desk(live))
    html = first.content.decode()
    assert "55 updates" in html
    assert "Update number 54." in html
    assert "Update number 4." not in html

    second = client.get(desk(live), {"p": "2"}).content.decode()
    assert "Update number 4." in second
    assert "Update number 54." not in second


def test_the_menu_lists_live_pages_with_their_counts_and_links_to_the_desks(
    client: Any, chief: Any, live: LivePage, home: Any
) -> None:
    post(live, "One.")
    post(live, "Two.")
    gone = post(live, "Gone.")
    actions.delete_live_update(update=gone)
    ended: LivePage = LivePageFactory(parent=home, title="Last year's election night")
    actions.set_coverage_status(page=ended, status=CoverageStatus.ENDED)

    dashboard = client.get("/admin/").content.decode()
    assert "Live coverage" in dashboard
    assert "/admin/live/" in dashboard

    index = client.get("/admin/live/")
    assert index.status_code == 200
    html = index.content.decode()
    assert html.index("Flooding in the delta") < html.index("Last year&#x27;s election night")
    assert desk(live) in html
    rows = {page.pk: page for page in index.context["pages"]}
    assert rows[live.pk].update_count == 2
    assert rows[ended.pk].update_count == 0


def test_the_page_editor_and_listing_offer_the_live_desk_only_for_live_pages(
    client: Any, chief: Any, live: LivePage, home: Any
) -> None:
    article = ArticlePageFactory(parent=home)

    editor = client.get(f"/admin/pages/{live.pk}/edit/").content.decode()
    assert desk(live) in editor
    assert "Live desk" in editor
    assert desk(article) not in client.get(f"/admin/pages/{article.pk}/edit/").content.decode()

    listing = client.get(f"/admin/pages/{home.pk}/").content.decode()
    assert desk(live) in listing
    assert f"/admin/live/{article.pk}/" not in listing


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_editor_types_an_update_in_the_block_editor_and_posts_it_in_one_click(
    browser: Any, live_server: Any
) -> None:
    from wagtail.models import Site

    home = Site.objects.get(is_default_site=True).root_page.specific
    page: LivePage = LivePageFactory(parent=home, title="Harbour fire")
    post(page, "Smoke over the docks.")
    UserFactory(superuser=True, username="chief")

    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    post_from_the_desk(
        tab,
        live_server.url,
        page.pk,
        text="Firefighters have the blaze under control.",
        headline="Fire contained",
    )

    tab.get_by_text("Update posted").wait_for()
    rows = tab.locator("table.listing tbody tr")
    assert "Fire contained" in rows.first.inner_text()
    assert "Smoke over the docks." in rows.nth(1).inner_text()
    update = LiveUpdate.objects.get(headline="Fire contained")
    assert update.summary_text == "Firefighters have the blaze under control."
    assert errors == []
