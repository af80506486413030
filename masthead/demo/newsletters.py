"""The demo newsroom's newsletters: four lists, who reads them, and the last weeks' sends.

*Arvenia Daily* goes out six mornings a week and new members get it unless they untick
it; *The Weekly Round-up* (an email-only article every Saturday) and *Investigations*
(the list the migrations made, under Ghost's ``default-newsletter`` slug) are chosen
on the account page; *Insider*, the editor's Friday letter, is for paying members.

Subscriptions, suppressed addresses and the sends' deliveries are planned in Python and
written in bulk (``_insert``), as the members are: the actions write one row at a time,
which for some 100,000 rows would take minutes. The plan follows time: a send reaches
the members subscribed when it went out, skips the addresses suppressed by then, and
its own bounces and unsubscribes shape the sends after it. The sends look as if they
went through an email service (``MASTHEAD_ESP``), which reports deliveries, so their
statistics show "Delivered"; opens and clicks stay empty because tracking is off by
default. Their rendered emails are not stored: nothing reads them once a send is over.

The next *Weekly Round-up* is a draft set to go "when published". It waits for an
editor rather than for the scheduled article, which the worker publishes five minutes
after seeding: the demo prints email to the console, and a send that started by itself
would print thousands of messages there.
"""

from __future__ import annotations

import functools
import itertools
import random
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils.html import escape
from django.utils.text import slugify
from wagtail.models import PageLogEntry

from masthead.membership.access import Visibility
from masthead.membership.models import (
    Member,
    MemberEvent,
    Membership,
    MemberStatus,
    SignupSource,
    Tier,
)
from masthead.newsletters import actions
from masthead.newsletters.models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    Suppression,
)
from masthead.publishing.factories import paragraph_blocks
from masthead.publishing.models import ArticleAuthor, ArticleFormat, ArticlePage, Author, HomePage
from masthead.staff.models import User

from . import copy

DEFAULT_SLUG = "default-newsletter"  # made by the migrations; Ghost's slug
DOMAIN = copy.PUBLICATION["email_domain"]
SERVICE_DOMAIN = f"mg.{DOMAIN}"  # the email service's sending domain, as Mailgun names it
ADDRESS = "The Arvenian Independent · Old Town, Dravik, Republic of Arvenia"
WRITE_BATCH = 2_000

NEWSLETTERS: list[dict[str, Any]] = [
    {
        "slug": "arvenia-daily",
        "name": "Arvenia Daily",
        "description": (
            "The day's most important stories from Arvenia and the front line, in five "
            "minutes. Every morning, Monday to Saturday."
        ),
        "sender_name": "Arvenia Daily",
        "sender_email": f"daily@{DOMAIN}",
        "reply_to": f"newsroom@{DOMAIN}",
        "visibility": Newsletter.Visibility.MEMBERS,
        "subscribe_on_signup": True,
        "show_excerpt": True,
        "footer": f"{ADDRESS}\nReply to this email to reach the news desk.",
    },
    {
        "slug": "weekly-round-up",
        "name": "The Weekly Round-up",
        "description": (
            "The week's essential stories, our best analysis and what to watch next week. "
            "Every Saturday morning."
        ),
        "sender_name": copy.PUB_NAME,
        "sender_email": f"weekly@{DOMAIN}",
        "reply_to": f"editors@{DOMAIN}",
        "visibility": Newsletter.Visibility.MEMBERS,
        "subscribe_on_signup": False,
        "show_excerpt": True,
        "footer": (
            f"{ADDRESS}\nWritten by our editors every Saturday. Reply with your questions "
            "for them: we answer the best ones here."
        ),
    },
    {
        "slug": "insider",
        "name": "Insider",
        "description": (
            "The Friday letter from our editor-in-chief: how we reported the week's "
            "biggest stories, what we are working on, and your questions answered. "
            "For paying members."
        ),
        "sender_name": f"Katarina Vell, {copy.PUB_NAME}",
        "sender_email": f"insider@{DOMAIN}",
        "reply_to": f"editor@{DOMAIN}",
        "visibility": Newsletter.Visibility.PAID,
        "subscribe_on_signup": True,
        "show_excerpt": False,
        "footer": (
            f"{ADDRESS}\nInsider is for paying members. Thank you: your membership pays for "
            "our reporting."
        ),
    },
    {
        "slug": DEFAULT_SLUG,
        "name": "Investigations",
        "description": (
            "An email the day our investigations desk publishes: who profits from the war, "
            "and who lets them. About twice a month."
        ),
        "sender_name": f"{copy.PUB_NAME} Investigations",
        "sender_email": f"investigations@{DOMAIN}",
        "reply_to": f"tips@{DOMAIN}",
        "visibility": Newsletter.Visibility.MEMBERS,
        "subscribe_on_signup": False,
        "show_excerpt": True,
        "footer": (
            f"{ADDRESS}\nHave documents or a tip? Reply to this email; we never reveal our "
            "sources without their consent."
        ),
    },
]

# Of the members each list could have, the share that subscribed at some point.
DAILY_SHARE = 0.68
DAILY_SHARE_IMPORTED = 0.92  # the list imported at launch was this newsletter's
WEEKLY_SHARE = 0.35
INSIDER_SHARE = 0.60  # of paying members
INVESTIGATIONS_SHARE = 0.20
UNSUBSCRIBED_SHARE = 0.04  # left since, for reasons of their own
# What happened to each recipient of a send, per recipient.
BOUNCE_RATE = 0.0012
DELIVERED_RATE = 0.99  # the rest the service has not reported on
UNSUBSCRIBE_RATE = {
    "arvenia-daily": 0.0015,
    "weekly-round-up": 0.003,
    "insider": 0.0008,
    DEFAULT_SLUG: 0.002,
}
# Addresses suppressed before the sends here, per member (bounces of older sends).
EARLIER_BOUNCE_RATE = 0.001

BOUNCE_ERRORS = (
    "550 5.1.1 The email account that you tried to reach does not exist.",
    "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table",
    "550 5.2.1 The email account that you tried to reach is disabled.",
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
)
STAFF_SUPPRESSIONS = (
    "Asked by phone not to receive any email from us.",
    "A shared newsroom address of a partner; they read us on the site.",
)


@dataclass
class NewslettersSummary:
    newsletters: int = 0
    subscriptions: int = 0
    sends: int = 0
    deliveries: int = 0
    suppressions: int = 0
    waiting: int = 0


@dataclass
class _Reader:
    pk: int
    email: str
    name: str
    status: str
    source: str
    created_at: datetime


@dataclass
class _Subscription:
    member: _Reader
    source: str
    subscribed_at: datetime
    unsubscribed_at: datetime | None = None
    unsubscribed_from: NewsletterSend | None = None

    def active_at(self, moment: datetime) -> bool:
        return self.subscribed_at <= moment and (
            self.unsubscribed_at is None or self.unsubscribed_at > moment
        )


@dataclass
class _Suppression:
    email: str
    reason: str
    created_at: datetime
    detail: str = ""
    send: NewsletterSend | None = None


@dataclass(slots=True)
class _Delivery:
    """A ``Delivery`` row as written: the fields in ``DELIVERY_COLUMNS``' order."""

    send_id: int
    member_id: int
    email: str
    name: str
    variant: str
    batch: int
    status: str = Delivery.Status.QUEUED
    attempts: int = 0
    error: str = ""
    message_id: str = ""
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    delivered_at: datetime | None = None
    opened_at: datetime | None = None
    clicked_at: datetime | None = None

    def row(self) -> tuple[Any, ...]:
        return (
            self.send_id,
            self.member_id,
            self.email,
            self.name,
            self.variant,
            self.batch,
            self.status,
            self.attempts,
            self.error,
            self.message_id,
            self.sent_at,
            self.failed_at,
            self.delivered_at,
            self.opened_at,
            self.clicked_at,
        )


DELIVERY_COLUMNS = [
    "send",
    "member",
    "email",
    "name",
    "variant",
    "batch",
    "status",
    "attempts",
    "error",
    "message_id",
    "sent_at",
    "failed_at",
    "delivered_at",
    "opened_at",
    "clicked_at",
]


@dataclass
class _Plan:
    now: datetime
    rng: random.Random
    lists: dict[str, Newsletter]
    subscriptions: dict[str, dict[int, _Subscription]] = field(default_factory=dict)
    suppressions: dict[str, _Suppression] = field(default_factory=dict)
    deliveries: list[_Delivery] = field(default_factory=list)
    sends: list[NewsletterSend] = field(default_factory=list)

    def suppressed_at(self, email: str, moment: datetime) -> bool:
        suppression = self.suppressions.get(email)
        return suppression is not None and suppression.created_at <= moment

    def suppress(self, suppression: _Suppression) -> None:
        self.suppressions.setdefault(suppression.email, suppression)


# --- the lists ------------------------------------------------------------------------


def create_newsletters() -> dict[str, Newsletter]:
    """The four lists by slug; the migrations' default one is renamed, not replaced."""
    lists = {}
    for order, spec in enumerate(NEWSLETTERS):
        values = {key: value for key, value in spec.items() if key != "slug"}
        newsletter, _created = Newsletter.objects.update_or_create(
            slug=spec["slug"], defaults={**values, "sort_order": order}
        )
        lists[spec["slug"]] = newsletter
    return lists


# --- subscriptions ------------------------------------------------------------------------


def _later(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment between ``start`` and ``end``, sooner rather than later."""
    span = max(0.0, (end - start).total_seconds())
    return start + timedelta(seconds=int(span * rng.random() ** 1.5))


def _plan_subscriptions(
    plan: _Plan, readers: list[_Reader], paid_since: dict[int, datetime]
) -> None:
    rng, now = plan.rng, plan.now
    S = NewsletterSubscription.Source
    daily: dict[int, _Subscription] = {}
    weekly: dict[int, _Subscription] = {}
    insider: dict[int, _Subscription] = {}
    investigations: dict[int, _Subscription] = {}
    for reader in readers:
        joined = reader.created_at
        if reader.source == SignupSource.IMPORT:
            if rng.random() < DAILY_SHARE_IMPORTED:
                daily[reader.pk] = _Subscription(reader, S.IMPORT, joined)
        elif rng.random() < DAILY_SHARE:
            roll = rng.random()
            if reader.source == SignupSource.ADMIN:
                daily[reader.pk] = _Subscription(reader, S.STAFF, joined)
            elif roll < 0.85:
                daily[reader.pk] = _Subscription(reader, S.SIGNUP, joined)
            else:
                source = S.ACCOUNT if roll < 0.95 else S.PUBLIC_FORM
                daily[reader.pk] = _Subscription(reader, source, _later(rng, joined, now))
        if rng.random() < WEEKLY_SHARE:
            if reader.source == SignupSource.IMPORT:
                weekly[reader.pk] = _Subscription(reader, S.IMPORT, joined)
            elif rng.random() < 0.3:
                weekly[reader.pk] = _Subscription(reader, S.SIGNUP, joined)
            else:
                source = S.ACCOUNT if rng.random() < 0.8 else S.PUBLIC_FORM
                weekly[reader.pk] = _Subscription(reader, source, _later(rng, joined, now))
        if rng.random() < INVESTIGATIONS_SHARE:
            source = S.ACCOUNT if rng.random() < 0.7 else S.PUBLIC_FORM
            investigations[reader.pk] = _Subscription(reader, source, _later(rng, joined, now))
        since = paid_since.get(reader.pk)
        if since is not None and rng.random() < INSIDER_SHARE:
            # Those who paid as they joined had it ticked; the others chose it later.
            if since - joined < timedelta(hours=1):
                insider[reader.pk] = _Subscription(reader, S.SIGNUP, max(since, joined))
            else:
                insider[reader.pk] = _Subscription(
                    reader, S.ACCOUNT, since + timedelta(minutes=rng.randint(2, 600))
                )
    plan.subscriptions = {
        "arvenia-daily": daily,
        "weekly-round-up": weekly,
        "insider": insider,
        DEFAULT_SLUG: investigations,
    }
    for subscriptions in plan.subscriptions.values():
        for subscription in subscriptions.values():
            subscription.subscribed_at = min(subscription.subscribed_at, now)
            if rng.random() < UNSUBSCRIBED_SHARE and now - subscription.subscribed_at > timedelta(
                days=2
            ):
                subscription.unsubscribed_at = _later(rng, subscription.subscribed_at, now)


def _plan_earlier_suppressions(plan: _Plan, readers: list[_Reader]) -> None:
    """Addresses that bounced or complained before the sends planned here, and staff's."""
    rng, now = plan.rng, plan.now
    old = [r for r in readers if now - r.created_at > timedelta(days=60)]
    if not old:
        return
    bounces = max(2, round(len(readers) * EARLIER_BOUNCE_RATE))
    picked = rng.sample(old, k=min(len(old), bounces + 3 + len(STAFF_SUPPRESSIONS)))
    for reader in picked[:bounces]:
        plan.suppress(
            _Suppression(
                reader.email,
                Suppression.Reason.BOUNCE,
                _later(rng, reader.created_at, now - timedelta(days=40)),
                detail=rng.choice(BOUNCE_ERRORS),
            )
        )
    rest = picked[bounces:]
    if rest:
        reader = rest.pop()
        plan.suppress(
            _Suppression(
                reader.email,
                Suppression.Reason.COMPLAINT,
                _later(rng, reader.created_at, now - timedelta(days=40)),
                detail="Marked as spam by the reader.",
            )
        )
    if rest:
        reader = rest.pop()
        plan.suppress(
            _Suppression(
                reader.email,
                Suppression.Reason.REJECTED,
                _later(rng, reader.created_at, now - timedelta(days=40)),
                detail="550 5.7.606 Access denied, banned sending IP",
            )
        )
    for note, reader in zip(STAFF_SUPPRESSIONS, rest, strict=False):
        plan.suppress(
            _Suppression(
                reader.email,
                Suppression.Reason.STAFF,
                _later(rng, reader.created_at, now - timedelta(days=1)),
                detail=note,
            )
        )


# --- sends ------------------------------------------------------------------------------


def _variant(page: ArticlePage, reader: _Reader) -> str:
    if page.visibility == Visibility.PAID and reader.status == MemberStatus.FREE:
        return Delivery.Variant.PREVIEW
    return Delivery.Variant.FULL


def _message_id(rng: random.Random, at: datetime) -> str:
    return f"<{at:%Y%m%d%H%M%S}.{rng.getrandbits(64):016x}@{SERVICE_DOMAIN}>"


def _plan_send(
    plan: _Plan,
    *,
    slug: str,
    page: ArticlePage,
    at: datetime,
    subject: str = "",
    actor: User | None = None,
) -> NewsletterSend | None:
    """A finished send of ``page`` at ``at``; its deliveries and what followed, planned."""
    rng, now = plan.rng, plan.now
    newsletter = plan.lists[slug]
    paid_only = newsletter.visibility == Newsletter.Visibility.PAID
    recipients = sorted(
        (
            subscription
            for subscription in plan.subscriptions[slug].values()
            if subscription.active_at(at)
            and not (paid_only and subscription.member.status == MemberStatus.FREE)
        ),
        key=lambda subscription: subscription.member.pk,
    )
    if not recipients:
        return None
    started = at + timedelta(seconds=rng.randint(1, 4))
    send = NewsletterSend.objects.create(
        page=page,
        newsletter=newsletter,
        subject=subject or page.title,
        status=NewsletterSend.Status.SENT,
        created_by=actor,
        created_at=at,
        started_at=started,
    )
    batch_size = max(1, settings.MASTHEAD_NEWSLETTER_BATCH_SIZE)
    # Choosing the recipients takes a few seconds; then the batches follow one another.
    clock = started + timedelta(seconds=2 + len(recipients) / 4_000)
    batch_started: dict[int, datetime] = {}
    message_ids: dict[tuple[int, str], str] = {}
    unsubscribe_rate = UNSUBSCRIBE_RATE.get(slug, 0.0)
    complained = False
    for position, subscription in enumerate(recipients):
        reader = subscription.member
        batch = position // batch_size
        if batch not in batch_started:
            clock += timedelta(seconds=rng.uniform(0.8, 2.5))
            batch_started[batch] = clock
        variant = _variant(page, reader)
        delivery = _Delivery(send.pk, reader.pk, reader.email, reader.name, variant, batch)
        plan.deliveries.append(delivery)
        if plan.suppressed_at(reader.email, started):
            delivery.status = Delivery.Status.SUPPRESSED
            continue
        sent_at = batch_started[batch] + timedelta(milliseconds=rng.randint(0, 600))
        delivery.attempts = 1
        delivery.sent_at = sent_at
        key = (batch, variant)
        if key not in message_ids:
            message_ids[key] = _message_id(rng, sent_at)
        delivery.message_id = message_ids[key]
        if rng.random() < BOUNCE_RATE:
            failed_at = sent_at + timedelta(seconds=rng.randint(3, 180))
            error = rng.choice(BOUNCE_ERRORS)
            delivery.status = Delivery.Status.FAILED
            delivery.failed_at = failed_at
            delivery.error = error
            plan.suppress(
                _Suppression(reader.email, Suppression.Reason.BOUNCE, failed_at, error, send)
            )
            continue
        delivery.status = Delivery.Status.SENT
        if rng.random() < DELIVERED_RATE:
            delivery.delivered_at = sent_at + timedelta(seconds=rng.randint(2, 45))
        read_at = (delivery.delivered_at or sent_at) + timedelta(
            minutes=min(3 * 24 * 60, rng.expovariate(1 / 180))
        )
        if read_at >= now:
            continue
        if not complained and rng.random() < 0.0001 * (1 + len(plan.sends)):
            complained = True
            plan.suppress(
                _Suppression(
                    reader.email,
                    Suppression.Reason.COMPLAINT,
                    read_at,
                    "Marked as spam by the reader.",
                    send,
                )
            )
        elif rng.random() < unsubscribe_rate and (
            subscription.unsubscribed_at is None or subscription.unsubscribed_at > read_at
        ):
            subscription.unsubscribed_at = read_at
            subscription.unsubscribed_from = send
    send.recipient_count = len(recipients)
    send.batch_count = len(batch_started)
    send.finished_at = clock + timedelta(seconds=rng.uniform(1, 3))
    send.heartbeat_at = send.finished_at
    plan.sends.append(send)
    return send


def _slots(
    now: datetime, tz: zoneinfo.ZoneInfo, *, at: time, weekdays: Iterable[int], count: int
) -> list[datetime]:
    """The last ``count`` moments before ``now`` at ``at`` local time on ``weekdays``, newest first."""
    days = set(weekdays)
    found: list[datetime] = []
    day = now.astimezone(tz).date()
    while len(found) < count:
        moment = datetime.combine(day, at, tzinfo=tz)
        if day.weekday() in days and moment < now - timedelta(minutes=30):
            found.append(moment)
        day -= timedelta(days=1)
    return found


def _stories() -> Any:
    return (
        ArticlePage.objects.live()
        .filter(email_only=False)
        .exclude(format__in=[ArticleFormat.BRIEF, ArticleFormat.VIDEO])
        .exclude(visibility=Visibility.TIERS)
    )


def _story_before(moment: datetime, *, used: set[int], **filters: Any) -> ArticlePage | None:
    return (
        _stories()
        .filter(first_published_at__lt=moment, **filters)
        .exclude(pk__in=used)
        .order_by("-first_published_at")
        .first()
    )


def _round_up(
    *,
    home: HomePage,
    week_ending: datetime,
    since: datetime | None = None,
    author: Author | None,
    live: bool,
    used_slugs: set[str],
) -> ArticlePage | None:
    """An email-only "The week in Arvenia" article: the week's stories, linked."""
    stories = _stories().filter(
        first_published_at__lt=week_ending,
        format__in=[ArticleFormat.ARTICLE, ArticleFormat.ANALYSIS, ArticleFormat.INVESTIGATION],
    )
    week = list(
        stories.filter(first_published_at__gte=since or week_ending - timedelta(days=7)).order_by(
            "-first_published_at"
        )[:5]
    )
    if len(week) < 3:
        week = list(
            stories.filter(first_published_at__gte=week_ending - timedelta(days=7)).order_by(
                "-first_published_at"
            )[:5]
        )
    if not week:
        return None
    lead = week[0]
    items = [
        f'<b><a linktype="page" id="{story.pk}">{escape(story.title)}</a></b> '
        f"{escape(story.dek or '')}".strip()
        for story in week
    ]
    intro = (
        "Good morning. Here is what mattered in Arvenia this week, and what our "
        "reporters are watching next."
    )
    outro = (
        "Thank you for reading, and for telling your friends about us. Reply to this "
        "email with your questions for our editors: we answer the best ones here."
    )
    title = f"The week in Arvenia: {lead.title}"
    slug = base = slugify(f"week-in-arvenia-{week_ending:%Y-%m-%d}")[:70]
    n = 2
    while slug in used_slugs or ArticlePage.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    used_slugs.add(slug)
    page = ArticlePage(
        title=title,
        draft_title=title,
        slug=slug,
        dek="The week's essential stories, chosen by our editors.",
        format=ArticleFormat.ARTICLE,
        body=paragraph_blocks([intro, *items, outro]),
        email_only=True,
        lead_image=lead.lead_image,
        live=live,
    )
    if live:
        page.first_published_at = page.last_published_at = week_ending - timedelta(minutes=20)
    if author is not None:
        page.article_authors = [ArticleAuthor(author=author, sort_order=0)]
    home.add_child(instance=page)
    if not live:
        page.save_revision()
    return page


Planned = tuple[datetime, str, ArticlePage, str]


def _choose_sends(
    now: datetime,
    tz: zoneinfo.ZoneInfo,
    *,
    home: HomePage,
    editor: Author | None,
    used_slugs: set[str],
) -> list[Planned]:
    """What went out lately: (when, newsletter slug, article, subject), in no order."""
    used: set[int] = set()
    planned: list[Planned] = []
    # Arvenia Daily on the last two mornings: the latest story each time.
    for morning in _slots(now, tz, at=time(7, 0), weekdays=range(6), count=2):
        story = _story_before(
            morning, used=used, first_published_at__gte=morning - timedelta(days=3)
        )
        if story is not None:
            used.add(story.pk)
            planned.append((morning, "arvenia-daily", story, ""))
    # Investigations as the desk's latest investigation went live; one for paying
    # members if there is one, so free subscribers got its free preview.
    before = now - timedelta(hours=1)
    investigation = _story_before(
        before, used=used, format=ArticleFormat.INVESTIGATION, visibility=Visibility.PAID
    ) or _story_before(before, used=used, format=ArticleFormat.INVESTIGATION)
    if investigation is not None and investigation.first_published_at is not None:
        used.add(investigation.pk)
        planned.append(
            (
                investigation.first_published_at + timedelta(minutes=25),
                DEFAULT_SLUG,
                investigation,
                "",
            )
        )
    # Insider on the last Friday afternoon, with a story for paying members.
    friday = _slots(now, tz, at=time(17, 0), weekdays=[4], count=1)[0]
    paid = _story_before(friday, used=used, visibility=Visibility.PAID)
    if paid is not None:
        used.add(paid.pk)
        planned.append((friday, "insider", paid, ""))
    # The Weekly Round-up of last Saturday: an email-only article written for it.
    saturday = _slots(now, tz, at=time(9, 0), weekdays=[5], count=1)[0]
    round_up = _round_up(
        home=home, week_ending=saturday, author=editor, live=True, used_slugs=used_slugs
    )
    if round_up is not None:
        planned.append((saturday, "weekly-round-up", round_up, round_up.title))
    return planned


# --- writing --------------------------------------------------------------------------------


def _insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert plain rows, one prepared statement per chunk; returns how many.

    ``bulk_create`` builds a model instance for every row and prepares every value through
    its field: for the 100,000 rows here that takes ten seconds, this well under one.
    Values are given as the database stores them, except times and JSON, adapted here.
    """
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in columns]
    names = [getattr(model_field, "column", None) or model_field.name for model_field in fields]
    adapters: list[Callable[[Any], Any] | None] = []
    for model_field in fields:
        if isinstance(model_field, models.DateTimeField):
            adapters.append(ops.adapt_datetimefield_value)
        elif isinstance(model_field, models.JSONField):
            adapters.append(functools.partial(model_field.get_db_prep_save, connection=connection))
        else:
            adapters.append(None)
    # Table and column names come from the model, quoted; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(name) for name in names),
        ", ".join(["%s"] * len(fields)),
    )
    count = 0
    rows = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(rows, WRITE_BATCH)):
            cursor.executemany(
                sql,
                [
                    [
                        value if adapt is None or value is None else adapt(value)
                        for value, adapt in zip(row, adapters, strict=True)
                    ]
                    for row in chunk
                ],
            )
            count += len(chunk)
    return count


def _write(plan: _Plan) -> tuple[int, int]:
    """Subscriptions with their timeline events, deliveries and suppressions."""
    subscriptions: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    Status = NewsletterSubscription.Status
    Kind = MemberEvent.Kind
    for slug, planned in plan.subscriptions.items():
        newsletter_id = plan.lists[slug].pk
        for subscription in planned.values():
            member_id = subscription.member.pk
            left = subscription.unsubscribed_at
            subscriptions.append(
                (
                    member_id,
                    newsletter_id,
                    Status.UNSUBSCRIBED if left else Status.SUBSCRIBED,
                    str(subscription.source),
                    subscription.subscribed_at,
                    left,
                    subscription.unsubscribed_from.pk if subscription.unsubscribed_from else None,
                )
            )
            detail = {"newsletter": slug, "source": str(subscription.source)}
            events.append(
                (member_id, Kind.NEWSLETTER_SUBSCRIBED, detail, subscription.subscribed_at)
            )
            if left is not None:
                events.append((member_id, Kind.NEWSLETTER_UNSUBSCRIBED, {"newsletter": slug}, left))
    _insert(
        NewsletterSubscription,
        [
            "member",
            "newsletter",
            "status",
            "source",
            "subscribed_at",
            "unsubscribed_at",
            "unsubscribed_from",
        ],
        subscriptions,
    )
    _insert(MemberEvent, ["member", "kind", "detail", "created_at"], events)
    _insert(Delivery, DELIVERY_COLUMNS, (d.row() for d in plan.deliveries))
    _insert(
        Suppression,
        ["email", "reason", "detail", "send", "created_at"],
        (
            (s.email, s.reason, s.detail[:1000], s.send.pk if s.send else None, s.created_at)
            for s in plan.suppressions.values()
        ),
    )
    return len(subscriptions), len(plan.suppressions)


def _log_send(send: NewsletterSend, actor: User | None) -> None:
    """The article's History says it was sent, as when an editor sends it."""
    from masthead.newsletters.admin_views import SEND_LOGGED

    if send.page is None:
        return
    PageLogEntry.objects.log_action(
        send.page,
        SEND_LOGGED,
        user=actor,
        data={"newsletter": send.newsletter.name, "send": send.pk, "status": send.status},
        timestamp=send.created_at,
    )


def build_newsletters(
    *,
    seed: int,
    now: datetime,
    home: HomePage,
    timezone_name: str,
    actor_id: int | None = None,
) -> NewslettersSummary:
    """The lists, their subscribers, suppressions, recent sends and one waiting send."""
    rng = random.Random(f"{seed}-newsletters")
    tz = zoneinfo.ZoneInfo(timezone_name)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    summary = NewslettersSummary()
    with transaction.atomic():
        plan = _Plan(now=now, rng=rng, lists=create_newsletters())
    summary.newsletters = len(plan.lists)
    readers = [
        _Reader(*row)
        for row in Member.objects.order_by("pk").values_list(
            "pk", "email", "name", "status", "signup_source", "created_at"
        )
    ]
    if not readers:
        return summary
    paid_since: dict[int, datetime] = {}
    for member_id, starts_at in (
        Membership.objects.active(now)
        .exclude(tier__kind=Tier.Kind.FREE)
        .order_by("starts_at")
        .values_list("member_id", "starts_at")
    ):
        paid_since.setdefault(member_id, starts_at)
    _plan_subscriptions(plan, readers, paid_since)
    _plan_earlier_suppressions(plan, readers)

    editor = Author.objects.filter(slug=slugify("Katarina Vell")).first()
    used_slugs: set[str] = set()
    saturday = _slots(now, tz, at=time(9, 0), weekdays=[5], count=1)[0]
    with transaction.atomic():
        planned = _choose_sends(now, tz, home=home, editor=editor, used_slugs=used_slugs)
        # Oldest first: each send's bounces and unsubscribes shape the ones after it.
        for at, slug, page, subject in sorted(planned, key=lambda item: item[0]):
            send = _plan_send(plan, slug=slug, page=page, at=at, subject=subject, actor=actor)
            if send is not None:
                _log_send(send, actor)
        summary.subscriptions, summary.suppressions = _write(plan)
        for send in plan.sends:
            send.save(
                update_fields=["recipient_count", "batch_count", "finished_at", "heartbeat_at"]
            )
        summary.sends = len(plan.sends)
        summary.deliveries = len(plan.deliveries)

    # Next Saturday's round-up, drafted and set to go out as soon as it is published.
    with transaction.atomic():
        draft = _round_up(
            home=home,
            week_ending=now - timedelta(minutes=5),
            since=saturday,
            author=editor,
            live=False,
            used_slugs=used_slugs,
        )
        if draft is not None:
            waiting = actions.create_send(
                page=draft,
                newsletter=plan.lists["weekly-round-up"],
                subject=draft.title,
                actor=actor,
                when_published=True,
            )
            NewsletterSend.objects.filter(pk=waiting.pk).update(
                created_at=now - timedelta(minutes=3)
            )
            waiting.created_at = now - timedelta(minutes=3)
            _log_send(waiting, actor)
            summary.waiting = 1
    return summary
