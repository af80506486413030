"""Reactions to membership: new members get their newsletters, and confirmed sign-ups theirs.

Membership sends these after its transaction commits (see ``membership/signals.py``),
so a failure here never undoes a sign-up; it is logged by Django's ``send_robust``.
"""

from __future__ import annotations

from typing import Any

from masthead.membership.models import Member, SignupSource
from masthead.membership.signals import member_created, member_signed_in

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


def connect() -> None:
    member_created.connect(
        subscribe_created_member, sender=Member, dispatch_uid="masthead.newsletters.new_member"
    )
    member_signed_in.connect(
        subscribe_confirmed_member,
        sender=Member,
        dispatch_uid="masthead.newsletters.confirmed_member",
    )
