"""The Admin API's write actions: articles and pages as revisions, tags and authors by reference."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from masthead.contentapi.html_import import html_to_blocks
from masthead.publishing.actions import (
    delete_page_from_api,
    resolve_authors,
    resolve_tags,
    save_article_from_api,
    save_standard_page_from_api,
)
from masthead.publishing.factories import AuthorFactory, TagFactory
from masthead.publishing.models import ArticlePage, StandardPage, Tag

pytestmark = pytest.mark.django_db


def test_a_draft_article_is_created_under_the_home_page_with_a_revision(home, section, author):
    article = save_article_from_api(
        article=None,
        values={"title": "Dispatch", "body": html_to_blocks("<p>Words.</p>")},
        tags=resolve_tags(["War", "#legal-hold"]),
        authors=resolve_authors([author.slug]),
    )
    assert article.get_parent().pk == home.pk
    assert not article.live
    assert article.revisions.count() == 1
    assert article.slug == "dispatch"
    assert article.section == section
    assert {tag.slug for tag in article.tags.all()} == {"war", "hash-legal-hold"}
    assert Tag.objects.get(slug="hash-legal-hold").visibility == Tag.Visibility.INTERNAL
    assert [a.pk for a in article.ordered_authors] == [author.pk]


def test_publishing_then_unpublishing_keeps_one_revision_per_change(home):
    article = save_article_from_api(article=None, values={"title": "Story"}, status="published")
    assert article.live and article.first_published_at is not None
    article = save_article_from_api(article=article, values={"dek": "Short."}, status=None)
    assert article.live and article.dek == "Short."
    article = save_article_from_api(article=article, values={}, status="draft")
    assert not article.live
    assert article.revisions.count() == 3


def test_editing_a_draft_keeps_the_live_version_until_published(home):
    article = save_article_from_api(article=None, values={"title": "One"}, status="published")
    article = save_article_from_api(article=article, values={"title": "Two"}, status="draft")
    assert not article.live
    article = save_article_from_api(article=article, values={"title": "Three"}, status="published")
    assert article.live and article.title == "Three"


def test_a_future_published_at_schedules_the_article(home):
    when = timezone.now() + timedelta(days=1)
    article = save_article_from_api(
        article=None, values={"title": "Later"}, status="scheduled", published_at=when
    )
    assert not article.live
    assert article.revisions.filter(approved_go_live_at=when).exists()


def test_scheduling_needs_a_future_time(home):
    with pytest.raises(ValidationError) as refused:
        save_article_from_api(article=None, values={"title": "Later"}, status="scheduled")
    assert "published_at" in refused.value.message_dict


def test_slugs_in_use_get_a_number_as_in_ghost(home):
    first = save_article_from_api(article=None, values={"title": "Same"})
    second = save_article_from_api(article=None, values={"title": "Same"})
    third = save_standard_page_from_api(page=None, values={"title": "Same"})
    assert (first.slug, second.slug, third.slug) == ("same", "same-2", "same-3")


def test_a_reserved_slug_is_numbered(home):
    article = save_article_from_api(article=None, values={"title": "Search"})
    assert article.slug == "search-2"


def test_a_title_is_required(home):
    with pytest.raises(ValidationError) as refused:
        save_article_from_api(article=None, values={"title": "  "})
    assert "title" in refused.value.message_dict


def test_authors_are_found_by_email_slug_or_id_and_unknown_ones_are_named(db):
    known = AuthorFactory(email="ana@example.com")
    assert resolve_authors(["ana@example.com", {"slug": known.slug}, {"id": known.ghost_id}]) == [
        known
    ]
    with pytest.raises(ValidationError) as refused:
        resolve_authors(["nobody@example.com"])
    assert "nobody@example.com" in refused.value.message_dict["authors"][0]


def test_tags_are_found_by_id_slug_or_name_and_new_names_created(db):
    news = TagFactory(name="News", slug="news")
    tags = resolve_tags([{"id": news.ghost_id}, "news", {"name": "NEWS"}, {"name": "Fresh"}])
    assert [tag.slug for tag in tags] == ["news", "fresh"]


def test_a_standard_page_can_be_published_and_deleted(home):
    page = save_standard_page_from_api(
        page=None,
        values={"title": "About", "body": html_to_blocks("<p>Us.</p>", body="page")},
        status="published",
    )
    assert page.live and StandardPage.objects.filter(pk=page.pk).exists()
    delete_page_from_api(page=page)
    assert not StandardPage.objects.filter(pk=page.pk).exists()
    assert not ArticlePage.objects.exists()


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"slug": "nope"}, "slug “nope”"),
        ({"id": "0" * 24}, "id “000000000000000000000000”"),
        ({"id": "0" * 24, "slug": "nope"}, "id “000000000000000000000000”"),
    ],
)
def test_an_unknown_tag_id_or_slug_is_refused_naming_what_was_sent(
    db: None, given: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        resolve_tags([given])
    assert named in refused.value.message_dict["tags"][0]
    assert not Tag.objects.exists()


@pytest.mark.parametrize("given", [{}, {"email": "  "}, 5, {"slug": 7}])
def test_an_author_given_as_nothing_usable_is_refused(db: None, given: object) -> None:
    with pytest.raises(ValidationError) as refused:
        resolve_authors([given])
    assert "Give each author" in refused.value.message_dict["authors"][0]


def test_a_tag_given_only_an_email_is_refused(db: None) -> None:
    with pytest.raises(ValidationError) as refused:
        resolve_tags([{"email": "a@example.com"}])
    assert "Give each tag" in refused.value.message_dict["tags"][0]
