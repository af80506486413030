"""Which of Ghost's events masthead's changes fire, and their payloads, as received."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from masthead.contentapi.models import Webhook, WebhookDelivery
from masthead.membership import actions as member_actions
from masthead.membership.models import Member
from masthead.publishing.factories import ArticlePageFactory, StandardPageFactory, TagFactory
from masthead.publishing.models import ArticlePage, StandardPage, Tag

from . import test_webhooks as support
from .test_webhooks import Receiver

# The receiving server and webhook fixtures, shared with the delivery tests.
receiver = support.receiver
integration = support.integration
hook = support.hook
committing = support.committing
_no_listeners_after_the_test = support._no_listeners_after_the_test

pytestmark = pytest.mark.django_db


def _draft(home: Any, **kwargs: Any) -> ArticlePage:
    page = ArticlePageFactory(parent=home, live=False, first_published_at=None, **kwargs)
    return ArticlePage.objects.get(pk=page.pk)


def test_publishing_a_draft_sends_post_published_with_html_plaintext_tags_and_authors(
    home: Any,
    section: Tag,
    author: Any,
    hook: Callable[..., Webhook],
    receiver: Receiver,
    committing: Callable[[], Any],
) -> None:
    page = _draft(home, title="Drones over the river", tags=[section], authors=[author])
    hook("post.published", secret="shh")
    hook("site.changed")
    with committing():
        page.save_revision().publish()
    [received] = receiver.at("post.published")
    assert received.signature_is_valid("shh")
    post = received.json["post"]
    current = post["current"]
    assert current["id"] == page.ghost_id
    assert current["title"] == "Drones over the river"
    assert current["status"] == "published"
    assert current["html"].startswith("<p>")
    assert "word" in current["plaintext"]
    assert [tag["slug"] for tag in current["tags"]] == ["war"]
    assert [person["slug"] for person in current["authors"]] == ["mira-valen"]
    assert current["primary_author"]["slug"] == "mira-valen"
    # Ghost's key order survives storage (a JSON column on PostgreSQL would sort the keys).
    assert list(current)[:4] == ["id", "uuid", "title", "slug"]
    # Only what changed, with its value before: the draft had no publication date.
    assert post["previous"]["status"] == "draft"
    assert post["previous"]["published_at"] is None
    assert "title" not in post["previous"]
    assert len(receiver.at("site.changed")) == 1
    assert receiver.at("site.changed")[0].json == {}


def test_editing_a_live_article_sends_published_edited_with_the_previous_values(
    home: Any,
    section: Tag,
    hook: Callable[..., Webhook],
    receiver: Receiver,
    committing: Callable[[], Any],
) -> None:
    page = ArticlePage.objects.get(
        pk=ArticlePageFactory(parent=home, title="Old headline", tags=[section]).pk
    )
    page.save_revision().publish()
    hook("post.published.edited")
    hook("post.published")
    hook("post.tag.attached")
    hook("post.tag.detached")
    energy = TagFactory(name="Energy")
    page.title = "New headline"
    page.tags = [energy]
    with committing():
        page.save_revision().publish()
    [received] = receiver.at("post.published.edited")
    post = received.json["post"]
    assert post["current"]["title"] == "New headline"
    assert post["previous"]["title"] == "Old headline"
    assert [tag["slug"] for tag in post["previous"]["tags"]] == ["war"]
    assert receiver.at("post.published") == []
    assert len(receiver.at("post.tag.attached")) == 1
    assert len(receiver.at("post.tag.detached")) == 1
    assert receiver.at("post.tag.attached")[0].json["post"]["current"]["id"] == page.ghost_id


def test_saving_a_draft_sends_post_edited_and_creating_sends_post_added(
    home: Any, hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("post.added")
    hook("post.edited")
    with committing():
        # As the page editor creates a page: the page, then its first revision.
        page = _draft(home, title="First words")
        page.save_revision()
    [added] = receiver.at("post.added")
    assert receiver.at("post.edited") == []
    assert added.json["post"]["current"]["title"] == "First words"
    assert added.json["post"]["current"]["status"] == "draft"
    assert added.json["post"]["previous"] == {}
    page.title = "Better words"
    with committing():
        page.save_revision()
    [edited] = receiver.at("post.edited")
    assert edited.json["post"]["current"]["title"] == "Better words"
    assert edited.json["post"]["previous"]["title"] == "First words"


def test_unpublishing_sends_post_unpublished(
    home: Any, hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    page = ArticlePage.objects.get(pk=ArticlePageFactory(parent=home).pk)
    hook("post.unpublished")
    hook("site.changed")
    with committing():
        page.unpublish()
    [received] = receiver.at("post.unpublished")
    post = received.json["post"]
    assert post["current"]["status"] == "draft"
    assert post["previous"]["status"] == "published"
    assert len(receiver.at("site.changed")) == 1


def test_deleting_sends_the_whole_object_as_previous_and_an_empty_current(
    home: Any,
    section: Tag,
    hook: Callable[..., Webhook],
    receiver: Receiver,
    committing: Callable[[], Any],
) -> None:
    page = ArticlePageFactory(parent=home, title="Gone soon", tags=[section])
    ghost_id = page.ghost_id
    hook("post.deleted")
    with committing():
        ArticlePage.objects.get(pk=page.pk).delete()
    [received] = receiver.at("post.deleted")
    post = received.json["post"]
    assert post["current"] == {}
    assert post["previous"]["id"] == ghost_id
    assert post["previous"]["title"] == "Gone soon"
    assert [tag["slug"] for tag in post["previous"]["tags"]] == ["war"]


def test_standard_pages_fire_page_events(
    home: Any, hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("page.published")
    hook("post.published")
    page = StandardPageFactory(parent=home, live=False, title="About us")
    page = StandardPage.objects.get(pk=page.pk)
    with committing():
        page.save_revision().publish()
    [received] = receiver.at("page.published")
    assert received.json["page"]["current"]["title"] == "About us"
    assert receiver.at("post.published") == []


def test_scheduling_rescheduling_and_unscheduling(
    home: Any, hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    for event in ("post.scheduled", "post.rescheduled", "post.unscheduled", "post.published"):
        hook(event)
    page = _draft(home)
    page.go_live_at = timezone.now() + timedelta(days=1)
    with committing():
        page.save_revision().publish()
    assert len(receiver.at("post.scheduled")) == 1
    assert receiver.at("post.published") == []
    page.go_live_at = timezone.now() + timedelta(days=2)
    with committing():
        page.save_revision().publish()
    assert len(receiver.at("post.rescheduled")) == 1
    revision = page.revisions.exclude(approved_go_live_at=None).get()
    revision.approved_go_live_at = None
    with committing():
        revision.save(update_fields=["approved_go_live_at"])
    assert len(receiver.at("post.unscheduled")) == 1


def test_tags_fire_added_edited_and_deleted(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    for event in ("tag.added", "tag.edited", "tag.deleted"):
        hook(event)
    with committing():
        tag = TagFactory(name="Energy", slug="energy")
    [added] = receiver.at("tag.added")
    assert added.json["tag"]["current"]["slug"] == "energy"
    assert added.json["tag"]["current"]["name"] == "Energy"
    assert added.json["tag"]["previous"] == {}
    tag.name = "Power"
    with committing():
        tag.save()
    [edited] = receiver.at("tag.edited")
    assert edited.json["tag"]["previous"]["name"] == "Energy"
    assert "slug" not in edited.json["tag"]["previous"]
    assert edited.json["tag"]["current"]["name"] == "Power"
    with committing():
        tag.delete()
    [deleted] = receiver.at("tag.deleted")
    assert deleted.json["tag"]["current"] == {}
    assert deleted.json["tag"]["previous"]["slug"] == "energy"


def test_members_fire_added_edited_and_deleted(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    for event in ("member.added", "member.edited", "member.deleted"):
        hook(event)
    with committing():
        member = member_actions.create_member(email="reader@example.org", name="Ada Reader")
    [added] = receiver.at("member.added")
    current = added.json["member"]["current"]
    assert current["email"] == "reader@example.org"
    assert current["name"] == "Ada Reader"
    assert current["id"] == member.ghost_id
    assert added.json["member"]["previous"] == {}
    member = Member.objects.get(pk=member.pk)
    member.name = "Ada R."
    with committing():
        member.save()
    [edited] = receiver.at("member.edited")
    assert edited.json["member"]["current"]["name"] == "Ada R."
    assert edited.json["member"]["previous"]["name"] == "Ada Reader"
    # Recording activity is no edit anyone subscribed to.
    member.last_seen_at = timezone.now()
    with committing():
        member.save(update_fields=["last_seen_at"])
    assert len(receiver.at("member.edited")) == 1
    with committing():
        member.delete()
    [deleted] = receiver.at("member.deleted")
    assert deleted.json["member"]["current"] == {}
    assert deleted.json["member"]["previous"]["email"] == "reader@example.org"


def test_with_no_webhook_publishing_records_nothing(home: Any, section: Tag) -> None:
    page = _draft(home, tags=[section])
    page.save_revision().publish()
    TagFactory(name="Energy")
    assert not WebhookDelivery.objects.exists()
