"""Membership drives and the community counter: real counts, in the HTML, briefly cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from masthead.membership import actions
from masthead.membership.counters import campaign_progress, community_count, running_campaigns
from masthead.membership.models import (
    Campaign,
    Member,
    Membership,
    MembershipSettings,
    Tier,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
END = datetime(2026, 3, 31, 21, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def join(email: str, at: datetime) -> Member:
    return actions.create_member(email=email, created_at=at)


def join_many(count: int, at: datetime) -> None:
    Member.objects.bulk_create(
        Member(email=f"reader{i}@example.org", created_at=at + timedelta(seconds=i))
        for i in range(count)
    )


def pay(member: Member, tier: Tier, at: datetime) -> Membership:
    membership = Membership.objects.create(
        member=member, tier=tier, source=Membership.Source.PAYMENT, starts_at=at
    )
    actions.refresh_status(member=member, at=at)
    return membership


def drive(**fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": "Spring drive",
        "goal": 5,
        "starts_at": START,
        "ends_at": END,
        "headline": "Goal: {goal} new members",
        "body": "{count} members on board. Help us reach {goal} — {remaining} to go.",
        "goal_reached_headline": "We reached {goal}. Thank you!",
        "stretch_headline": "Stretch goal: {goal} new members",
        "ended_headline": "Thank you: {count} people joined.",
    }
    values.update(fields)
    campaign = Campaign(**values)
    campaign.full_clean()
    campaign.save()
    return campaign


# --- Counting -------------------------------------------------------------------------


def test_new_members_are_counted_between_the_start_and_now():
    join("before@example.org", START - timedelta(seconds=1))
    join("at-start@example.org", START)
    join("during@example.org", NOW - timedelta(hours=1))
    join("later@example.org", NOW + timedelta(hours=1))  # an import dated ahead
    progress = campaign_progress(drive(), now=NOW)
    assert progress.count == 2
    assert (progress.goal, progress.remaining, progress.percent) == (5, 3, 40)


def test_new_paying_members_count_from_their_first_paid_membership(supporter):
    paid_before = join("paid-before@example.org", START - timedelta(days=30))
    pay(paid_before, supporter, START - timedelta(days=20))
    upgraded = join("upgraded@example.org", START - timedelta(days=30))
    pay(upgraded, supporter, START + timedelta(days=2))
    new_and_paying = join("new-paying@example.org", START + timedelta(days=3))
    pay(new_and_paying, supporter, START + timedelta(days=3))
    join("free-only@example.org", START + timedelta(days=4))
    # A member who paid before the drive and pays again during it is not new.
    pay(paid_before, supporter, START + timedelta(days=5))
    # Nobody paid for a complimentary membership: it is not a new paying member.
    comped = join("comped@example.org", START + timedelta(days=3))
    Membership.objects.create(
        member=comped,
        tier=supporter,
        source=Membership.Source.COMP,
        starts_at=START + timedelta(days=3),
    )
    campaign = drive(goal_kind=Campaign.Goal.NEW_PAID_MEMBERS, goal=10)
    assert campaign_progress(campaign, now=NOW).count == 2


def test_community_count_counts_all_members_or_those_with_paid_access(supporter):
    join("free@example.org", NOW)
    pay(join("paying@example.org", NOW), supporter, NOW)
    comped = join("comped@example.org", NOW)
    actions.comp_member(member=comped, tier=supporter)
    assert community_count(MembershipSettings.CounterBasis.ALL_MEMBERS) == 3
    assert community_count(MembershipSettings.CounterBasis.PAID_MEMBERS) == 2


# --- States and copy ------------------------------------------------------------------


def test_a_drive_that_has_not_started_is_scheduled_and_counts_nothing(
    django_assert_num_queries,
):
    join("early@example.org", START - timedelta(days=1))
    campaign = drive()
    with django_assert_num_queries(0):
        progress = campaign_progress(campaign, now=START - timedelta(minutes=1))
    assert progress.state == Campaign.State.SCHEDULED
    assert progress.count == 0


def test_a_running_drive_shows_its_headline_and_body_with_numbers():
    join_many(3, START)
    progress = campaign_progress(drive(), now=NOW)
    assert progress.state == Campaign.State.RUNNING
    assert progress.headline == "Goal: 5 new members"
    assert progress.body == "3 members on board. Help us reach 5 — 2 to go."


def test_reaching_the_goal_without_a_stretch_goal_thanks_readers():
    join_many(6, START)
    progress = campaign_progress(drive(), now=NOW)
    assert progress.state == Campaign.State.GOAL_REACHED
    assert progress.headline == "We reached 5. Thank you!"
    assert (progress.goal, progress.remaining, progress.percent) == (5, 0, 100)
    assert progress.bar_value == 5


def test_reaching_the_goal_with_a_stretch_goal_moves_on_to_the_stretch_goal():
    join_many(6, START)
    progress = campaign_progress(drive(stretch_goal=8), now=NOW)
    assert progress.state == Campaign.State.GOAL_REACHED
    assert progress.headline == "Stretch goal: 8 new members"
    assert (progress.goal, progress.remaining, progress.percent) == (8, 2, 75)
    assert progress.body == "6 members on board. Help us reach 8 — 2 to go."


def test_reaching_the_stretch_goal_thanks_readers_for_the_stretch_goal():
    join_many(9, START)
    progress = campaign_progress(drive(stretch_goal=8), now=NOW)
    assert progress.state == Campaign.State.STRETCH_REACHED
    assert progress.headline == "We reached 8. Thank you!"
    assert (progress.count, progress.goal, progress.remaining, progress.percent) == (9, 8, 0, 100)
    assert progress.bar_value == 8


def test_an_ended_drive_counts_up_to_its_end_and_drops_the_call_to_action():
    join_many(2, START)
    join("after@example.org", END + timedelta(minutes=1))
    progress = campaign_progress(drive(), now=END + timedelta(days=1))
    assert progress.state == Campaign.State.ENDED
    assert progress.count == 2
    assert progress.headline == "Thank you: 2 people joined."
    assert progress.body == ""


@pytest.mark.parametrize(
    ("members", "stretch_goal", "now", "state"),
    [
        (0, None, NOW, Campaign.State.RUNNING),
        (5, 8, NOW, Campaign.State.GOAL_REACHED),
        (5, None, NOW, Campaign.State.GOAL_REACHED),
        (8, 8, NOW, Campaign.State.STRETCH_REACHED),
        (0, None, END, Campaign.State.ENDED),
    ],
)
def test_an_empty_state_headline_falls_back_to_the_main_headline(members, stretch_goal, now, state):
    join_many(members, START)
    campaign = drive(
        stretch_goal=stretch_goal,
        goal_reached_headline="",
        stretch_headline="",
        ended_headline="",
    )
    progress = campaign_progress(campaign, now=now)
    assert progress.state == state
    assert progress.headline == campaign.headline.replace("{goal}", str(progress.goal))


def test_numbers_are_grouped_for_the_readers_language():
    join_many(3, START)
    campaign = drive(goal=25000, headline="{count} of {goal}, {remaining} to go")
    with translation.override("en"):
        assert campaign_progress(campaign, now=NOW).headline == "3 of 25,000, 24,997 to go"
    with translation.override("de"):
        assert campaign_progress(campaign, now=NOW).headline == "3 of 25.000, 24.997 to go"


@pytest.mark.parametrize(
    "text",
    ["Goal: {goal.real}", "Goal: {goal:d}", "Goal: {name}", "Goal: {goal", "Goal: {0}"],
)
def test_bad_stored_copy_is_shown_as_written_instead_of_breaking_the_page(text):
    campaign = drive()
    # Saved without full_clean(), as a data import or an old row could be.
    Campaign.objects.filter(pk=campaign.pk).update(headline=text)
    campaign.refresh_from_db()
    assert campaign_progress(campaign, now=NOW).headline == text


def test_escaped_braces_are_shown_as_single_braces():
    campaign = drive(headline="{{ {goal} }}")
    assert campaign_progress(campaign, now=NOW).headline == "{ 5 }"


# --- Cache ----------------------------------------------------------------------------


def test_counts_are_cached_as_numbers_for_the_configured_time(
    settings, django_assert_num_queries, clock_driven_cache
):
    settings.MASTHEAD_COUNTER_CACHE_SECONDS = 60
    join_many(2, START)
    campaign = drive(goal=1000)
    with time_machine.travel(NOW, tick=False) as traveller:
        assert campaign_progress(campaign).count == 2
        community_count(MembershipSettings.CounterBasis.ALL_MEMBERS)
        join("new@example.org", NOW)
        traveller.shift(timedelta(seconds=59))
        with django_assert_num_queries(0):
            # Only the integer is cached: the copy follows each request's language.
            with translation.override("de"):
                assert campaign_progress(campaign).goal_text == "1.000"
            with translation.override("en"):
                progress = campaign_progress(campaign)
            assert (progress.count, progress.goal_text) == (2, "1,000")
            assert community_count(MembershipSettings.CounterBasis.ALL_MEMBERS) == 2
        traveller.shift(timedelta(seconds=2))
        assert campaign_progress(campaign).count == 3
        assert community_count(MembershipSettings.CounterBasis.ALL_MEMBERS) == 3


def test_the_running_drives_are_cached_until_a_drive_is_saved(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = drive(name="First")
    assert running_campaigns(NOW) == [first]
    with django_assert_num_queries(0):
        assert running_campaigns(NOW) == [first]
        # Starting and ending are decided on each call, not when the list was cached.
        assert running_campaigns(START - timedelta(seconds=1)) == []
        assert running_campaigns(END) == []
    with django_capture_on_commit_callbacks(execute=True):
        second = drive(name="Second", starts_at=START + timedelta(days=1))
    assert [c.name for c in running_campaigns(NOW)] == ["Second", "First"]
    with django_capture_on_commit_callbacks(execute=True):
        second.delete()
        first.is_enabled = False
        first.save()
    assert running_campaigns(NOW) == []


def test_moving_a_drives_dates_recounts_at_once():
    join("day-two@example.org", START + timedelta(days=1))
    campaign = drive()
    assert campaign_progress(campaign, now=NOW).count == 1
    campaign.starts_at = START + timedelta(days=2)
    campaign.save()
    assert campaign_progress(campaign, now=NOW).count == 0


# --- Validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["headline", "body", "goal_reached_headline", "stretch_headline", "ended_headline"]
)
@pytest.mark.parametrize(
    "text", ["{name} joined", "{count.real} joined", "{count:d} joined", "{count joined", "{0}"]
)
def test_clean_rejects_anything_but_the_three_placeholders(field, text):
    with pytest.raises(ValidationError) as error:
        drive(**{field: text})
    assert field in error.value.message_dict


def test_clean_accepts_the_placeholders_and_escaped_braces():
    drive(headline="{count} of {goal}, {remaining} to go {{really}}")


@pytest.mark.parametrize("stretch_goal", [5, 4])
def test_clean_rejects_a_stretch_goal_not_above_the_goal(stretch_goal):
    with pytest.raises(ValidationError) as error:
        drive(goal=5, stretch_goal=stretch_goal)
    assert "stretch_goal" in error.value.message_dict
