"""The demo's readers as planned, before anything is written: mix, timeline, determinism.

Planning touches no database, so the full 25,000-member mix is checked here in about
a second; ``test_builder`` checks what a smaller build writes.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from masthead.demo import members
from masthead.membership.access import Visibility
from masthead.membership.actions import status_from_memberships
from masthead.membership.models import Membership, MemberStatus, SignupSource, Tier

NOW = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)


def _tiers() -> dict[str, Tier]:
    return {
        "free": Tier(name="Free", slug="free", kind=Tier.Kind.FREE),
        "supporter": Tier(name="Supporter", slug="supporter"),
        "patron": Tier(name="Patron", slug="patron"),
    }


def _articles() -> list[members.ArticleRef]:
    start = NOW - timedelta(days=90)
    return [
        members.ArticleRef(published_at=start + timedelta(hours=6 * i), page_id=i, gated=i % 9 == 0)
        for i in range(1, 340)
    ]


@pytest.fixture(scope="module")
def plan() -> members.MemberPlan:
    return members.plan_members(
        count=members.REFERENCE, seed=1, now=NOW, tiers=_tiers(), articles=_articles()
    )


def _summary(plan: members.MemberPlan) -> list[tuple[object, ...]]:
    return [
        (m.email, m.name, m.created_at, m.status, m.source, m.page_id, m.last_seen_at, m.labels)
        for m in plan.members
    ]


def test_the_default_size_has_the_newsroom_mix(plan):
    statuses = Counter(m.status for m in plan.members)
    assert len(plan.members) == 25_000
    assert statuses == {
        MemberStatus.FREE: 25_000 - 3_000 - 150 - 80,
        MemberStatus.PAID: 3_000,
        MemberStatus.COMPED: 150,
        MemberStatus.GIFT: 80,
    }
    paying_tiers = Counter(
        ms.tier.slug
        for m in plan.members
        for ms in m.memberships
        if ms.source == Membership.Source.PAYMENT and ms.is_active_on(NOW)
    )
    assert 0.8 < paying_tiers["supporter"] / 3_000 < 0.9
    assert paying_tiers["supporter"] + paying_tiers["patron"] == 3_000
    sources = Counter(m.source for m in plan.members)
    assert {SignupSource.DIRECT, SignupSource.PAYWALL, SignupSource.CAMPAIGN} <= set(sources)
    assert sources[SignupSource.IMPORT] == 1_500
    labelled = [m for m in plan.members if m.labels]
    assert 2_000 < len(labelled) < 5_000
    assert {members.LABEL_PRESS, members.LABEL_DONOR, members.LABEL_IMPORT} <= {
        label for m in labelled for label in m.labels
    }
    assert sum(1 for m in plan.members if m.last_seen_at) > 15_000
    assert sum(1 for m in plan.members if m.page_id) > 1_000


def test_every_planned_status_is_what_the_active_memberships_give(plan):
    for member in plan.members:
        active = [m for m in member.memberships if m.is_active_on(NOW)]
        assert member.status == status_from_memberships(active)
    # Some memberships have ended, so the check above is not trivially about all of them.
    ended = [ms for m in plan.members for ms in m.memberships if not ms.is_active_on(NOW)]
    assert len(ended) > 300


def test_comped_members_are_press_or_partners_added_by_staff(plan):
    comped = [m for m in plan.members if m.status == MemberStatus.COMPED]
    assert all(m.source == SignupSource.ADMIN for m in comped)
    assert all({members.LABEL_PRESS, members.LABEL_PARTNER} & set(m.labels) for m in comped)


def test_sign_ups_grow_over_three_years_and_the_drive_counts_734(plan):
    cal = plan.calendar
    times = [m.created_at for m in plan.members]
    assert times == sorted(times)
    assert NOW - times[0] > timedelta(days=3 * 365 - 2)
    assert times[-1] < NOW
    first_year = sum(1 for t in times if t < cal.launch + timedelta(days=365) and t > cal.launch)
    last_year = sum(1 for t in times if t > NOW - timedelta(days=365))
    assert last_year > 2 * first_year
    in_drive = [m for m in plan.members if m.created_at >= cal.drive_starts]
    assert len(in_drive) == 734
    assert sum(1 for m in in_drive if m.drive == "running") > 734 / 2
    assert all(m.drive != "running" or m.source == SignupSource.CAMPAIGN for m in plan.members)


def test_memberships_start_after_sign_up_and_never_in_the_future(plan):
    for member in plan.members:
        for ms in member.memberships:
            assert member.created_at <= ms.starts_at <= NOW
            assert ms.ends_at is None or ms.ends_at > ms.starts_at


def test_emails_are_unique_and_on_reserved_domains_only(plan):
    emails = [m.email for m in plan.members]
    assert len(set(emails)) == len(emails)
    assert all(email.rsplit("@", 1)[1] in members.EMAIL_DOMAINS for email in emails)
    assert all(email == email.lower() and email.isascii() for email in emails)


def test_sign_up_pages_were_published_before_the_sign_up(plan):
    published = {a.page_id: a for a in _articles()}
    with_page = [m for m in plan.members if m.page_id]
    assert with_page
    for member in with_page:
        assert published[member.page_id].published_at <= member.created_at
    paywall = [m for m in with_page if m.source == SignupSource.PAYWALL]
    assert all(published[m.page_id].gated for m in paywall)


def test_the_same_seed_plans_the_same_members():
    def small(seed: int) -> members.MemberPlan:
        return members.plan_members(
            count=400, seed=seed, now=NOW, tiers=_tiers(), articles=_articles()
        )

    assert _summary(small(5)) == _summary(small(5))
    assert _summary(small(5)) != _summary(small(6))


def test_a_small_plan_keeps_every_kind_of_member():
    plan = members.plan_members(count=300, seed=2, now=NOW, tiers=_tiers())
    statuses = Counter(m.status for m in plan.members)
    assert len(plan.members) == 300
    assert statuses[MemberStatus.PAID] > 0
    assert statuses[MemberStatus.COMPED] > 0
    assert statuses[MemberStatus.GIFT] > 0
    assert statuses[MemberStatus.FREE] > 200
    assert any(m.created_at >= plan.calendar.drive_starts for m in plan.members)


def test_gating_picks_shares_of_stories_and_two_top_stories():
    rng = random.Random(1)
    formats = [rng.choice(["brief", "brief", "article", "analysis", "video"]) for _ in range(400)]
    gated = members.choose_gated(formats, rng=random.Random(2))
    stories = sum(1 for f in formats if f != "brief")
    kinds = Counter(gated.values())
    assert kinds[Visibility.MEMBERS] == round(stories * members.MEMBERS_ONLY_SHARE)
    assert kinds[Visibility.PAID] + kinds[Visibility.TIERS] == round(stories * members.PAID_SHARE)
    assert kinds[Visibility.TIERS] == members.PATRON_ONLY
    assert all(formats[i] not in {"brief", "video"} for i in gated)
    leads = [i for i, f in enumerate(formats) if f in {"article", "analysis"}][-5:]
    top = {gated.get(i) for i in leads}
    assert {Visibility.MEMBERS, Visibility.PAID} <= top
    assert leads[-1] not in gated  # the lead story stays open
    assert gated == members.choose_gated(formats, rng=random.Random(2))


@pytest.mark.parametrize("seed", range(6))
def test_the_paywall_follows_the_second_or_third_paragraph(seed):
    blocks = [{"type": "editors_note", "value": {"text": "<p>Note</p>"}}] + [
        {"type": "paragraph", "value": f"<p>{n}</p>"} for n in range(1, 8)
    ]
    gated = members.add_paywall(blocks, rng=random.Random(seed))
    cut = [b["type"] for b in gated].index("paywall")
    assert gated[cut] == {"type": "paywall", "value": None}
    assert sum(1 for b in gated[:cut] if b["type"] == "paragraph") in {2, 3}
    assert [b for b in gated if b["type"] != "paywall"] == blocks
