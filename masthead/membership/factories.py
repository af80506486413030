"""Factories for members, tiers and drives, shared by the tests and the demo.

A member's status is never set by hand: the factories create memberships and let
``actions.refresh_status`` derive it, as the product does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from django.utils.text import slugify

from .actions import refresh_status
from .models import Campaign, Label, Member, Membership, SignupSource, Tier


def free_tier() -> Tier:
    """The site's one free tier, which a data migration creates (a factory cannot)."""
    return Tier.objects.get(kind=Tier.Kind.FREE)


class TierFactory(factory.django.DjangoModelFactory[Tier]):
    """A paid tier at €5 a month or €50 a year."""

    name = factory.Sequence(lambda n: f"Tier {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = Tier.Kind.PAID
    description = "Support independent journalism."
    benefits = "Every story, no paywall\nThe weekly members' letter"
    currency = "EUR"
    monthly_price = 500
    yearly_price = 5000

    class Meta:
        model = Tier


class LabelFactory(factory.django.DjangoModelFactory[Label]):
    name = factory.Sequence(lambda n: f"Label {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))

    class Meta:
        model = Label
        django_get_or_create = ("name",)


def _email(name: str, n: int) -> str:
    local = slugify(name).replace("-", ".") or "member"
    return f"{local}.{n}@example.org"


def _set_labels(member: Member, create: bool, labels: list[Label] | None, **kwargs: Any) -> None:
    if create and labels:
        member.labels.set(labels)


def _granting(source: str) -> Callable[..., None]:
    """A post-generation hook: an active membership of the given tier, and the new status."""

    def grant(member: Member, create: bool, tier: Tier | None, **kwargs: Any) -> None:
        if not (create and tier):
            return
        now = timezone.now()
        gift = source == Membership.Source.GIFT
        Membership.objects.create(
            member=member,
            tier=tier,
            source=source,
            starts_at=now,
            ends_at=now + timedelta(days=365) if gift else None,
        )
        refresh_status(member=member)

    return grant


def _refresh(membership: Membership, create: bool, extracted: Any, **kwargs: Any) -> None:
    if create:
        refresh_status(member=membership.member)


class MemberFactory(factory.django.DjangoModelFactory[Member]):
    """A free member; ``paid_tier=``, ``comped_tier=`` or ``gift_tier=`` give access.

    Each of those creates an active membership with the matching source and refreshes
    the stored status, so ``MemberFactory(paid_tier=tier).status == "paid"``.
    ``labels=[...]`` sets labels.
    """

    name = factory.Faker("name")
    email = factory.LazyAttributeSequence(lambda o, n: _email(o.name, n))
    signup_source = SignupSource.DIRECT
    created_at = factory.LazyFunction(timezone.now)
    email_verified_at = factory.LazyAttribute(lambda o: o.created_at)

    labels = factory.PostGeneration(_set_labels)
    paid_tier = factory.PostGeneration(_granting(Membership.Source.PAYMENT))
    comped_tier = factory.PostGeneration(_granting(Membership.Source.COMP))
    gift_tier = factory.PostGeneration(_granting(Membership.Source.GIFT))

    class Meta:
        model = Member
        skip_postgeneration_save = True


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    """A paid-for membership that started a minute ago; the member's status follows."""

    member = factory.SubFactory(MemberFactory)
    tier = factory.SubFactory(TierFactory)
    source = Membership.Source.PAYMENT
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    ends_at = None
    refresh = factory.PostGeneration(_refresh)

    class Meta:
        model = Membership
        skip_postgeneration_save = True


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    """A running drive for 1,000 new members: started 10 days ago, ends in 20."""

    name = factory.Sequence(lambda n: f"Membership drive {n}")
    goal_kind = Campaign.Goal.NEW_MEMBERS
    goal = 1000
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))

    class Meta:
        model = Campaign

    class Params:
        ended = factory.Trait(
            starts_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=40)),
            ends_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=10)),
        )
        scheduled = factory.Trait(
            starts_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=5)),
            ends_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=35)),
        )
