"""Writes on live coverage: posting, editing, pinning, deleting, promoting, ending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from masthead.publishing import actions
from masthead.publishing.factories import LivePageFactory, TagFactory, paragraph_blocks
from masthead.publishing.models import (
    ArticleFormat,
    ArticlePage,
    CoverageStatus,
    LivePage,
    LiveUpdate,
)
from masthead.publishing.signals import live_update_changed
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(home: Any, section: Any) -> LivePage:
    page: LivePage = LivePageFactory(parent=home, title="Storm over the coast", section=section)
    return page


def post(page: LivePage, text: str = "Winds reach 120 km/h.", **kwargs: Any) -> LiveUpdate:
    return actions.post_live_update(page=page, body=paragraph_blocks([text]), **kwargs)


def sequences(page: LivePage) -> dict[int, tuple[int, int]]:
    rows = LiveUpdate.objects.filter(page=page).values_list("pk", "created_sequence", "sequence")
    return {pk: (created, current) for pk, created, current in rows}


def test_updates_list_newest_first_by_their_time_not_by_when_they_were_posted(
    live: LivePage,
) -> None:
    now = timezone.now()
    late = post(live, "Posted first, dated last.", posted_at=now)
    early = post(live, "Posted second, dated earlier.", posted_at=now - timedelta(minutes=30))
    middle = post(live, "Posted third.", posted_at=now - timedelta(minutes=10))

    ordered = list(live.updates.visible().newest_first())

    assert ordered == [late, middle, early]


def test_every_change_takes_the_next_number_and_creation_numbers_stay(
    live: LivePage, author: Any
) -> None:
    first = post(live, "One.")
    second = post(live, "Two.")
    assert sequences(live) == {first.pk: (1, 1), second.pk: (2, 2)}

    actions.edit_live_update(
        update=first, body=paragraph_blocks(["One, corrected."]), headline="Fixed", author=author
    )
    assert sequences(live)[first.pk] == (1, 3)

    actions.set_live_update_pinned(update=second, pinned=True)
    assert sequences(live)[second.pk] == (2, 4)

    actions.promote_live_update(update=first)
    assert sequences(live)[first.pk] == (1, 5)

    actions.delete_live_update(update=second)
    assert sequences(live)[second.pk] == (2, 6)

    third = post(live, "Three.")
    assert sequences(live)[third.pk] == (7, 7)


def test_numbers_are_counted_per_page(live: LivePage, home: Any) -> None:
    other: LivePage = LivePageFactory(parent=home, title="Election night")
    post(live)
    post(live)

    assert post(other).sequence == 1


def test_changes_are_announced_after_the_commit(
    live: LivePage, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[tuple[int, str]] = []

    def listener(sender: Any, update_id: int, change: str, **kwargs: Any) -> None:
        heard.append((update_id, change))

    live_update_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            update = post(live)
            actions.edit_live_update(update=update, body=paragraph_blocks(["Edited."]))
            actions.delete_live_update(update=update)
    finally:
        live_update_changed.disconnect(listener)

    assert heard == [(update.pk, "posted"), (update.pk, "edited"), (update.pk, "deleted")]


def test_editing_changes_the_words_and_keeps_the_creation_number(
    live: LivePage, author: Any
) -> None:
    update = post(live, "Fisrt report.")
    posted_at = update.posted_at

    actions.edit_live_update(
        update=update,
        headline="  First report  ",
        body=paragraph_blocks(["First report."]),
        author=author,
        is_key_event=True,
    )

    update.refresh_from_db()
    assert update.headline == "First report"
    assert update.summary_text == "First report."
    assert update.author == author
    assert update.is_key_event
    assert update.posted_at == posted_at
    assert update.created_sequence == 1


def test_deleting_leaves_a_tombstone_hidden_from_readers(live: LivePage) -> None:
    kept, gone = post(live, "Kept."), post(live, "Gone.")
    actions.set_live_update_pinned(update=gone, pinned=True)

    actions.delete_live_update(update=gone)
    actions.delete_live_update(update=gone)  # a second delete changes nothing

    gone.refresh_from_db()
    assert gone.is_deleted
    assert not gone.is_pinned
    assert gone.sequence == 4
    assert list(live.updates.visible()) == [kept]
    with pytest.raises(ValidationError, match="deleted"):
        actions.edit_live_update(update=gone, body=paragraph_blocks(["Back?"]))
    with pytest.raises(ValidationError, match="deleted"):
        actions.set_live_update_pinned(update=gone, pinned=True)


def test_pinning_and_unpinning(live: LivePage) -> None:
    update = post(live)

    actions.set_live_update_pinned(update=update, pinned=True)
    assert LiveUpdate.objects.get(pk=update.pk).is_pinned

    actions.set_live_update_pinned(update=update, pinned=False)
    assert not LiveUpdate.objects.get(pk=update.pk).is_pinned


def test_promoting_makes_a_draft_article_with_the_update_and_the_page_filing(
    live: LivePage, author: Any, section: Any
) -> None:
    topic = TagFactory(name="Weather", slug="weather")
    live.tags.add(topic)
    live.save()
    editor = UserFactory(superuser=True)
    update = post(live, "The dam at Orsk held overnight.", headline="Dam holds", author=author)

    article = actions.promote_live_update(update=update, user=editor)

    article = ArticlePage.objects.get(pk=article.pk)
    assert not article.live
    assert article.title == "Dam holds"
    assert article.format == ArticleFormat.ARTICLE
    assert article.section == section
    assert list(article.tags.all()) == [topic]
    assert [a.author for a in article.article_authors.all()] == [author]
    assert article.body.raw_data[0]["value"] == "<p>The dam at Orsk held overnight.</p>"
    assert article.get_parent().pk == live.get_parent().pk
    assert article.latest_revision is not None
    assert article.owner == editor
    update.refresh_from_db()
    assert update.promoted_to_id == article.pk


def test_promoting_twice_returns_the_same_article(live: LivePage) -> None:
    update = post(live, "No headline here, only words about the flood.")

    first = actions.promote_live_update(update=update)
    again = actions.promote_live_update(update=LiveUpdate.objects.get(pk=update.pk))

    assert first.pk == again.pk
    assert first.title.startswith("No headline here")
    assert ArticlePage.objects.filter(format=ArticleFormat.ARTICLE).count() == 1


def test_a_deleted_update_cannot_be_promoted(live: LivePage) -> None:
    update = post(live)
    actions.delete_live_update(update=update)

    with pytest.raises(ValidationError, match="deleted"):
        actions.promote_live_update(update=update)


@pytest.mark.parametrize(
    "body",
    [
        [],
        None,
        [{"type": "paragraph", "value": ""}],
        [{"type": "paragraph", "value": "<p></p>"}],
        [{"type": "paragraph", "value": "<p>&nbsp; </p><p><br/></p>"}],
        [{"type": "image", "value": {"image": None, "caption": "", "credit": ""}}],
        [{"type": "embed", "value": {"embed": "  ", "caption": ""}}],
        [{"type": "pull_quote", "value": {"quote": "", "attribution": ""}}],
        [{"type": "video", "value": {"url": ""}}],
    ],
    ids=[
        "none",
        "null",
        "empty",
        "empty-p",
        "blank-ps",
        "no-image",
        "blank-embed",
        "quote",
        "video",
    ],
)
def test_an_update_with_nothing_in_it_is_refused_with_a_message(live: LivePage, body: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.post_live_update(page=live, body=body, headline="Only a headline")

    assert "Write something in the update" in refused.value.message_dict["body"][0]
    assert not LiveUpdate.objects.exists()


def test_an_edit_that_empties_the_body_is_refused_and_changes_nothing(live: LivePage) -> None:
    update = post(live, "Still here.")

    with pytest.raises(ValidationError):
        actions.edit_live_update(update=update, body=[{"type": "paragraph", "value": "<p></p>"}])

    update.refresh_from_db()
    assert update.summary_text == "Still here."
    assert update.sequence == 1


def test_a_headline_too_long_is_refused(live: LivePage) -> None:
    with pytest.raises(ValidationError) as refused:
        post(live, headline="x" * 300)

    assert "headline" in refused.value.message_dict


def test_ending_coverage_records_the_time_and_resuming_clears_it(live: LivePage) -> None:
    editor = UserFactory(superuser=True)

    actions.set_coverage_status(page=live, status=CoverageStatus.ENDED, user=editor)

    page = LivePage.objects.get(pk=live.pk)
    assert page.coverage_status == CoverageStatus.ENDED
    assert page.coverage_ended_at is not None
    assert page.live
    assert not page.has_unpublished_changes
    assert page.live_revision.user == editor

    actions.set_coverage_status(page=live, status=CoverageStatus.LIVE)

    page = LivePage.objects.get(pk=live.pk)
    assert page.coverage_status == CoverageStatus.LIVE
    assert page.coverage_ended_at is None


def test_ending_coverage_does_not_publish_an_unfinished_draft(live: LivePage) -> None:
    draft = live.get_latest_revision_as_object()
    draft.title = "Half-written new headline"
    draft.save_revision()

    actions.set_coverage_status(page=live, status=CoverageStatus.ENDED)

    page = LivePage.objects.get(pk=live.pk)
    assert page.title == "Storm over the coast"
    assert page.coverage_status == CoverageStatus.ENDED
    assert page.has_unpublished_changes
    latest = page.get_latest_revision_as_object()
    assert latest.title == "Half-written new headline"
    assert latest.coverage_status == CoverageStatus.ENDED


def test_ending_coverage_of_an_unpublished_page_does_not_publish_it(home: Any) -> None:
    page: LivePage = LivePageFactory(parent=home, live=False, first_published_at=None)

    actions.set_coverage_status(page=page, status=CoverageStatus.ENDED)

    page = LivePage.objects.get(pk=page.pk)
    assert not page.live
    assert page.coverage_status == CoverageStatus.ENDED
    assert page.get_latest_revision_as_object().coverage_status == CoverageStatus.ENDED


def test_a_status_that_does_not_exist_is_refused(live: LivePage) -> None:
    with pytest.raises(ValidationError, match="Unknown status “paused”"):
        actions.set_coverage_status(page=live, status="paused")

    assert LivePage.objects.get(pk=live.pk).coverage_status == CoverageStatus.LIVE


def test_publishing_a_promoted_article_renumbers_its_update(live: LivePage) -> None:
    update = post(live, "The bridge reopens at noon.")
    bystander = post(live, "Unrelated.")
    article = actions.promote_live_update(update=update)
    before = LiveUpdate.objects.get(pk=update.pk).sequence

    article.get_latest_revision().publish()

    assert LiveUpdate.objects.get(pk=update.pk).sequence == before + 1
    assert LiveUpdate.objects.get(pk=bystander.pk).sequence == bystander.sequence


def test_publishing_an_article_nobody_promoted_renumbers_nothing(live: LivePage, home: Any) -> None:
    update = post(live)
    draft = ArticlePage(title="An ordinary story", slug="an-ordinary-story", live=False)
    home.add_child(instance=draft)

    draft.save_revision().publish()

    assert LiveUpdate.objects.get(pk=update.pk).sequence == update.sequence
