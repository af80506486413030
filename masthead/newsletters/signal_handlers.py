"""Reactions to membership: new members get their newsletters, and confirmed sign-ups theirs.

Membership sends these after its transaction commits (see ``membership/signals.py``),
so a failure here never undoes a sign-up; it is logged by Django's ``send_robust``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from masthead.membership.models import Member, MemberStatus, SignupSource
from masthead.membership.signals import (
    email_recipients_among,
    member_created,
    member_signed_in,
    members_imported,
)

from . import actions
from .models import Newsletter, NewsletterSubscription


def _ids(value: Any) -> list[int] | None:
    # The ids come back from a sign-in request's JSON; anything but a list of ids is
    # treated as "no choice made".
    if not isinstance(value, list):
        return None
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]


def _source(member: Member) -> str:
    if member.signup_source == SignupSource.NEWSLETTER:
        return NewsletterSubscription.Source.PUBLIC_FORM
    return NewsletterSubscription.Source.SIGNUP


def subscribe_created_member(
    sender: Any, member: Member, newsletters: Any = None, **kwargs: Any
) -> None:
    """The lists ticked on the sign-up form, or the default lists when none were offered."""
    # Read again: the transaction that created the member may have made them paid too
    # (a checkout), which opens paid-only newsletters to them.
    fresh = Member.objects.filter(pk=member.pk).first()
    if fresh is None:
        return
    actions.subscribe_new_member(member=fresh, chosen=_ids(newsletters), source=_source(fresh))


def subscribe_confirmed_member(
    sender: Any, member: Member, newsletters: Any = None, source: str = "", **kwargs: Any
) -> None:
    """An existing member confirmed the newsletter page's emailed link: add what they ticked.

    Other forms (join, the paywall) only sign an existing member in: their ticks were
    the defaults offered to a newcomer, and must not undo an earlier unsubscribe.
    """
    chosen = _ids(newsletters)
    if source != SignupSource.NEWSLETTER or not chosen:
        return
    actions.subscribe(
        member=member,
        newsletters=Newsletter.objects.open_to(member).filter(pk__in=chosen),
        source=NewsletterSubscription.Source.PUBLIC_FORM,
    )


def apply_imported_email_choices(
    sender: Any, subscribed: list[int], unsubscribed: list[int], **kwargs: Any
) -> None:
    """Ghost's ``subscribed_to_emails``: true puts members on the default newsletters.

    Rows are created in bulk (imports bring tens of thousands of members); a member who
    unsubscribed earlier keeps that choice. False takes the member off every list.
    """
    defaults = list(Newsletter.objects.active().filter(subscribe_on_signup=True))
    if subscribed and defaults:
        statuses = Member.objects.filter(pk__in=subscribed).values_list("pk", "status")
        NewsletterSubscription.objects.bulk_create(
            [
                NewsletterSubscription(
                    member_id=pk,
                    newsletter=newsletter,
                    source=NewsletterSubscription.Source.IMPORT,
                )
                for pk, status in statuses
                for newsletter in defaults
                if newsletter.visibility == Newsletter.Visibility.MEMBERS
                or status != MemberStatus.FREE
            ],
            ignore_conflicts=True,
        )
    if unsubscribed:
        NewsletterSubscription.objects.subscribed().filter(member_id__in=unsubscribed).update(
            status=NewsletterSubscription.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now()
        )


def members_receiving_email(sender: Any, member_ids: list[int], **kwargs: Any) -> set[int]:
    """For the members export: who is on at least one newsletter."""
    return set(
        NewsletterSubscription.objects.subscribed()
        .filter(member_id__in=member_ids)
        .values_list("member_id", flat=True)
    )


def connect() -> None:
    members_imported.connect(
        apply_imported_email_choices, sender=Member, dispatch_uid="masthead.newsletters.import"
    )
    email_recipients_among.connect(
        members_receiving_email, sender=Member, dispatch_uid="masthead.newsletters.export"
    )
    member_created.connect(
        subscribe_created_member, sender=Member, dispatch_uid="masthead.newsletters.new_member"
    )
    member_signed_in.connect(
        subscribe_confirmed_member,
        sender=Member,
        dispatch_uid="masthead.newsletters.confirmed_member",
    )
