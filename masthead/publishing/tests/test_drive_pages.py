"""Membership drives and the community counter as readers see them, on real pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from masthead.membership.models import MembershipSettings
from masthead.membership.tests.test_campaigns import END, NOW, START, drive, join, join_many
from masthead.publishing.factories import StandardPageFactory

pytestmark = pytest.mark.django_db


# --- Pages ----------------------------------------------------------------------------


def html(response: Any) -> str:
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_home_page_shows_the_banner_and_the_drive_with_the_real_count(client, home):
    join_many(734, START)
    drive(
        goal=1000,
        headline="Goal: {goal} new members",
        body="{count} members on board. Help us reach {goal} — {remaining} to go.",
    )
    with time_machine.travel(NOW, tick=False):
        page = html(client.get("/"))
    assert page.count('class="drive-banner"') == 1
    assert page.count('class="drive drive--running"') == 1
    assert "Goal: 1,000 new members" in page
    assert "734 members on board. Help us reach 1,000 — 266 to go." in page
    assert 'aria-valuenow="734"' in page and 'aria-valuemax="1000"' in page
    assert "734 of 1,000" in page
    assert 'style="width: 73%"' in page
    for url in ["/members/join/", "/members/gift/", "/members/support/"]:
        assert f'href="{url}"' in page
    # The footer's community counter counts every member.
    assert "734 people chose to be part of our community — thank you" in page


def test_a_drive_without_its_banner_still_shows_on_the_home_page(client, home):
    drive(show_banner=False)
    with time_machine.travel(NOW, tick=False):
        page = html(client.get("/"))
    assert "drive-banner" not in page
    assert "drive drive--running" in page


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_at": NOW + timedelta(days=1), "ends_at": END},
        {"starts_at": START, "ends_at": NOW - timedelta(days=1)},
        {"is_enabled": False},
    ],
    ids=["scheduled", "ended", "disabled"],
)
def test_nothing_about_a_drive_shows_when_none_is_running(client, home, fields):
    join("reader@example.org", START)
    drive(**fields)
    with time_machine.travel(NOW, tick=False):
        page = html(client.get("/"))
    assert "drive-banner" not in page
    assert 'class="drive ' not in page
    assert 'role="progressbar"' not in page


def test_a_standard_page_shows_a_chosen_drive_and_the_community_counter(client, home):
    join_many(3, START)
    campaign = drive(goal=1000, show_banner=False)
    settings_ = MembershipSettings.for_site(home.get_site())
    settings_.counter_text = "{count} readers are members"
    settings_.save()
    page = StandardPageFactory(
        parent=home,
        title="Join us",
        slug="join-us",
        body=[
            {"type": "membership_drive", "value": {"campaign": campaign.pk}},
            {"type": "community_counter", "value": None},
        ],
    )
    with time_machine.travel(NOW, tick=False):
        content = html(client.get(page.url))
    assert "Goal: 1,000 new members" in content
    assert "3 of 1,000" in content
    assert '<p class="community-counter">3 readers are members</p>' in content


def test_a_drive_block_shows_its_drive_after_the_end_with_the_closing_headline(client, home):
    join_many(2, START)
    campaign = drive(ends_at=NOW - timedelta(days=1))
    page = StandardPageFactory(
        parent=home,
        slug="spring",
        body=[{"type": "membership_drive", "value": {"campaign": campaign.pk}}],
    )
    with time_machine.travel(NOW, tick=False):
        content = html(client.get(page.url))
    assert "Thank you: 2 people joined." in content
    assert "drive-banner" not in content


def test_a_story_shows_its_chosen_drive_from_the_second_it_starts(client, home):
    """The story's HTML is kept; a chosen drive that has not started ends it at its start."""
    from masthead.publishing.factories import ArticlePageFactory

    campaign = drive(starts_at=NOW + timedelta(hours=1), headline="Goal: {goal} new members")
    story = ArticlePageFactory(
        parent=home, body=[{"type": "membership_drive", "value": {"campaign": campaign.pk}}]
    )
    with time_machine.travel(NOW, tick=False) as traveller:
        assert 'class="drive ' not in html(client.get(story.url))
        traveller.shift(timedelta(hours=1, seconds=1))
        assert 'class="drive drive--running"' in html(client.get(story.url))


def test_an_empty_drive_block_shows_nothing_when_no_drive_runs(client, home):
    page = StandardPageFactory(
        parent=home, slug="support", body=[{"type": "membership_drive", "value": {}}]
    )
    with time_machine.travel(NOW, tick=False):
        content = html(client.get(page.url))
    assert "progressbar" not in content


def test_the_community_counter_waits_for_the_first_members(client, home, clock_driven_cache):
    with time_machine.travel(NOW, tick=False) as traveller:
        assert "community-counter" not in html(client.get("/"))
        join_many(2, START)
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert "2 people chose to be part of our community" in html(client.get("/"))


def test_the_banner_follows_edits_new_members_and_the_drives_end(
    client, home, clock_driven_cache, django_capture_on_commit_callbacks
):
    """The banner's HTML is kept for every page; an edit, a new count or the end of the
    drive shows on the next page all the same."""
    story = StandardPageFactory(parent=home, slug="about")
    with django_capture_on_commit_callbacks(execute=True):
        campaign = drive(goal=1000, headline="Goal: {goal} new members")
    with time_machine.travel(NOW, tick=False) as traveller:
        assert "Goal: 1,000 new members" in html(client.get(story.url))
        with django_capture_on_commit_callbacks(execute=True):
            campaign.headline = "Help us reach {goal}"
            campaign.save()
        page = html(client.get(story.url))
        assert "Help us reach 1,000" in page and "Goal: 1,000" not in page
        assert "0 of 1,000" in page
        join_many(3, START)
        assert "0 of 1,000" in html(client.get(story.url))  # counted once a minute
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert "3 of 1,000" in html(client.get(story.url))
        traveller.move_to(END + timedelta(seconds=1))
        assert "drive-banner" not in html(client.get(story.url))
