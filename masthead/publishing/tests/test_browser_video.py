"""Video pages in a real headless Chromium: no third-party request, Show More, accessibility."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from wagtailmedia.models import Media

from masthead.publishing.factories import ArticlePageFactory, PhotoFactory
from masthead.publishing.models import ArticleFormat, VideoIndexPage
from masthead.publishing.videos import VIDEO_BATCH_SIZE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def videos(db: None) -> dict[str, Any]:
    from wagtail.models import Site

    home = Site.objects.get(is_default_site=True).root_page.specific
    section = VideoIndexPage(title="Video", slug="video", intro="Our reporting, on camera.")
    home.add_child(instance=section)
    photo = PhotoFactory()
    now = timezone.now()
    stories = [
        ArticlePageFactory(
            parent=home,
            format=ArticleFormat.VIDEO,
            title=f"Video story {i:02d}",
            slug=f"video-story-{i:02d}",
            lead_image=photo,
            lead_video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            video_duration=timedelta(minutes=4, seconds=i),
            first_published_at=now - timedelta(minutes=i),
        )
        for i in range(VIDEO_BATCH_SIZE + 3)
    ]
    clip = Media.objects.create(
        title="Night shift",
        type="video",
        file=SimpleUploadedFile("night.mp4", b"\x00" * 2048, content_type="video/mp4"),
        duration=64,
    )
    uploaded = ArticlePageFactory(
        parent=home,
        format=ArticleFormat.VIDEO,
        title="The night shift",
        slug="the-night-shift",
        lead_image=photo,
        lead_video_file=clip,
        video_transcript="Crews start at dusk.\n\nThey work until dawn.",
        first_published_at=now - timedelta(days=2),
    )
    return {"section": section, "stories": stories, "uploaded": uploaded}


def outside_requests(page: Any, origin: str) -> list[str]:
    """Every address the page asks for that is not the site's own."""
    seen: list[str] = []
    host = urlsplit(origin).netloc
    page.on(
        "request",
        lambda request: (
            seen.append(request.url) if urlsplit(request.url).netloc not in {host, ""} else None
        ),
    )
    return seen


def test_show_more_appends_the_next_videos_and_moves_focus(
    browser: Any, live_server: Any, videos: dict[str, Any], axe_violations: Callable[[Any], Any]
) -> None:
    page = browser.new_page()
    outside = outside_requests(page, live_server.url)
    page.goto(live_server.url + videos["section"].url)
    cards = page.locator("[data-listing-items] > li")
    assert cards.count() == VIDEO_BATCH_SIZE
    assert axe_violations(page) == []

    page.get_by_role("link", name="Show More").click()
    cards.nth(VIDEO_BATCH_SIZE).wait_for()
    assert cards.count() == VIDEO_BATCH_SIZE + 4
    assert page.evaluate("document.activeElement.textContent") == "Video story 12"
    # The announcement is written a moment after the cards, so screen readers hear it.
    page.wait_for_function(
        "document.querySelector('[data-live-region]').textContent.includes('4 more stories loaded')"
    )
    assert page.locator("[data-show-more]").count() == 0
    badge = cards.nth(VIDEO_BATCH_SIZE).locator(".play-badge")
    assert badge.locator(".play-badge__time").inner_text() == "4:12"
    assert outside == []


def test_an_uploaded_video_page_fetches_nothing_from_elsewhere_and_passes_axe(
    browser: Any, live_server: Any, videos: dict[str, Any], axe_violations: Callable[[Any], Any]
) -> None:
    page = browser.new_page()
    outside = outside_requests(page, live_server.url)
    page.goto(live_server.url + videos["uploaded"].url)
    player = page.locator("video.video-player")
    assert player.get_attribute("preload") == "none"
    summary = page.get_by_text("Transcript", exact=True)
    assert not page.get_by_text("They work until dawn.").is_visible()
    summary.focus()
    page.keyboard.press("Enter")
    assert page.get_by_text("They work until dawn.").is_visible()
    assert axe_violations(page) == []
    assert outside == []


def test_the_youtube_player_is_requested_only_after_the_click(
    browser: Any, live_server: Any, videos: dict[str, Any]
) -> None:
    page = browser.new_page()
    outside = outside_requests(page, live_server.url)
    # The player's own address is answered here: the test needs no network.
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.fulfill(body="player"))
    page.goto(live_server.url + videos["stories"][0].url)
    page.wait_for_load_state("networkidle")
    assert outside == []
    page.locator("a[data-video-provider]").click()
    page.locator("iframe.video-frame").wait_for()
    assert outside and all(url.startswith("https://www.youtube-nocookie.com/") for url in outside)
