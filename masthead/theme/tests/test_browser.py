"""The default theme in a real headless Chromium: navigation, "Show More", accessibility.

Playwright drives Debian's ``chromium`` (Playwright's own browser downloads are not
used); axe-core comes from npm (``package.json``). Each is skipped with a reason
when it is not installed.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
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
from masthead.publishing.models import ArticleFormat, SiteSettings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def newsroom(db):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    settings = SiteSettings.for_site(site)
    settings.publication_name = "The Browser Test Independent"
    settings.tagline = "Independent news, tested in a real browser."
    settings.timezone = "Europe/Kyiv"
    settings.save()
    desk = DeskFactory(name="News desk")
    war = TagFactory(name="War", slug="war", section=True, accent_colour="#B42318")
    TagFactory(name="Politics", slug="politics", section=True, accent_colour="#6941C6")
    author = AuthorFactory(
        name="Mira Valen",
        slug="mira-valen",
        job_title="War correspondent",
        desk=desk,
        avatar=PhotoFactory(description="Portrait of Mira Valen"),
    )
    photo = PhotoFactory(
        caption="Rescuers clear debris in Dravik.",
        credit="Ana Rusu / Test Agency",
        description="Rescuers in a street",
    )
    now = timezone.now()
    stories = [
        ArticlePageFactory(
            parent=home,
            title=f"Story number {i}: the city keeps its lights on",
            dek="Engineers restore power within hours of the attack.",
            section=war,
            authors=[author],
            lead_image=photo,
            first_published_at=now - timedelta(hours=i + 1),
            body=paragraph_blocks(
                ["Officials said the attack began shortly after midnight. " * 6] * 5
            ),
        )
        for i in range(8)
    ]
    ArticleNoteFactory(
        page=stories[0], text="<p>An earlier version misstated the number of drones.</p>"
    )
    for i in range(30):
        ArticlePageFactory(
            parent=home,
            brief=True,
            title=f"Brief number {i:02d} from the front",
            section=war,
            authors=[author],
            first_published_at=now - timedelta(minutes=7 * i + 1),
        )
    video = ArticlePageFactory(
        parent=home,
        title="Inside the repair crews",
        format=ArticleFormat.VIDEO,
        section=war,
        lead_image=photo,
        lead_video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        first_published_at=now - timedelta(hours=12),
    )
    StandardPageFactory(parent=home, title="About us", slug="about", intro="Who we are.")
    TeamPageFactory(parent=home)
    return {"story": stories[0], "author": author, "tag": war, "video": video}


def test_reader_opens_an_article_and_loads_more_briefs_without_a_reload(
    browser, live_server, newsroom
):
    page = browser.new_page()
    page.goto(live_server.url + "/")
    assert "The Browser Test Independent" in page.title()

    page.get_by_role("link", name=newsroom["story"].title).first.click()
    page.wait_for_url("**" + newsroom["story"].url)
    assert page.locator("h1").inner_text() == newsroom["story"].title
    assert page.get_by_text("min read").first.is_visible()

    # The article's News Feed sidebar shows the newest briefs; "Show More" appends
    # older ones in place.
    _show_more_in_place(page, scope="aside", expect="Brief number 15 from the front")
    assert page.url == live_server.url + newsroom["story"].url
    # Keyboard and screen-reader users are told what happened.
    page.wait_for_function(
        "document.querySelector('[data-live-region]').textContent.includes('more stories loaded')"
    )
    page.close()


def test_news_feed_page_loads_more_briefs_in_place(browser, live_server, newsroom):
    page = browser.new_page()
    page.goto(live_server.url + "/news-feed/")
    _show_more_in_place(page, scope="main", expect="Brief number 29 from the front")
    assert page.url == live_server.url + "/news-feed/"
    page.close()


def _show_more_in_place(page, *, scope: str, expect: str) -> None:
    """Click "Show More" inside ``scope`` and see ``expect`` appear without a reload."""
    page.evaluate("window.__stillTheSamePage = true")
    items = page.locator(f"{scope} [data-listing-items] li")
    before = items.count()
    assert page.get_by_text(expect).count() == 0
    page.locator(f"{scope} a[data-show-more]").first.click()
    page.get_by_text(expect).wait_for()
    assert items.count() > before
    assert page.evaluate("window.__stillTheSamePage") is True


def test_video_facade_loads_the_player_only_after_a_click(browser, live_server, newsroom):
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    # The test machine has no internet: answer the player request locally.
    page.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(status=200, body="<html></html>"),
    )
    page.goto(live_server.url + newsroom["video"].url)
    assert not [url for url in requests if "youtube" in url]
    page.locator("a[data-video-provider]").first.click()
    page.locator("iframe").first.wait_for()
    assert any("youtube-nocookie.com/embed/dQw4w9WgXcQ" in url for url in requests)
    page.close()


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "mobile"])
def test_pages_have_no_accessibility_violations(
    browser, live_server, newsroom, axe_violations, viewport
):
    urls = {
        "home": "/",
        "article": newsroom["story"].url,
        "tag": "/tag/war/",
        "author": "/author/mira-valen/",
        "team": "/team/",
        "news feed": "/news-feed/",
    }
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    report = {}
    for name, url in urls.items():
        page.goto(live_server.url + url)
        if violations := axe_violations(page):
            report[name] = violations
    page.close()
    assert report == {}, json.dumps(report, indent=2)
