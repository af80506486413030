"""Every write in the newsletters domain: subscriptions, suppressions and sends.

Views, the admin, importers, webhooks and tasks call these; see ``delivery.py`` for how
a send reaches its recipients.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from masthead.membership.models import Member, MemberEvent, MemberStatus, Tier, normalise_email
from masthead.staff.models import User

from .models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    Segment,
    Suppression,
)

logger = logging.getLogger(__name__)


class SendRefused(Exception):
    """A send that cannot start, with a sentence that says why and what to do."""


# --- Subscriptions -----------------------------------------------------------------------------


def default_newsletters(member: Member) -> QuerySet[Newsletter]:
    return Newsletter.objects.open_to(member).filter(subscribe_on_signup=True)


@transaction.atomic
def subscribe(
    *,
    member: Member,
    newsletters: Iterable[Newsletter],
    source: str = NewsletterSubscription.Source.ACCOUNT,
    at: datetime | None = None,
) -> list[NewsletterSubscription]:
    """Put the member on these lists (those open to them); already subscribed stays as is."""
    now = at or timezone.now()
    changed = []
    for newsletter in newsletters:
        if not newsletter.is_open_to(member):
            continue
        subscription, created = NewsletterSubscription.objects.get_or_create(
            member=member,
            newsletter=newsletter,
            defaults={"source": source, "subscribed_at": now},
        )
        if not created and subscription.status != NewsletterSubscription.Status.SUBSCRIBED:
            subscription.status = NewsletterSubscription.Status.SUBSCRIBED
            subscription.source = source
            subscription.subscribed_at = now
            subscription.unsubscribed_at = None
            subscription.unsubscribed_from = None
            subscription.save()
        elif not created:
            continue
        changed.append(subscription)
        _record(
            member,
            MemberEvent.Kind.NEWSLETTER_SUBSCRIBED,
            newsletter=newsletter.slug,
            source=source,
        )
    return changed


@transaction.atomic
def unsubscribe(
    *,
    member: Member,
    newsletters: Iterable[Newsletter],
    send: NewsletterSend | None = None,
    at: datetime | None = None,
) -> int:
    """Take the member off these lists. Repeating it changes nothing (one-click is idempotent)."""
    now = at or timezone.now()
    count = 0
    for subscription in NewsletterSubscription.objects.select_for_update().filter(
        member=member,
        newsletter__in=list(newsletters),
        status=NewsletterSubscription.Status.SUBSCRIBED,
    ):
        subscription.status = NewsletterSubscription.Status.UNSUBSCRIBED
        subscription.unsubscribed_at = now
        subscription.unsubscribed_from = send
        subscription.save(update_fields=["status", "unsubscribed_at", "unsubscribed_from"])
        _record(
            member,
            MemberEvent.Kind.NEWSLETTER_UNSUBSCRIBED,
            newsletter=subscription.newsletter.slug,
        )
        count += 1
    return count


def unsubscribe_from_everything(
    *, member: Member, send: NewsletterSend | None = None, at: datetime | None = None
) -> int:
    return unsubscribe(member=member, newsletters=Newsletter.objects.all(), send=send, at=at)


@transaction.atomic
def set_subscriptions(
    *,
    member: Member,
    newsletters: Iterable[Newsletter],
    source: str = NewsletterSubscription.Source.ACCOUNT,
) -> None:
    """Make the member's lists exactly ``newsletters`` (the account page's checkboxes)."""
    wanted = {n.pk: n for n in newsletters if n.is_open_to(member)}
    subscribed = set(
        member.newsletter_subscriptions.subscribed().values_list("newsletter_id", flat=True)
    )
    subscribe(
        member=member,
        newsletters=[n for pk, n in wanted.items() if pk not in subscribed],
        source=source,
    )
    unsubscribe(
        member=member, newsletters=Newsletter.objects.filter(pk__in=subscribed - set(wanted))
    )


def subscribe_new_member(
    *,
    member: Member,
    chosen: Iterable[int] | None = None,
    source: str = NewsletterSubscription.Source.SIGNUP,
) -> list[NewsletterSubscription]:
    """Lists for a member who just joined: the ones they ticked, or the defaults."""
    if chosen is None:
        newsletters = list(default_newsletters(member))
    else:
        newsletters = list(Newsletter.objects.open_to(member).filter(pk__in=list(chosen)))
    return subscribe(member=member, newsletters=newsletters, source=source)


def _record(member: Member, kind: MemberEvent.Kind, **detail: str) -> None:
    # Member events are the member's timeline in the admin; newsletter changes belong there.
    MemberEvent.objects.create(member=member, kind=kind, detail=detail)


# --- Suppressions ------------------------------------------------------------------------------


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=normalise_email(email)).exists()


def suppress(
    *, email: str, reason: str, detail: str = "", send: NewsletterSend | None = None
) -> Suppression:
    """Never mail this address again; the first reason recorded is the one kept."""
    email = normalise_email(email)
    try:
        with transaction.atomic():
            suppression, _created = Suppression.objects.get_or_create(
                email=email, defaults={"reason": reason, "detail": detail[:1000], "send": send}
            )
    except IntegrityError:  # the same bounce reported twice at once
        suppression = Suppression.objects.get(email=email)
    return suppression


def lift_suppression(*, email: str) -> int:
    deleted, _ = Suppression.objects.filter(email=normalise_email(email)).delete()
    return deleted


# --- Sends -------------------------------------------------------------------------------------


def segment_members(
    newsletter: Newsletter, segment: str, tiers: Iterable[Tier] = ()
) -> QuerySet[Member]:
    """Everyone a send to this newsletter and segment would reach, suppressed or not."""
    members = Member.objects.filter(
        newsletter_subscriptions__newsletter=newsletter,
        newsletter_subscriptions__status=NewsletterSubscription.Status.SUBSCRIBED,
    )
    if newsletter.visibility == Newsletter.Visibility.PAID:
        members = members.exclude(status=MemberStatus.FREE)
    if segment == Segment.FREE:
        members = members.filter(status=MemberStatus.FREE)
    elif segment == Segment.PAID:
        members = members.exclude(status=MemberStatus.FREE)
    elif segment == Segment.TIERS:
        now = timezone.now()
        members = members.filter(
            memberships__tier__in=list(tiers), memberships__starts_at__lte=now
        ).exclude(memberships__ends_at__lte=now)
    return members.distinct()


def _page_is_live(page: object) -> bool:
    return bool(getattr(page, "live", False))


@transaction.atomic
def create_send(
    *,
    page: object,
    newsletter: Newsletter,
    segment: str = Segment.ALL,
    tiers: Iterable[Tier] = (),
    subject: str = "",
    actor: User | None = None,
    when_published: bool = False,
) -> NewsletterSend:
    """Send an article to a newsletter now, or as soon as it is published.

    Refused, with a reason a person can act on, when the article is not published (and
    the editor did not ask to wait for it), the newsletter is archived, the segment
    names no tiers or reaches nobody, or the article already went to this newsletter.
    """
    from wagtail.models import Page

    if not isinstance(page, Page):
        raise SendRefused(_("Only articles can be sent by email."))
    tiers = list(tiers)
    if newsletter.status != Newsletter.Status.ACTIVE:
        raise SendRefused(
            _("“%(name)s” is archived. Choose an active newsletter.") % {"name": newsletter}
        )
    if segment not in Segment.values:
        raise SendRefused(
            _("Choose who receives it: all subscribers, free, paying or chosen tiers.")
        )
    if segment == Segment.TIERS and not tiers:
        raise SendRefused(_("Choose at least one tier to send to."))
    live = _page_is_live(page)
    if not live and not when_published:
        raise SendRefused(
            _(
                "“%(title)s” is not published yet. Publish it first, or send it when it is published."
            )
            % {"title": page.title}
        )
    if live and not segment_members(newsletter, segment, tiers).exists():
        raise SendRefused(
            _("Nobody would receive this: “%(name)s” has no subscribers in that segment.")
            % {"name": newsletter}
        )
    try:
        with transaction.atomic():
            send = NewsletterSend.objects.create(
                page=page,
                newsletter=newsletter,
                segment=segment,
                subject=(subject or page.title)[:255],
                created_by=actor,
                status=NewsletterSend.Status.QUEUED if live else NewsletterSend.Status.WAITING,
                heartbeat_at=timezone.now() if live else None,
            )
    except IntegrityError:
        raise SendRefused(
            _("“%(title)s” has already been sent to “%(name)s”.")
            % {"title": page.title, "name": newsletter}
        ) from None
    send.tiers.set(tiers)
    if live:
        _enqueue_preparation(send)
    return send


def _enqueue_preparation(send: NewsletterSend) -> None:
    from .tasks import prepare_send

    transaction.on_commit(lambda: prepare_send.enqueue(send_id=send.pk))


@transaction.atomic
def start_waiting_sends(*, page: object) -> list[NewsletterSend]:
    """The article was just published: sends that waited for it start now."""
    started = []
    for send in NewsletterSend.objects.select_for_update().filter(
        page=page, status=NewsletterSend.Status.WAITING
    ):
        send.status = NewsletterSend.Status.QUEUED
        send.heartbeat_at = timezone.now()
        send.save(update_fields=["status", "heartbeat_at"])
        _enqueue_preparation(send)
        started.append(send)
    return started


@transaction.atomic
def cancel_send(*, send: NewsletterSend) -> NewsletterSend:
    """Stop a send: recipients not yet mailed are not mailed. Finished sends stay as they are."""
    send = NewsletterSend.objects.select_for_update().get(pk=send.pk)
    if send.is_finished:
        return send
    now = timezone.now()
    send.status = NewsletterSend.Status.CANCELLED
    send.cancelled_at = now
    send.finished_at = now
    send.save(update_fields=["status", "cancelled_at", "finished_at"])
    Delivery.objects.filter(send=send, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.CANCELLED
    )
    return send
