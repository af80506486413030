"""Every public page type renders what a reader expects, in a bounded number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.publishing.factories import (
    ArticleNoteFactory,
    ArticlePageFactory,
    AuthorFactory,
    DeskFactory,
    PhotoFactory,
    StandardPageFactory,
    TagFactory,
    TeamPageFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticleFormat, HomeTopStory, SiteSettings
from masthead.publishing.paging import Cursor

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(home, site, section, author):
    """A small newsroom: stories, briefs, a video, a correction and a read-also link."""
    settings = SiteSettings.for_site(site)
    settings.publication_name = "The Test Independent"
    settings.timezone = "Europe/Kyiv"
    settings.save()
    author.avatar = PhotoFactory()
    author.save()
    photo = PhotoFactory(
        caption="Rescuers clear debris in Dravik.", credit="Ana Rusu / Test Agency"
    )
    now = timezone.now()
    older = ArticlePageFactory(
        parent=home,
        title="Reservoir levels fall",
        section=section,
        authors=[author],
        first_published_at=now - timedelta(days=2),
    )
    story = ArticlePageFactory(
        parent=home,
        title="Drone attack hits power station",
        dek="Engineers restore power to half of the city within hours.",
        section=section,
        authors=[author],
        lead_image=photo,
        first_published_at=now - timedelta(hours=3),
        body=[
            *paragraph_blocks(["The attack began shortly after midnight, officials said."]),
            {"type": "read_also", "value": {"article": older.pk, "label": "Read also"}},
            {
                "type": "pull_quote",
                "value": {"quote": "We will rebuild again.", "attribution": "The mayor"},
            },
        ],
    )
    ArticleNoteFactory(page=story, text="<p>An earlier version misstated the number of drones.</p>")
    briefs = [
        ArticlePageFactory(
            parent=home,
            brief=True,
            title=f"Brief number {i}",
            section=section,
            first_published_at=now - timedelta(minutes=10 * i),
        )
        for i in range(1, 4)
    ]
    video = ArticlePageFactory(
        parent=home,
        title="Inside the repair crews",
        format=ArticleFormat.VIDEO,
        section=section,
        lead_video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        first_published_at=now - timedelta(hours=5),
    )
    HomeTopStory.objects.create(page=home, article=story, sort_order=0)
    return {
        "story": story,
        "older": older,
        "briefs": briefs,
        "video": video,
        "author": author,
        "section": section,
    }


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_page_shows_top_stories_news_feed_sections_and_videos(client, newsroom):
    page = html(client.get("/"))
    assert "The Test Independent" in page
    assert "Drone attack hits power station" in page
    assert "Brief number 1" in page
    assert "Inside the repair crews" in page
    assert 'href="/tag/war/"' in page
    assert 'href="/news-feed/' in page


def test_article_page_shows_everything_a_reader_expects(client, newsroom):
    story, author = newsroom["story"], newsroom["author"]
    page = html(client.get(story.url))
    for expected in [
        "Drone attack hits power station",
        "Engineers restore power to half of the city within hours.",
        "Mira Valen",
        "War correspondent",
        "min read",
        "Rescuers clear debris in Dravik.",
        "Ana Rusu / Test Agency",
        "The attack began shortly after midnight",
        "Reservoir levels fall",  # read-also card
        "We will rebuild again.",
        "misstated the number of drones",
        author.bio,
        'href="/author/mira-valen/"',
        'href="/tag/war/"',
        "Brief number 1",  # News Feed sidebar
    ]:
        assert expected in page, expected
    assert "0 min read" not in page
    assert page.count("<h1") == 1


def test_times_are_shown_in_the_sites_timezone(client, newsroom):
    story = newsroom["story"]
    story.first_published_at = story.first_published_at.replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    story.save()
    page = html(client.get(story.url))
    # 09:30 UTC is 11:30 or 12:30 in Kyiv, depending on daylight saving time.
    assert ("11:30" in page) or ("12:30" in page)


def test_brief_has_its_own_page(client, newsroom):
    brief = newsroom["briefs"][0]
    assert "Brief number 1" in html(client.get(brief.url))


def test_video_article_loads_no_third_party_player_before_a_click(client, newsroom):
    page = html(client.get(newsroom["video"].url))
    assert "dQw4w9WgXcQ" in page
    assert "<iframe" not in page


def test_tag_author_and_news_feed_pages_list_articles(client, newsroom):
    assert "Drone attack hits power station" in html(client.get("/tag/war/"))
    author_page = html(client.get("/author/mira-valen/"))
    assert "Mira Valen" in author_page and "Reservoir levels fall" in author_page
    feed = html(client.get("/news-feed/"))
    assert all(f"Brief number {i}" in feed for i in range(1, 4))
    assert "Drone attack hits power station" not in feed


def test_show_more_returns_the_next_items_as_a_fragment(client, home, section):
    now = timezone.now()
    for i in range(30):
        ArticlePageFactory(
            parent=home,
            brief=True,
            title=f"Numbered brief {i:02d}",
            first_published_at=now - timedelta(minutes=i),
        )
    first = html(client.get("/news-feed/"))
    assert "Numbered brief 00" in first and "Numbered brief 25" not in first
    assert "data-show-more" in first
    start = first.index("?before=") + len("?before=")
    cursor = first[start : first.index('"', start)].split("&")[0]
    fragment = html(client.get("/news-feed/", {"before": cursor, "partial": "1"}))
    assert "<html" not in fragment
    assert "Numbered brief 25" in fragment
    assert "Numbered brief 00" not in fragment


@pytest.mark.parametrize("before", ["garbage", "-1", "1-2-3", "9" * 40, "%ff"])
def test_a_malformed_cursor_gives_the_first_page(client, newsroom, before):
    assert "Brief number 1" in html(client.get("/news-feed/", {"before": before}))


def test_cursor_from_the_future_is_an_empty_but_valid_page(client, newsroom):
    cursor = Cursor(published_at=timezone.now() - timedelta(days=3650), pk=1).encode()
    page = html(client.get("/tag/war/", {"before": cursor}))
    assert "Drone attack" not in page


def test_standard_and_team_pages(client, home):
    desk = DeskFactory(name="News desk")
    AuthorFactory(name="Oskar Lendl", job_title="Deputy editor-in-chief", desk=desk)
    about = StandardPageFactory(parent=home, title="About us", slug="about", intro="Who we are.")
    team = TeamPageFactory(parent=home)
    assert "Who we are." in html(client.get(about.url))
    team_page = html(client.get(team.url))
    assert (
        "News desk" in team_page
        and "Oskar Lendl" in team_page
        and "Deputy editor-in-chief" in team_page
    )


def test_unknown_urls_get_the_themed_404(client, newsroom):
    for url in ["/no-such-story/", "/tag/no-such-tag/", "/author/nobody/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "The Test Independent" in response.content.decode()


def test_internal_tags_have_no_public_page(client, home):
    TagFactory(name="#hidden", slug="hash-hidden", visibility="internal")
    assert client.get("/tag/hash-hidden/").status_code == 404


def test_server_errors_get_the_styled_500_page(client, newsroom, monkeypatch):
    from masthead.publishing import models

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(models.ArticlePage, "get_context", broken)
    client.raise_request_exception = False
    response = client.get(newsroom["story"].url)
    assert response.status_code == 500
    body = response.content.decode()
    assert "boom" not in body and "Traceback" not in body
    assert "<html" in body


def _queries(client, url: str) -> int:
    client.get(url)  # first render creates image renditions; measure the steady state
    client.get(url)  # the first renders may save the photo, which bumps the shared values
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_query_counts_do_not_grow_with_the_archive(client, home, section, author, page_cache_off):
    photo = PhotoFactory()
    other = TagFactory(name="Politics", slug="politics", section=True)
    now = timezone.now()

    def publish(count: int, offset: int) -> None:
        for i in range(count):
            minutes = offset + i
            ArticlePageFactory(
                parent=home,
                section=section if i % 2 else other,
                authors=[author],
                lead_image=photo,
                first_published_at=now - timedelta(minutes=minutes),
            )
            if i % 3 == 0:
                ArticlePageFactory(
                    parent=home,
                    brief=True,
                    section=section,
                    first_published_at=now - timedelta(minutes=minutes, seconds=30),
                )

    publish(10, 0)
    article = ArticlePageFactory(
        parent=home,
        section=section,
        authors=[author],
        lead_image=photo,
        first_published_at=now - timedelta(days=1),
    )
    urls = ["/", article.url, "/tag/war/", f"/author/{author.slug}/", "/news-feed/"]
    small = {url: _queries(client, url) for url in urls}
    publish(190, 100)
    large = {url: _queries(client, url) for url in urls}
    assert small == large
    budgets = {
        "/": 30,
        # +1: the public tags, for keywords and article:tag; +1: the breaking-news banner,
        # which every public page asks for.
        article.url: 22,
        "/tag/war/": 15,
        f"/author/{author.slug}/": 15,
        "/news-feed/": 15,
    }
    for url, count in large.items():
        assert count <= budgets[url], (url, count)


def test_search_finds_articles_by_words_in_their_body(client, newsroom):
    page = html(client.get("/search/", {"q": "midnight officials"}))
    assert "Drone attack hits power station" in page
    assert "Reservoir levels fall" not in page


def test_search_without_results_or_query_explains_what_to_do(client, newsroom):
    assert "No stories match" in html(client.get("/search/", {"q": "zzzzqqq"}))
    assert "Find a story" in html(client.get("/search/"))


@pytest.mark.parametrize("page_number", ["x", "-3", "0", "99999999999999999999"])
def test_search_survives_malformed_page_numbers(client, newsroom, page_number):
    assert client.get("/search/", {"q": "attack", "page": page_number}).status_code == 200


def test_search_ignores_nul_characters(client, newsroom):
    # PostgreSQL refuses NUL bytes outright; the reader still gets results.
    assert "Drone attack hits power station" in html(client.get("/search/", {"q": "mid\x00night"}))


def test_pages_work_when_no_site_matches_the_host(client, newsroom, site):
    site.is_default_site = False
    site.hostname = "news.example.org"
    site.save()
    for url in ["/search/?q=attack", "/news-feed/", "/tag/war/"]:
        assert client.get(url, HTTP_HOST="127.0.0.1").status_code in (200, 404), url


def test_uploaded_documents_are_not_served_by_their_file_path(client, settings):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    document = Document(title="Private memo")
    document.file.save("private-memo.txt", ContentFile(b"confidential"), save=True)
    response = client.get(settings.MEDIA_URL + document.file.name)
    assert response.status_code == 404


def test_uploaded_images_are_served(client, settings):
    photo = PhotoFactory()
    assert client.get(settings.MEDIA_URL + photo.file.name).status_code == 200


def test_related_shows_the_sections_newest_other_stories_and_follows_publishing(
    client, home, section
):
    from lxml import html as lxml_html

    stories = [
        ArticlePageFactory(
            parent=home,
            section=section,
            title=f"Story {number}",
            first_published_at=timezone.now() - timedelta(hours=10 - number),
        )
        for number in range(6)
    ]
    ArticlePageFactory(parent=home, title="Elsewhere")

    def related(page) -> list[str]:
        tree = lxml_html.fromstring(client.get(page.url).content)
        return tree.xpath(
            "//section[@aria-labelledby='related-heading']//a[@class='card__link']/text()"
        )

    assert related(stories[5]) == ["Story 4", "Story 3", "Story 2", "Story 1"]
    assert related(stories[0]) == ["Story 5", "Story 4", "Story 3", "Story 2"]
    fresh = ArticlePageFactory(parent=home, section=section, title="Fresh story", live=False)
    fresh.save_revision().publish()
    assert related(stories[5]) == ["Fresh story", "Story 4", "Story 3", "Story 2"]
    stories[4].unpublish()
    assert related(stories[5]) == ["Fresh story", "Story 3", "Story 2", "Story 1"]


def test_the_shared_header_marks_the_current_section_and_fits_each_reader(
    client, home, section, supporter, free_tier, make_member, member_client
):
    from lxml import html as lxml_html

    other = TagFactory(name="Economy", slug="economy", section=True)
    story = ArticlePageFactory(parent=home, section=section)

    def header(browser, url: str):
        tree = lxml_html.fromstring(browser.get(url).content)
        links = tree.xpath("//header[@class='site-header']//a")
        current = [a.get("href") for a in links if a.get("aria-current") == "page"]
        labels = [a.text_content().strip() for a in links]
        assert not tree.xpath("//*[@data-current]")
        return current, labels

    section_url, economy_url = section.get_absolute_url(), other.get_absolute_url()
    assert header(client, section_url)[0] == [section_url]
    assert header(client, economy_url)[0] == [economy_url]
    assert header(client, "/news-feed/")[0] == ["/news-feed/"]
    current, labels = header(client, story.url)
    assert current == [] and "Sign in" in labels and "Support us" in labels

    paying = member_client(make_member("paying@example.org", comp=supporter))
    current, labels = header(paying, section_url)
    assert current == [section_url]
    assert "Account" in labels and "Sign in" not in labels and "Support us" not in labels
    free = member_client(make_member("free@example.org"))
    labels = header(free, section_url)[1]
    assert "Account" in labels and "Support us" in labels
    # The anonymous header is unchanged by the members' visits.
    assert "Sign in" in header(client, section_url)[1]


def test_the_footers_year_turns_over_on_cached_pages(client, home, time_machine):
    from datetime import UTC, datetime

    time_machine.move_to(datetime(2025, 12, 31, 23, 58, tzinfo=UTC), tick=False)
    story = ArticlePageFactory(parent=home)
    for _ in range(2):
        assert "© 2025" in client.get(story.url).content.decode()
    time_machine.move_to(datetime(2026, 1, 1, 0, 1, tzinfo=UTC), tick=False)
    assert "© 2026" in client.get(story.url).content.decode()
