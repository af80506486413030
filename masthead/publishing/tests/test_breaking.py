"""The breaking-news banner: which story it shows, where, for how long, and at what cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import html as lxml_html
from wagtail.models import PageViewRestriction

from masthead.membership.access import Visibility
from masthead.publishing.factories import (
    ArticlePageFactory,
    LivePageFactory,
    paragraph_blocks,
)
from masthead.publishing.models import CoverageStatus, SiteSettings
from masthead.publishing.templatetags.breaking_tags import is_breaking_now

pytestmark = pytest.mark.django_db

SECRET_WORD = "zanzibarquokka"


def banner(client: Any, url: str = "/") -> Any:
    """The banner's element on the page at ``url``, or ``None``."""
    response = client.get(url)
    assert response.status_code == 200, url
    found = lxml_html.fromstring(response.content).xpath("//*[@data-breaking]")
    assert len(found) <= 1
    return found[0] if found else None


def breaking(home: Any, **kwargs: Any) -> Any:
    defaults = {"title": "Dam breached north of Dravik", "is_breaking": True}
    return ArticlePageFactory(parent=home, **{**defaults, **kwargs})


def test_a_breaking_story_puts_a_banner_under_the_header_linking_to_it(client, home):
    story = breaking(home, first_published_at=timezone.now() - timedelta(minutes=10))
    element = banner(client)
    assert element is not None
    assert element.get("role") == "region"
    assert element.get("aria-label") == "Breaking news"
    assert element.get("data-breaking") == str(story.pk)
    assert element.xpath(".//*[@class='breaking__label']")[0].text_content() == "Breaking"
    link = element.xpath(".//a[@class='breaking__link']")[0]
    assert link.text_content() == "Dam breached north of Dravik"
    assert link.get("href") == story.url
    # The banner comes straight after the site header.
    assert element.getprevious().tag == "header"
    # The dismiss button needs JavaScript, so the page ships it hidden.
    button = element.xpath(".//button[@data-breaking-dismiss]")[0]
    assert button.get("hidden") is not None
    assert button.text_content().strip().endswith("Dismiss breaking news")


def test_no_banner_without_the_flag(client, home):
    ArticlePageFactory(parent=home, title="A quiet day")
    assert banner(client) is None


@pytest.mark.parametrize(
    ("published_hours_ago", "until_hours", "shown"),
    [
        (1, None, True),  # inside the default two hours
        (3, None, False),  # past the default two hours
        (5, 1, True),  # an editor kept it up longer
        (1, -0.25, False),  # an editor took it down early
    ],
)
def test_the_banner_expires(client, home, published_hours_ago, until_hours, shown):
    now = timezone.now()
    breaking(
        home,
        first_published_at=now - timedelta(hours=published_hours_ago),
        breaking_until=None if until_hours is None else now + timedelta(hours=until_hours),
    )
    assert (banner(client) is not None) is shown


def test_the_default_window_ends_two_hours_after_publication(client, home, time_machine):
    published = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    time_machine.move_to(published + timedelta(minutes=5))
    breaking(home, first_published_at=published)
    assert banner(client) is not None
    time_machine.move_to(published + timedelta(hours=1, minutes=59))
    assert banner(client) is not None
    time_machine.move_to(published + timedelta(hours=2, minutes=1))
    assert banner(client) is None


def test_unpublished_and_future_stories_stay_off_the_banner(client, home):
    breaking(home, live=False, first_published_at=timezone.now() - timedelta(minutes=5))
    breaking(home, first_published_at=timezone.now() + timedelta(hours=1))
    assert banner(client) is None


def test_email_only_and_privacy_restricted_stories_stay_off_the_banner(client, home):
    breaking(home, email_only=True)
    private = breaking(home, title="Behind a password")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    assert banner(client) is None


def test_a_gated_story_shows_its_headline_and_nothing_it_gates(client, home):
    breaking(
        home,
        title="Minister resigns",
        dek=f"Standfirst {SECRET_WORD}",
        visibility=Visibility.PAID,
        body=paragraph_blocks([f"The paid part says {SECRET_WORD}."]),
    )
    element = banner(client)
    assert element is not None
    assert "Minister resigns" in element.text_content()
    assert SECRET_WORD not in lxml_html.tostring(element, encoding="unicode")


def test_the_newest_breaking_story_wins(client, home):
    now = timezone.now()
    breaking(home, title="Older alert", first_published_at=now - timedelta(minutes=50))
    newest = breaking(home, title="Newer alert", first_published_at=now - timedelta(minutes=5))
    breaking(
        home,
        title="Long-running alert",
        first_published_at=now - timedelta(hours=6),
        breaking_until=now + timedelta(hours=6),
    )
    element = banner(client)
    assert element.get("data-breaking") == str(newest.pk)
    assert "Newer alert" in element.text_content()


def test_ongoing_live_coverage_says_live_and_ended_coverage_does_not(client, home):
    live = LivePageFactory(parent=home, title="Storm: live updates", is_breaking=True)
    element = banner(client)
    assert element.get("data-breaking") == str(live.pk)
    assert element.xpath(".//*[@class='breaking__live']")[0].text_content().strip() == "Live"

    live.coverage_status = CoverageStatus.ENDED
    live.save()
    element = banner(client)
    assert element.get("data-breaking") == str(live.pk)
    assert not element.xpath(".//*[@class='breaking__live']")


def test_the_banner_appears_across_public_pages_and_not_in_the_admin(
    client, admin_client, home, section, author
):
    story = breaking(home, section=section, tags=[section], authors=[author], format="brief")
    other = ArticlePageFactory(parent=home, title="Another story", section=section)
    for url in [
        "/",
        other.url,
        story.url,
        "/news-feed/",
        f"/tag/{section.slug}/",
        f"/author/{author.slug}/",
        "/search/?q=dam",
    ]:
        element = banner(client, url)
        assert element is not None, url
        assert element.get("data-breaking") == str(story.pk), url
    for url in ["/admin/", f"/admin/pages/{story.pk}/edit/"]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert b"data-breaking" not in response.content, url


def test_the_time_is_in_the_sites_timezone(client, home, site, time_machine):
    settings = SiteSettings.for_site(site)
    settings.timezone = "Europe/Kyiv"
    settings.save()
    published = datetime(2025, 1, 10, 22, 30, tzinfo=UTC)  # 00:30 on 11 January in Kyiv
    time_machine.move_to(published + timedelta(minutes=20))
    breaking(home, first_published_at=published)
    time = banner(client).xpath(".//time")[0]
    assert time.text_content() == "00:30"
    assert time.get("datetime") == "2025-01-11T00:30:00+02:00"


def test_a_story_kept_up_since_yesterday_shows_its_date(client, home, time_machine):
    published = datetime(2025, 6, 2, 18, 0, tzinfo=UTC)
    time_machine.move_to(published + timedelta(hours=20))
    breaking(home, first_published_at=published, breaking_until=published + timedelta(days=2))
    assert banner(client).xpath(".//time")[0].text_content() == "2 Jun, 18:00"


def test_the_time_gains_its_date_at_midnight_on_every_page(client, home, time_machine):
    """Every page shares the banner's HTML; it says "18:00" until midnight, then the date."""
    published = datetime(2025, 6, 2, 18, 0, tzinfo=UTC)  # the test site's timezone is UTC
    time_machine.move_to(published + timedelta(hours=5, minutes=59))
    story = breaking(
        home, first_published_at=published, breaking_until=published + timedelta(days=2)
    )
    other = ArticlePageFactory(parent=home, title="Another story")
    for url in ("/", story.url, other.url):
        assert banner(client, url).xpath(".//time")[0].text_content() == "18:00"
    time_machine.move_to(published + timedelta(hours=6, seconds=1))
    for url in ("/", story.url, other.url):
        assert banner(client, url).xpath(".//time")[0].text_content() == "2 Jun, 18:00"


def test_the_banner_costs_one_query_and_no_more_when_a_story_breaks(
    client, home, section, page_cache_off
):
    """The banner's stories are one shared value: no query until a story changes, then
    one, whether or not a banner is up."""
    for i in range(6):
        ArticlePageFactory(parent=home, title=f"Story {i}", section=section)
        ArticlePageFactory(parent=home, title=f"Brief {i}", format="brief", section=section)
    story = breaking(home, section=section)
    story.is_breaking = False
    story.save()
    client.get("/")  # warm the site and settings caches

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        asking = [
            q
            for q in queries.captured_queries
            if '"is_breaking"' in q["sql"].partition(" WHERE ")[2]
        ]
        return len(queries.captured_queries), len(asking)

    assert count()[1] == 0
    story.is_breaking = False
    story.save()
    quiet_total, quiet_asking = count()
    story.is_breaking = True
    story.save()
    breaking_total, breaking_asking = count()
    assert quiet_asking == breaking_asking == 1
    assert breaking_total == quiet_total


def test_is_breaking_now_follows_the_querysets_rule(home):
    now = timezone.now()
    assert is_breaking_now(breaking(home, first_published_at=now - timedelta(minutes=30)))
    assert not is_breaking_now(breaking(home, first_published_at=now - timedelta(hours=3)))
    assert is_breaking_now(
        breaking(
            home,
            first_published_at=now - timedelta(hours=3),
            breaking_until=now + timedelta(minutes=5),
        )
    )
    assert not is_breaking_now(breaking(home, first_published_at=now + timedelta(minutes=30)))
    assert not is_breaking_now(ArticlePageFactory(parent=home))
