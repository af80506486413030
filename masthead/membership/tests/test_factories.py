"""The membership factories give members the status the product would derive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.membership.factories import (
    CampaignFactory,
    LabelFactory,
    MemberFactory,
    MembershipFactory,
    TierFactory,
    free_tier,
)
from masthead.membership.models import Campaign, MemberEvent, Membership, MemberStatus, Tier

pytestmark = pytest.mark.django_db


def test_tier_factory_makes_a_paid_tier_and_the_free_tier_comes_from_the_migration():
    tier = TierFactory()
    assert tier.kind == Tier.Kind.PAID
    assert tier.monthly_price == 500 and tier.currency == "EUR"
    assert free_tier().is_free
    assert free_tier() == Tier.objects.get(slug="free")


def test_a_plain_member_is_free_with_a_unique_fake_address():
    first, second = MemberFactory(), MemberFactory()
    assert first.status == second.status == MemberStatus.FREE
    assert first.email != second.email
    assert first.email.endswith("@example.org")
    assert not first.memberships.exists()


@pytest.mark.parametrize(
    ("trait", "source", "status"),
    [
        ("paid_tier", Membership.Source.PAYMENT, MemberStatus.PAID),
        ("comped_tier", Membership.Source.COMP, MemberStatus.COMPED),
        ("gift_tier", Membership.Source.GIFT, MemberStatus.GIFT),
    ],
)
def test_a_tier_argument_grants_an_active_membership_and_sets_the_status(trait, source, status):
    tier = TierFactory()
    member = MemberFactory(**{trait: tier})
    member.refresh_from_db()
    assert member.status == status
    membership = member.memberships.active().get()
    assert (membership.tier, membership.source) == (tier, source)
    assert member.events.filter(kind=MemberEvent.Kind.STATUS_CHANGED).exists()


def test_payment_wins_over_a_comp():
    tier = TierFactory()
    member = MemberFactory(comped_tier=tier, paid_tier=tier)
    member.refresh_from_db()
    assert member.status == MemberStatus.PAID


def test_membership_factory_refreshes_the_members_status():
    membership = MembershipFactory(source=Membership.Source.GIFT)
    membership.member.refresh_from_db()
    assert membership.member.status == MemberStatus.GIFT

    ended = MembershipFactory(ends_at=timezone.now() - timedelta(days=1))
    ended.member.refresh_from_db()
    assert ended.member.status == MemberStatus.FREE


def test_labels_are_set_on_the_member():
    press = LabelFactory(name="Press")
    member = MemberFactory(labels=[press])
    assert list(member.labels.all()) == [press]
    assert press.slug == "press"


def test_campaign_factory_is_running_by_default():
    now = timezone.now()
    assert Campaign.objects.running(now).filter(pk=CampaignFactory().pk).exists()
    assert not Campaign.objects.running(now).filter(pk=CampaignFactory(ended=True).pk).exists()
    scheduled = CampaignFactory(scheduled=True)
    assert scheduled.starts_at > now
    assert CampaignFactory().goal == 1000
