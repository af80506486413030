"""The live page as readers get it without JavaScript: summary, key points and events,
pinned updates, the stream and its paging, permalinks, the ended and empty states."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from masthead.publishing import actions
from masthead.publishing.coverage import STREAM_SIZE
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    LivePageFactory,
    PhotoFactory,
    paragraph_blocks,
)
from masthead.publishing.models import CoverageStatus, SiteSettings

pytestmark = pytest.mark.django_db

TZ = "Europe/Kyiv"


def get(client: Any, url: str, **params: str) -> Any:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "lxml")


def stream_ids(doc: Any) -> list[int]:
    return [int(li.get("data-update-id")) for li in doc.select("[data-live-updates] > li")]


def post(page: Any, text: str, minutes_ago: float, **kwargs: Any) -> Any:
    return actions.post_live_update(
        page=page,
        body=paragraph_blocks([text]),
        posted_at=timezone.now() - timedelta(minutes=minutes_ago),
        **kwargs,
    )


@pytest.fixture
def coverage(site: Any, home: Any, section: Any, author: Any) -> dict[str, Any]:
    settings = SiteSettings.for_site(site)
    settings.timezone = TZ
    settings.save()
    page = LivePageFactory(
        parent=home,
        title="Storm over the capital",
        slug="storm-live",
        dek="Roads closed as the river rises.",
        section=section,
        authors=[author],
        key_points=[
            {"type": "point", "value": "<p>The river crested at 6.2 metres.</p>"},
            {"type": "point", "value": "<p>Schools are closed on Monday.</p>"},
        ],
        body=paragraph_blocks(["The storm formed over the bay on Thursday."]),
    )
    first = post(page, "Rain began overnight.", 50, author=author, headline="Rain begins")
    key = post(page, "The dam gates are open.", 40, is_key_event=True, headline="Gates open")
    pinned = post(page, "Call 112 for help.", 30, is_pinned=True, headline="Emergency numbers")
    gone = post(page, "A mistaken report.", 20)
    actions.delete_live_update(update=gone)
    latest = post(page, "The mayor speaks at noon.", 10, author=author, is_key_event=True)
    return {
        "page": page,
        "first": first,
        "key": key,
        "pinned": pinned,
        "gone": gone,
        "latest": latest,
    }


def test_the_page_shows_summary_key_points_and_a_live_badge(client: Any, coverage: Any) -> None:
    page = coverage["page"]
    doc = get(client, page.url)
    assert doc.select("h1")[0].get_text() == "Storm over the capital"
    assert doc.select(".article__dek")[0].get_text() == "Roads closed as the river rises."
    assert doc.select(".live-page-badge")[0].get_text().strip() == "Live"
    points = [li.get_text() for li in doc.select(".live-key-points__list > li")]
    assert points == ["The river crested at 6.2 metres.", "Schools are closed on Monday."]
    assert "The storm formed over the bay" in doc.select(".live-background")[0].get_text()
    assert [a.get_text() for a in doc.select(".article__author-name")] == ["Mira Valen"]
    # Last updated is the latest visible update, in the site's timezone.
    latest_local = coverage["latest"].posted_at.astimezone(zoneinfo.ZoneInfo(TZ))
    last = doc.select("[data-live-last-updated]")[0]
    assert last.get_text().endswith(latest_local.strftime("%H:%M"))
    # The News Feed sidebar of every article is there too.
    assert doc.select("#sidebar-feed-heading")


def test_the_stream_is_newest_first_without_deleted_updates(client: Any, coverage: Any) -> None:
    doc = get(client, coverage["page"].url)
    expected = [coverage[name].pk for name in ("latest", "pinned", "key", "first")]
    assert stream_ids(doc) == expected
    assert "A mistaken report" not in str(doc)
    first = doc.select(f"#update-{coverage['first'].pk}")[0]
    assert first.select(".live-update__headline")[0].get_text() == "Rain begins"
    author_link = first.select(".live-update__author a")[0]
    assert author_link.get("href") == "/author/mira-valen/"
    permalink = first.select(".live-update__time")[0]
    assert permalink.get("href") == coverage["first"].permalink("/storm-live/")
    local = coverage["first"].posted_at.astimezone(zoneinfo.ZoneInfo(TZ))
    assert permalink.get_text().strip().endswith(local.strftime("%H:%M"))


def test_an_update_from_another_day_shows_its_date(client: Any, coverage: Any) -> None:
    old = post(coverage["page"], "Forecasters warned of the storm.", 60 * 24 * 3)
    doc = get(client, coverage["page"].url)
    local = old.posted_at.astimezone(zoneinfo.ZoneInfo(TZ))
    date = doc.select(f"#update-{old.pk} .live-update__date")[0].get_text()
    assert date == f"{local.day} {local:%b}"
    # The latest update, ten minutes old, shows no date: unless it was posted before
    # midnight in the site's timezone, when it is from another day too.
    latest = coverage["latest"].posted_at.astimezone(zoneinfo.ZoneInfo(TZ))
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(TZ)).date()
    latest_date = doc.select(f"#update-{coverage['latest'].pk} .live-update__date")
    assert [span.get_text() for span in latest_date] == (
        [] if latest.date() == today else [f"{latest.day} {latest:%b}"]
    )


def test_key_events_link_to_their_permalinks_newest_first(client: Any, coverage: Any) -> None:
    doc = get(client, coverage["page"].url)
    links = doc.select(".live-key-events__link")
    assert [a.get("href") for a in links] == [
        coverage["latest"].permalink("/storm-live/"),
        coverage["key"].permalink("/storm-live/"),
    ]
    # An event without a headline is named by its first words.
    assert links[0].select(".live-key-events__text")[0].get_text() == ("The mayor speaks at noon.")
    assert links[1].select(".live-key-events__text")[0].get_text() == "Gates open"


def test_pinned_updates_are_boxed_above_the_stream(client: Any, coverage: Any) -> None:
    doc = get(client, coverage["page"].url)
    box = doc.select("[data-live-pinned]")[0]
    assert box.get("hidden") is None
    pinned = box.select("[data-live-pinned-list] > li")
    assert [int(li.get("data-update-id")) for li in pinned] == [coverage["pinned"].pk]
    actions.set_live_update_pinned(update=coverage["pinned"], pinned=False)
    doc = get(client, coverage["page"].url)
    box = doc.select("[data-live-pinned]")[0]
    assert box.get("hidden") is not None
    assert not box.select("li")


def test_the_stream_carries_what_live_js_needs_to_poll(client: Any, coverage: Any) -> None:
    doc = get(client, coverage["page"].url)
    stream = doc.select("[data-live-stream]")[0]
    assert stream.get("data-status") == "live"
    # Every change numbered: five posts, one deletion.
    assert stream.get("data-cursor") == "6"
    assert stream.get("data-poll-interval") == "10"
    try:
        poll_url = reverse("publishing:live_updates", kwargs={"slug": "storm-live"})
    except NoReverseMatch:
        poll_url = None
    assert stream.get("data-poll-url") == poll_url
    reveal = stream.select("[data-live-notice] button[data-live-reveal]")[0]
    assert reveal.get("hidden") is not None
    assert reveal.get("data-label-one") == "1 new update"
    assert reveal.get("data-label-many") == "{count} new updates"
    scripts = [s.get("src") for s in doc.select("script[src]")]
    assert any(src.endswith("masthead/js/live.js") for src in scripts)


def test_the_page_advertises_its_own_feed(client: Any, coverage: Any) -> None:
    doc = get(client, coverage["page"].url)
    alternates = [link.get("href") for link in doc.select('link[rel="alternate"]')]
    try:
        feed = reverse("publishing:live_feed_rss", kwargs={"slug": "storm-live"})
    except NoReverseMatch:
        feed = None
    assert (feed in alternates) if feed else all("storm-live" not in a for a in alternates)


def test_a_permalink_opens_the_stream_at_its_update(client: Any, coverage: Any) -> None:
    page = coverage["page"]
    for i in range(STREAM_SIZE + 5):
        post(page, f"Older update {i}.", 100 + i)
    doc = get(client, page.url, update=str(coverage["key"].pk))
    ids = stream_ids(doc)
    assert ids[0] == coverage["key"].pk
    assert coverage["latest"].pk not in ids and coverage["pinned"].pk not in ids
    assert len(ids) == STREAM_SIZE
    notice = doc.select(".live-stream__earlier")[0]
    assert "You are viewing an earlier update" in notice.get_text()
    assert notice.select("a")[0].get("href").startswith("/storm-live/")
    assert doc.select("[data-live-stream]")[0].get("data-live-earlier") is not None


@pytest.mark.parametrize("which", ["unknown", "deleted", "foreign", "malformed", "huge"])
def test_a_permalink_to_nothing_shows_the_latest_updates(
    client: Any, home: Any, coverage: Any, which: str
) -> None:
    other = LivePageFactory(parent=home, slug="other-live")
    foreign = post(other, "Elsewhere.", 5)
    value = {
        "unknown": "987654",
        "deleted": str(coverage["gone"].pk),
        "foreign": str(foreign.pk),
        "malformed": "12abc",
        "huge": "9" * 40,
    }[which]
    doc = get(client, coverage["page"].url, update=value)
    assert stream_ids(doc)[0] == coverage["latest"].pk
    assert not doc.select(".live-stream__earlier")


def test_show_older_updates_pages_by_keyset_and_loads_in_place(client: Any, coverage: Any) -> None:
    page = coverage["page"]
    for i in range(STREAM_SIZE):
        post(page, f"Older update {i}.", 100 + i)
    doc = get(client, page.url)
    first_ids = stream_ids(doc)
    assert len(first_ids) == STREAM_SIZE
    more = doc.select("[data-listing] a[data-show-more]")[0]
    assert more.get_text() == "Show older updates"
    href = more.get("href")
    assert href.startswith("/storm-live/?before=")

    # An update posted meanwhile does not shift the next batch.
    post(page, "Breaking meanwhile.", 0)
    partial = client.get(href + "&partial=1")
    assert partial.status_code == 200
    fragment = partial.content.decode()
    assert "<html" not in fragment and "sidebar" not in fragment
    rest = stream_ids(BeautifulSoup(fragment, "lxml"))
    assert len(rest) == 4  # 24 visible before "meanwhile", 20 shown first
    assert not set(rest) & set(first_ids)
    assert "data-show-more" not in fragment

    # Without JavaScript the link opens a whole page of the older updates.
    older = get(client, href)
    assert stream_ids(older) == rest
    assert "You are viewing earlier updates" in older.select(".live-stream__earlier")[0].get_text()


def test_an_ended_page_says_so_and_does_not_poll(client: Any, coverage: Any) -> None:
    page = actions.set_coverage_status(page=coverage["page"], status=CoverageStatus.ENDED)
    doc = get(client, page.url)
    badge = doc.select(".live-page-badge--ended")[0]
    assert badge.get_text().startswith("Ended")
    ended_local = page.coverage_ended_at.astimezone(zoneinfo.ZoneInfo(TZ))
    assert badge.select("time")[0].get_text().endswith(ended_local.strftime("%H:%M"))
    notice = doc.select("[data-live-ended]")[0]
    assert notice.get("hidden") is None
    assert notice.get_text() == "This live coverage has ended."
    stream = doc.select("[data-live-stream]")[0]
    assert stream.get("data-status") == "ended"
    assert stream.get("data-poll-url") is None and stream.get("data-cursor") is None
    assert len(stream_ids(doc)) == 4


def test_a_page_without_updates_says_they_will_appear(client: Any, home: Any) -> None:
    page = LivePageFactory(parent=home, slug="quiet-live", key_points=[])
    doc = get(client, page.url)
    assert "Updates will appear here" in doc.select("[data-live-empty]")[0].get_text()
    assert stream_ids(doc) == []
    assert not doc.select(".live-key-points, .live-key-events, [data-live-last-updated]")
    assert doc.select("[data-live-stream]")[0].get("data-cursor") == "0"


def test_the_full_story_link_appears_once_the_promoted_article_is_live(
    client: Any, coverage: Any
) -> None:
    update = coverage["key"]
    article = actions.promote_live_update(update=update)
    doc = get(client, coverage["page"].url)
    assert not doc.select(f"#update-{update.pk} .live-update__promoted")
    article.get_latest_revision().publish()
    article.refresh_from_db()
    doc = get(client, coverage["page"].url)
    link = doc.select(f"#update-{update.pk} .live-update__promoted a")[0]
    assert link.get("href") == article.url
    assert link.get_text().startswith("Read the full story")


def _queries(client: Any, url: str) -> int:
    client.get(url)  # the first render makes the renditions; measure the steady state
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_the_updates(
    page_cache_off, client: Any, home: Any, section: Any
) -> None:
    reporters = [AuthorFactory(avatar=PhotoFactory()) for _ in range(3)]
    page = LivePageFactory(
        parent=home,
        slug="big-live",
        section=section,
        authors=reporters[:1],
        lead_image=PhotoFactory(),
    )
    other = ArticlePageFactory(parent=home, title="Full story", live=True)

    def add(count: int, offset: int) -> None:
        for i in range(count):
            update = post(
                page,
                f"Update {offset + i}.",
                offset + i,
                author=reporters[i % 3],
                is_key_event=i % 4 == 0,
                is_pinned=i % 10 == 0,
                headline=f"Headline {offset + i}" if i % 2 else "",
            )
            if i % 7 == 0:
                update.promoted_to = other
                update.save(update_fields=["promoted_to"])

    add(5, 0)
    urls = [page.url, f"{page.url}?update={page.updates.order_by('pk').first().pk}"]
    small = [_queries(client, url) for url in urls]
    add(55, 100)
    large = [_queries(client, url) for url in urls]
    assert small == large
    assert max(large) <= 26, large
