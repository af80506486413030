"""The News Feed: times and days in the site's timezone, "Show More", breaking briefs, briefs' pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import html as lxml_html

from masthead.publishing.factories import ArticlePageFactory
from masthead.publishing.models import SiteSettings

pytestmark = pytest.mark.django_db

# 10:00 in Kyiv (UTC+2 in winter) on Saturday 11 January 2025.
NOW = datetime(2025, 1, 11, 8, 0, tzinfo=UTC)


@pytest.fixture
def kyiv(site: Any, time_machine: Any) -> None:
    settings = SiteSettings.for_site(site)
    settings.timezone = "Europe/Kyiv"
    settings.save()
    time_machine.move_to(NOW, tick=False)


def brief(home: Any, when: datetime, title: str = "", **kwargs: Any) -> Any:
    return ArticlePageFactory(
        parent=home,
        brief=True,
        title=title or f"Brief at {when:%H:%M}",
        first_published_at=when,
        **kwargs,
    )


def feed_rows(content: bytes) -> list[tuple[str, str]]:
    """The feed's list items in order: ("day", label, data-day) or ("brief", time, headline)."""
    tree = lxml_html.fromstring(content)
    rows = []
    for item in tree.xpath("//ol[@data-listing-items]/li"):
        if item.get("data-day"):
            rows.append(("day", item.text_content().strip(), item.get("data-day")))
        else:
            time = item.xpath(".//time")[0].text_content()
            link = item.xpath(".//a[contains(@class, 'brief__link')]")[0].text_content()
            rows.append(("brief", time, link.strip()))
    return rows


def test_times_and_days_follow_the_sites_timezone_across_midnight_utc(client, home, kyiv):
    brief(home, datetime(2025, 1, 11, 7, 15, tzinfo=UTC), "Morning alert")  # 09:15 Kyiv
    brief(
        home, datetime(2025, 1, 10, 22, 30, tzinfo=UTC), "Just after midnight"
    )  # 00:30 on the 11th
    brief(home, datetime(2025, 1, 10, 21, 30, tzinfo=UTC), "Late evening")  # 23:30 on the 10th
    brief(home, datetime(2025, 1, 8, 12, 0, tzinfo=UTC), "Midweek")  # 14:00 on the 8th
    brief(home, datetime(2024, 12, 30, 12, 0, tzinfo=UTC), "Last year")

    response = client.get("/news-feed/")
    assert response.status_code == 200
    assert feed_rows(response.content) == [
        ("day", "Today", "2025-01-11"),
        ("brief", "09:15", "Morning alert"),
        ("brief", "00:30", "Just after midnight"),
        ("day", "Yesterday", "2025-01-10"),
        ("brief", "23:30", "Late evening"),
        ("day", "Wednesday, 8 January", "2025-01-08"),
        ("brief", "14:00", "Midweek"),
        ("day", "Monday, 30 December 2024", "2024-12-30"),
        ("brief", "14:00", "Last year"),
    ]
    tree = lxml_html.fromstring(response.content)
    assert tree.xpath("//li[@data-day='2025-01-11']/time/@datetime") == ["2025-01-11"]
    assert "2025-01-11T00:30:00+02:00" in tree.xpath(
        "//li[contains(@class, 'brief')]/time/@datetime"
    )


def test_in_utc_the_same_briefs_fall_on_other_days(client, home, time_machine):
    time_machine.move_to(NOW, tick=False)
    brief(home, datetime(2025, 1, 10, 22, 30, tzinfo=UTC), "Just after midnight in Kyiv")
    rows = feed_rows(client.get("/news-feed/").content)
    assert rows == [
        ("day", "Yesterday", "2025-01-10"),
        ("brief", "22:30", "Just after midnight in Kyiv"),
    ]


def test_the_home_sidebar_uses_the_same_times_and_days(client, home, kyiv):
    brief(home, datetime(2025, 1, 10, 22, 30, tzinfo=UTC), "Just after midnight")
    rows = feed_rows(client.get("/").content)
    assert ("day", "Today", "2025-01-11") in rows
    assert ("brief", "00:30", "Just after midnight") in rows


def test_show_more_continues_the_day_and_repeats_its_separator_for_the_script(client, home, kyiv):
    # 25 briefs an hour apart: the first page (20) ends during the 10th, and the next
    # batch starts on that same day.
    for hour in range(25):
        brief(home, NOW - timedelta(minutes=30) - timedelta(hours=hour), f"Brief {hour:02d}")
    first = client.get("/news-feed/")
    tree = lxml_html.fromstring(first.content)
    more = tree.xpath("//a[@data-show-more]/@href")
    assert len(more) == 1
    rows = feed_rows(first.content)
    assert [row for row in rows if row[0] == "brief"][-1][2] == "Brief 19"
    last_day = [row for row in rows if row[0] == "day"][-1]
    assert last_day[:2] == ("day", "Yesterday")

    partial = client.get(more[0] + "&partial=1")
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    next_rows = feed_rows(partial.content)
    # site.js drops this first separator, as it repeats the day the list ends on.
    assert next_rows[0] == last_day
    assert [row[2] for row in next_rows if row[0] == "brief"] == [
        f"Brief {n}" for n in range(20, 25)
    ]
    assert not lxml_html.fromstring(partial.content).xpath("//a[@data-show-more]")


def test_a_breaking_brief_carries_a_label_while_its_banner_is_up(client, home, kyiv):
    brief(home, NOW - timedelta(minutes=20), "Explosions heard in Dravik", is_breaking=True)
    brief(home, NOW - timedelta(hours=5), "Earlier alert", is_breaking=True)
    brief(home, NOW - timedelta(minutes=40), "Routine update")
    tree = lxml_html.fromstring(client.get("/news-feed/").content)
    labelled = [
        link.text_content().strip()
        for link in tree.xpath("//ol[@data-listing-items]//a[contains(@class, 'brief__link')]")
        if link.xpath("./strong[@class='brief__breaking']")
    ]
    assert labelled == ["Breaking Explosions heard in Dravik"]


def test_a_brief_has_its_own_page_with_the_news_feed_kicker(client, home, kyiv, section):
    item = brief(home, NOW - timedelta(minutes=5), "Curfew extended in Varnel", section=section)
    response = client.get(item.url)
    assert response.status_code == 200
    tree = lxml_html.fromstring(response.content)
    assert tree.xpath("//h1")[0].text_content().strip() == "Curfew extended in Varnel"
    kicker = tree.xpath("//a[contains(@class, 'kicker__format')]")
    assert kicker[0].text_content() == "News Feed"
    assert kicker[0].get("href") == "/news-feed/"
    feed = lxml_html.fromstring(client.get("/news-feed/").content)
    assert feed.xpath("//a[contains(@class, 'brief__link')]/@href") == [item.url]


def test_an_empty_feed_says_so(client, home):
    ArticlePageFactory(parent=home, title="A story, not a brief")
    tree = lxml_html.fromstring(client.get("/news-feed/").content)
    assert tree.xpath("//ol[@data-listing-items]/li") == []
    assert tree.xpath("//p[@class='empty-state']")[0].text_content() == "No stories here yet."
    assert not tree.xpath("//a[@data-show-more]")


def test_the_feed_costs_the_same_queries_for_five_briefs_or_twenty(
    client, home, section, kyiv, page_cache_off
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/news-feed/").status_code == 200
        return len(queries.captured_queries)

    for n in range(5):
        brief(home, NOW - timedelta(hours=n + 1), section=section)
    client.get("/news-feed/")
    few = count()
    for n in range(5, 20):
        brief(home, NOW - timedelta(hours=n + 1), section=section, is_breaking=n % 2 == 0)
    client.get("/news-feed/")  # the breaking banner's shared list is read again once
    assert count() == few


def test_today_becomes_yesterday_at_midnight_on_every_cached_page(client, home, kyiv, time_machine):
    """A day's label changes with the clock, not with a publish: every page showing it,
    kept whole or in parts, is rendered again after midnight."""
    story = ArticlePageFactory(parent=home, title="A story beside the feed")
    brief(home, datetime(2025, 1, 11, 7, 15, tzinfo=UTC), "Morning alert")
    pages = ["/news-feed/", story.url, "/"]
    for url in pages:
        assert ("day", "Today", "2025-01-11") in feed_rows(client.get(url).content)
        assert ("day", "Today", "2025-01-11") in feed_rows(client.get(url).content)
    time_machine.move_to(datetime(2025, 1, 11, 22, 1, tzinfo=UTC), tick=False)  # 00:01 in Kyiv
    for url in pages:
        assert ("day", "Yesterday", "2025-01-11") in feed_rows(client.get(url).content), url


def test_a_briefs_own_page_leaves_it_out_of_the_news_feed_beside_it(client, home, kyiv):
    first = brief(home, NOW - timedelta(hours=2), "First alert")
    second = brief(home, NOW - timedelta(hours=1), "Second alert")
    story = ArticlePageFactory(parent=home, title="A long read")

    def headlines(url: str) -> list[str]:
        return [row[2] for row in feed_rows(client.get(url).content) if row[0] == "brief"]

    assert headlines(first.url) == ["Second alert"]
    assert headlines(second.url) == ["First alert"]
    assert headlines(story.url) == ["Second alert", "First alert"]
    third = brief(home, NOW - timedelta(minutes=5), "Third alert", live=False)
    third.save_revision().publish()
    assert headlines(story.url) == ["Third alert", "Second alert", "First alert"]
    assert headlines(first.url) == ["Third alert", "Second alert"]
