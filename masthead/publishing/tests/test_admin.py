"""The editors' admin: article listing filters, editing screens, previews."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.publishing.factories import ArticlePageFactory, AuthorFactory, TagFactory
from masthead.publishing.models import ArticleAuthor, ArticleFormat, ArticlePage, SiteSettings
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(UserFactory(superuser=True))
    return client


@pytest.fixture
def articles(home, section):
    politics = TagFactory(name="Politics", slug="politics", section=True)
    mira, oskar = AuthorFactory(name="Mira Valen"), AuthorFactory(name="Oskar Lendl")
    war_story = ArticlePageFactory(
        parent=home, title="Front line holds near Varnel", section=section, authors=[mira]
    )
    politics_story = ArticlePageFactory(
        parent=home, title="Assembly passes budget", section=politics, authors=[oskar]
    )
    draft = ArticlePageFactory(
        parent=home,
        title="Unfinished investigation draft",
        section=politics,
        authors=[mira],
        live=False,
    )
    return {
        "war": war_story,
        "politics": politics_story,
        "draft": draft,
        "mira": mira,
        "politics_tag": politics,
    }


def test_article_listing_filters_by_section_author_format_and_status(
    editor_client, articles, section
):
    def titles(**params):
        response = editor_client.get("/admin/articles/", params)
        assert response.status_code == 200
        body = response.content.decode()
        return {
            t
            for t in [
                "Front line holds near Varnel",
                "Assembly passes budget",
                "Unfinished investigation draft",
            ]
            if t in body
        }

    assert titles() == {
        "Front line holds near Varnel",
        "Assembly passes budget",
        "Unfinished investigation draft",
    }
    assert titles(section=section.pk) == {"Front line holds near Varnel"}
    assert titles(author=articles["mira"].pk) == {
        "Front line holds near Varnel",
        "Unfinished investigation draft",
    }
    assert titles(status="draft") == {"Unfinished investigation draft"}
    assert titles(status="live", section=articles["politics_tag"].pk) == {"Assembly passes budget"}
    assert titles(format=ArticleFormat.BRIEF) == set()


def test_listing_shows_a_clear_message_for_a_bad_filter_value(editor_client, articles):
    response = editor_client.get("/admin/articles/", {"section": "not-a-number"})
    assert response.status_code == 200


def test_editing_screens_open(editor_client, home, articles, site):
    urls = [
        f"/admin/pages/{articles['war'].pk}/edit/",
        f"/admin/pages/add/publishing/articlepage/{home.pk}/",
        f"/admin/pages/{home.pk}/edit/",
        "/admin/snippets/publishing/tag/",
        "/admin/snippets/publishing/author/",
        f"/admin/settings/publishing/sitesettings/{site.pk}/",
    ]
    for url in urls:
        assert editor_client.get(url).status_code == 200, url


def test_preview_of_unsaved_changes_renders_with_its_draft_bylines(home, articles):
    article = ArticlePage.objects.get(pk=articles["war"].pk)
    draft = article.get_latest_revision_as_object()
    draft.title = "Front line holds near Varnel, officials say"
    draft.article_authors = [
        ArticleAuthor(author=AuthorFactory(name="Guest Contributor"), sort_order=0)
    ]
    response = draft.make_preview_request()
    body = response.content.decode()
    assert response.status_code == 200
    assert "Front line holds near Varnel, officials say" in body
    assert "Guest Contributor" in body


def test_scheduled_article_is_listed_as_scheduled(editor_client, home):
    article = ArticlePageFactory(
        parent=home, title="Budget vote tomorrow", live=False, first_published_at=None
    )
    article.go_live_at = timezone.now() + timedelta(hours=2)
    article.save_revision().publish()
    response = editor_client.get("/admin/articles/", {"status": "scheduled"})
    assert "Budget vote tomorrow" in response.content.decode()


def test_site_settings_change_the_public_site(client, site, home):
    settings = SiteSettings.for_site(site)
    settings.publication_name = "The Renamed Ledger"
    settings.save()
    assert "The Renamed Ledger" in client.get("/").content.decode()


def test_dashboard_charts_what_was_published_per_day(editor_client, home):
    from masthead.publishing.admin_panels import publishing_activity

    now = timezone.now()
    for hours in (1, 2, 30):
        ArticlePageFactory(parent=home, first_published_at=now - timedelta(hours=hours))
    for hours in (1, 50):
        ArticlePageFactory(parent=home, brief=True, first_published_at=now - timedelta(hours=hours))
    ArticlePageFactory(
        parent=home, first_published_at=now - timedelta(days=45)
    )  # outside the window
    ArticlePageFactory(parent=home, live=False, first_published_at=None)  # a draft

    activity = publishing_activity()
    assert activity["total_stories"] == 3
    assert activity["total_briefs"] == 2
    assert len(activity["series"]) == 30
    assert activity["drafts"] == 1
    assert sum(point["stories"] + point["briefs"] for point in activity["series"]) == 5

    response = editor_client.get("/admin/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Published in the last 30 days" in body
    assert "3 stories and 2 News Feed briefs." in body
    assert "<svg" in body and 'role="img"' in body
