"""Members as Ghost's Admin API shows them, in the key order a Ghost 6 server sends.

Ghost's member object carries email analytics and commenting settings masthead does not
keep; those keys are present with the values a Ghost site without them would send, so
clients that read them find what they expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from masthead.membership.models import Member, Membership, MemberStatus
from masthead.newsletters.models import Newsletter, NewsletterSubscription
from masthead.newsletters.tokens import unsubscribe_url

from .serializers import Context, serialize_member_newsletters, site_date, utc_date


def member_queryset() -> QuerySet[Member]:
    """Members with what their Ghost object shows prefetched: labels, memberships, lists."""
    return Member.objects.prefetch_related(
        "labels",
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("tier").order_by("starts_at", "pk"),
        ),
        Prefetch(
            "newsletter_subscriptions",
            queryset=NewsletterSubscription.objects.filter(
                status=NewsletterSubscription.Status.SUBSCRIBED
            ).select_related("newsletter"),
            to_attr="api_subscriptions",
        ),
    )


def _ghost_status(member: Member) -> str:
    """Ghost knows free, paid and comped; a gift gives paid access, as a paid member has."""
    if member.status == MemberStatus.FREE:
        return "free"
    if member.status == MemberStatus.COMPED:
        return "comped"
    return "paid"


def _label(label: Any, ctx: Context) -> dict[str, Any]:
    return {
        "id": label.ghost_id,
        "name": label.name,
        "slug": label.slug,
        "created_at": site_date(label.created_at, ctx),
        "updated_at": site_date(label.created_at, ctx),
    }


def _tiers(member: Member, ctx: Context) -> list[dict[str, Any]]:
    now = timezone.now()
    tiers = []
    for membership in member.memberships.all():
        if membership.starts_at > now or (membership.ends_at and membership.ends_at <= now):
            continue
        tier = membership.tier
        if getattr(tier, "is_free", False):
            continue
        tiers.append(
            {
                "id": tier.ghost_id,
                "name": tier.name,
                "slug": tier.slug,
                "active": True,
                "expiry_at": utc_date(membership.ends_at),
            }
        )
    return tiers


def serialize_members(members: Sequence[Member], ctx: Context) -> list[dict[str, Any]]:
    """Ghost member objects for members loaded through ``member_queryset``."""
    return [_member(member, ctx) for member in members]


def _member(member: Member, ctx: Context) -> dict[str, Any]:
    subscriptions = getattr(member, "api_subscriptions", None)
    if subscriptions is None:
        subscriptions = list(
            member.newsletter_subscriptions.filter(
                status=NewsletterSubscription.Status.SUBSCRIBED
            ).select_related("newsletter")
        )
    newsletters: list[Newsletter] = sorted(
        (subscription.newsletter for subscription in subscriptions),
        key=lambda newsletter: (newsletter.sort_order, newsletter.pk),
    )
    tiers = _tiers(member, ctx)
    return {
        "id": member.ghost_id,
        "uuid": str(member.uuid),
        "email": member.email,
        "name": member.name or None,
        "note": member.note or None,
        "geolocation": None,
        "subscribed": bool(newsletters),
        "created_at": site_date(member.created_at, ctx),
        "updated_at": site_date(member.updated_at, ctx),
        "labels": [_label(label, ctx) for label in member.labels.all()],
        "subscriptions": [],
        "avatar_image": None,
        "comped": member.status == MemberStatus.COMPED,
        "email_count": 0,
        "email_opened_count": 0,
        "email_open_rate": None,
        "status": _ghost_status(member),
        "last_seen_at": site_date(member.last_seen_at, ctx),
        "enable_comment_notifications": False,
        "enable_updates_and_announcements": False,
        "unsubscribe_url": unsubscribe_url(member.uuid),
        "can_comment": False,
        "commenting": None,
        "current_subscription": None,
        "email_suppression": {"suppressed": False, "info": None},
        "newsletters": serialize_member_newsletters(newsletters, ctx),
        "tiers": tiers,
    }
