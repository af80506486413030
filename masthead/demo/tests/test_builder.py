"""What the demo builder writes for members: one smaller build, checked many ways.

The newsroom is built once for the module (120 articles, 6 photos, 300 members: the
same mix as ``make demo``, scaled down) inside a transaction rolled back at the end.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from masthead.demo import build_demo_newsroom, members
from masthead.membership.access import Visibility
from masthead.membership.actions import status_from_memberships
from masthead.membership.counters import campaign_progress
from masthead.membership.models import (
    Campaign,
    Member,
    MemberEvent,
    Membership,
    MembershipSettings,
    MemberStatus,
    SignupSource,
    Tier,
)
from masthead.publishing.models import ArticlePage, HomeTopStory

pytestmark = pytest.mark.django_db

MEMBERS = 300


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        summary = build_demo_newsroom(
            size="small", seed=1, member_count=MEMBERS, article_count=120, photo_count=6
        )
        yield summary
        transaction.set_rollback(True)
    cache.clear()  # counts cached from this build must not reach other tests


def test_paid_tiers_exist_with_prices_in_cents(demo):
    supporter = Tier.objects.get(slug="supporter")
    patron = Tier.objects.get(slug="patron")
    assert (supporter.monthly_price, supporter.yearly_price, supporter.currency) == (
        500,
        5000,
        "EUR",
    )
    assert (patron.monthly_price, patron.yearly_price, patron.trial_days) == (1500, 15000, 7)
    assert len(supporter.benefit_list) >= 3
    assert Tier.objects.filter(kind=Tier.Kind.FREE).count() == 1
    assert list(Tier.objects.offered().values_list("slug", flat=True)) == [
        "free",
        "supporter",
        "patron",
    ]


def test_the_member_mix_is_mostly_free_with_some_of_every_kind(demo):
    statuses = Counter(Member.objects.values_list("status", flat=True))
    assert demo.members == Member.objects.count() == MEMBERS
    assert statuses[MemberStatus.FREE] > MEMBERS * 0.7
    assert statuses[MemberStatus.PAID] > statuses[MemberStatus.COMPED] > 0
    assert statuses[MemberStatus.GIFT] > 0
    assert Member.objects.exclude(last_seen_at=None).count() > MEMBERS / 2
    assert Member.objects.filter(labels__isnull=False).distinct().count() > 10


def test_every_stored_status_is_what_the_active_memberships_give(demo):
    active = defaultdict(list)
    for membership in Membership.objects.active().select_related("tier"):
        active[membership.member_id].append(membership)
    for member_id, status in Member.objects.values_list("pk", "status"):
        assert status == status_from_memberships(active[member_id]), member_id
    sources = {
        status: set(
            Membership.objects.active()
            .filter(member__status=status)
            .values_list("source", flat=True)
        )
        for status in (MemberStatus.PAID, MemberStatus.COMPED, MemberStatus.GIFT)
    }
    assert Membership.Source.PAYMENT in sources[MemberStatus.PAID]
    assert sources[MemberStatus.COMPED] == {Membership.Source.COMP}
    assert sources[MemberStatus.GIFT] == {Membership.Source.GIFT}


def test_each_member_signed_up_once_and_comps_are_on_their_timeline(demo):
    signed_up = Counter(
        MemberEvent.objects.filter(kind=MemberEvent.Kind.SIGNED_UP).values_list(
            "member_id", flat=True
        )
    )
    assert len(signed_up) == MEMBERS and set(signed_up.values()) == {1}
    comped = Member.objects.filter(status=MemberStatus.COMPED)
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.COMPED).count() == comped.count()
    assert not comped.exclude(events__kind=MemberEvent.Kind.COMPED).exists()
    assert MemberEvent.objects.filter(
        kind=MemberEvent.Kind.STATUS_CHANGED, detail__new=MemberStatus.PAID
    ).exists()


def test_emails_are_unique_fake_addresses(demo):
    emails = list(Member.objects.values_list("email", flat=True))
    assert len(set(emails)) == len(emails)
    assert all(email.rsplit("@", 1)[1] in members.EMAIL_DOMAINS for email in emails)


def test_members_signed_up_from_real_articles(demo):
    with_page = Member.objects.exclude(signup_page=None)
    assert with_page.exists()
    published = dict(ArticlePage.objects.values_list("pk", "first_published_at"))
    for page_id, created_at in with_page.values_list("signup_page_id", "created_at"):
        assert published[page_id] <= created_at


def test_a_drive_is_running_with_members_inside_its_window(demo):
    drive = Campaign.objects.for_banner().get()
    assert drive.name == "Winter membership drive"
    assert (drive.goal, drive.stretch_goal, drive.goal_kind) == (1000, 1500, "new_members")
    assert drive.starts_at < timezone.now() < drive.ends_at
    joined = Member.objects.joined_between(drive.starts_at, drive.ends_at)
    assert joined.count() == demo.extra["members"].in_running_drive > 0
    assert joined.filter(signup_source=SignupSource.CAMPAIGN, signup_campaign=drive).exists()
    progress = campaign_progress(drive)
    assert progress.count == joined.count()
    assert progress.headline == "Goal: 1,000 new members"
    assert f"{progress.remaining:,} to go" in progress.body
    assert Campaign.objects.filter(ends_at__lt=drive.starts_at).exists()  # an earlier drive


def test_the_site_counts_all_members_and_does_not_meter(demo):
    settings = MembershipSettings.for_site(Site.objects.get(is_default_site=True))
    assert settings.counter_basis == MembershipSettings.CounterBasis.ALL_MEMBERS
    assert settings.counter_text == members.COUNTER_TEXT
    assert settings.metering_enabled is False


def test_gated_articles_have_a_paywall_after_the_second_or_third_paragraph(demo):
    gated = ArticlePage.objects.exclude(visibility=Visibility.PUBLIC)
    kinds = Counter(gated.values_list("visibility", flat=True))
    assert kinds[Visibility.MEMBERS] > 0
    assert kinds[Visibility.PAID] > 0
    assert demo.gated == gated.count()
    for article in gated:
        types = [block["type"] for block in article.body.raw_data]
        assert types.count("paywall") == 1, article.slug
        assert types[: types.index("paywall")].count("paragraph") in {2, 3}
        assert article.public_text  # a preview to read and index
    for article in gated.filter(visibility=Visibility.TIERS):
        assert [tier.slug for tier in article.tiers.all()] == ["patron"]
    for article in ArticlePage.objects.filter(visibility=Visibility.PUBLIC):
        assert all(block["type"] != "paywall" for block in article.body.raw_data)


def test_the_home_page_leads_with_a_members_and_a_paid_story(demo, client):
    top = [story.article for story in HomeTopStory.objects.order_by("sort_order")]
    assert {Visibility.MEMBERS, Visibility.PAID} <= {article.visibility for article in top}

    paid = next(article for article in top if article.visibility == Visibility.PAID)
    raw = paid.body.raw_data
    hidden = next(
        block["value"]
        for block in raw[[block["type"] for block in raw].index("paywall") :]
        if block["type"] == "paragraph"
    )
    response = client.get(paid.url)
    assert response.status_code == 200
    assert hidden not in response.content.decode()
