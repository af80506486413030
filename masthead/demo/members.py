"""The demo newsroom's readers: tiers, ~25,000 members, membership drives and gated stories.

Members are planned in Python first (``plan_members``), each one's status derived by
``actions.status_from_memberships`` from the memberships planned for them, then written
with ``bulk_create`` in batches (``write_members``): going through the actions one
member at a time would take minutes. The mix follows a small newsroom three years
after launch: most readers free, about one in eight paying, a few comped (press,
partners) and given as gifts, sign-ups growing over time with bursts around big
stories, an event and two drives, the second of which is running now.

Like the rest of the demo, everything comes from the seed; only the dates follow the
clock. Emails use the reserved example domains only.
"""

from __future__ import annotations

import bisect
import functools
import random
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from faker import Faker
from tqdm import tqdm
from wagtail.models import Site

from masthead.membership.access import Visibility
from masthead.membership.actions import status_from_memberships
from masthead.membership.models import (
    Campaign,
    Label,
    Member,
    MemberEvent,
    Membership,
    MembershipSettings,
    MemberStatus,
    SignupSource,
    Tier,
)

from . import copy

# Members for each demo size. The mix below is written for REFERENCE members and
# scaled for any other count, so a test can build a few hundred with the same shape.
MEMBERS = {"small": 25_000, "large": 25_000}
REFERENCE = 25_000
BATCH_SIZE = 2_000
EMAIL_DOMAINS = ("example.org", "example.net", "example.com")  # reserved: RFC 2606
NAME_LOCALES = ("en_GB", "en_US", "de_DE", "fr_FR", "nl_NL", "it_IT")

TIERS: list[dict[str, Any]] = [
    {
        "name": "Supporter",
        "slug": "supporter",
        "description": "Read everything we publish and keep our newsroom independent.",
        "benefits": (
            "Every story on the site, with no paywall\n"
            "The Friday members' letter from the editor\n"
            "An invitation to our yearly readers' forum in Dravik"
        ),
        "monthly_price": 500,
        "yearly_price": 5_000,
        "trial_days": 0,
    },
    {
        "name": "Patron",
        "slug": "patron",
        "description": "Fund the investigations desk and meet the people behind it.",
        "benefits": (
            "Everything Supporters get\n"
            "Patron-only investigations and briefings\n"
            "A quarterly online Q&A with the editors\n"
            "Your name in our yearly thank-you list, if you wish"
        ),
        "monthly_price": 1_500,
        "yearly_price": 15_000,
        "trial_days": 7,
    },
]
SUPPORTER_SHARE = 0.85  # of paying members; the rest are Patrons

# Gated stories, as shares of the stories that are not briefs.
MEMBERS_ONLY_SHARE = 0.08
PAID_SHARE = 0.05
PATRON_ONLY = 2  # of the paid ones, open to Patrons only

RUNNING_DRIVE = {
    "name": "Winter membership drive",
    "goal_kind": Campaign.Goal.NEW_MEMBERS,
    "goal": 1_000,
    "stretch_goal": 1_500,
    "headline": "Goal: {goal} new members",
    "body": "{count} members on board — help us reach {goal}. {remaining} to go.",
    "show_banner": True,
}
PAST_DRIVE = {
    "name": "Second anniversary drive",
    "goal_kind": Campaign.Goal.NEW_MEMBERS,
    "goal": 500,
    "headline": "Two years old: help us find {goal} new members",
    "body": "{count} joined so far. {remaining} to go.",
    "show_banner": False,
}
COUNTER_TEXT = "{count} people chose to be part of our community — thank you"

# Sign-ups for REFERENCE members, by how they came.
MIX = {
    "import": 1_500,  # the newsletter list, imported at launch
    "running_drive": 734,  # inside the running drive's window: its count
    "past_drive": 900,
    "forum": 400,  # signed up at the stand of the readers' forum
    "story_burst": 600,  # each of two investigations that went viral
}
# Access for REFERENCE members.
PAID = 3_000
COMPED = 150
GIFT = 80
LAPSED = 450  # paid once, free again
DONORS = 900  # labelled "Donor"

LABEL_PRESS = "Press"
LABEL_PARTNER = "Partner"
LABEL_DONOR = "Donor"
LABEL_IMPORT = "Newsletter import"


@dataclass(frozen=True)
class Calendar:
    """When things happened, relative to the moment the demo is built."""

    now: datetime
    launch: datetime
    drive_starts: datetime
    drive_ends: datetime
    past_drive_starts: datetime
    past_drive_ends: datetime
    forum: datetime
    story_bursts: tuple[datetime, datetime]

    @property
    def forum_label(self) -> str:
        return f"Event: Dravik Forum {self.forum.year}"

    @classmethod
    def at(cls, now: datetime) -> Calendar:
        hour = now.replace(minute=0, second=0, microsecond=0)
        return cls(
            now=now,
            launch=hour - timedelta(days=3 * 365),
            drive_starts=hour - timedelta(days=25),
            drive_ends=hour + timedelta(days=20),
            past_drive_starts=hour - timedelta(days=380),
            past_drive_ends=hour - timedelta(days=359),
            forum=hour - timedelta(days=200),
            story_bursts=(hour - timedelta(days=700), hour - timedelta(days=160)),
        )


@dataclass(frozen=True)
class ArticleRef:
    """A live demo article a member may have signed up from."""

    published_at: datetime
    page_id: int
    gated: bool


@dataclass
class PlannedMember:
    created_at: datetime
    source: str
    drive: str = ""  # "running" or "past": the drive they signed up through
    name: str = ""
    email: str = ""
    uuid: uuid.UUID | None = None
    page_id: int | None = None
    last_seen_at: datetime | None = None
    email_verified_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    # Unsaved, without a member: saved with the member by ``write_members``.
    memberships: list[Membership] = field(default_factory=list)
    status: str = MemberStatus.FREE


@dataclass
class MemberPlan:
    calendar: Calendar
    members: list[PlannedMember]

    def count(self, status: str) -> int:
        return sum(1 for member in self.members if member.status == status)


# --- tiers, labels, settings ---------------------------------------------------------


def create_tiers() -> dict[str, Tier]:
    """The paid tiers, by slug, with the free tier the migrations made under "free"."""
    tiers = {"free": Tier.objects.get(kind=Tier.Kind.FREE)}
    for spec in TIERS:
        tiers[spec["slug"]] = Tier.objects.create(kind=Tier.Kind.PAID, currency="EUR", **spec)
    return tiers


def configure_site(site: Site) -> MembershipSettings:
    settings = MembershipSettings.for_site(site)
    settings.counter_basis = MembershipSettings.CounterBasis.ALL_MEMBERS
    settings.counter_text = COUNTER_TEXT
    settings.metering_enabled = False
    settings.save()
    return settings


# --- gated stories ----------------------------------------------------------------------


def choose_gated(formats: Sequence[str], *, rng: random.Random) -> dict[int, str]:
    """Visibility for the articles at these positions (oldest first); the rest are public.

    About 8% of the stories are for members and 5% for paying members, two of those for
    Patrons only. Briefs and videos stay public. Two of the five newest news stories
    (the home page's top stories) are always gated, one for members and one for paying
    members, so a visitor meets the paywall at once.
    """
    stories = sum(1 for fmt in formats if fmt != "brief")
    eligible = [i for i, fmt in enumerate(formats) if fmt not in {"brief", "video"}]
    leads = [i for i in eligible if formats[i] in {"article", "analysis", "investigation"}][-5:]
    gated: dict[int, str] = {}
    if len(leads) >= 3:
        # The newest stays open; paying readers get the in-depth piece, if there is one.
        older = leads[:-1]
        in_depth = [i for i in older if formats[i] in {"analysis", "investigation"}]
        paid_lead = in_depth[-1] if in_depth else older[max(0, len(older) - 3)]
        gated[paid_lead] = Visibility.PAID
        gated[next(i for i in reversed(older) if i != paid_lead)] = Visibility.MEMBERS
    forced = len(gated) // 2  # one of each
    members_only = max(0, round(stories * MEMBERS_ONLY_SHARE) - forced)
    paid = max(0, round(stories * PAID_SHARE) - forced)
    rest = [i for i in eligible if i not in gated]
    picked = rng.sample(rest, k=min(len(rest), members_only + paid))
    for i in picked[:members_only]:
        gated[i] = Visibility.MEMBERS
    paid_picks = picked[members_only:]
    # A couple for Patrons only, always leaving some open to every paying member.
    patron_only = min(PATRON_ONLY, len(paid_picks) - 1)
    for n, i in enumerate(paid_picks):
        gated[i] = Visibility.TIERS if n < patron_only else Visibility.PAID
    return gated


def add_paywall(blocks: list[dict[str, Any]], *, rng: random.Random) -> list[dict[str, Any]]:
    """``blocks`` with the free preview ending after the second or third paragraph."""
    paragraphs = [i for i, block in enumerate(blocks) if block["type"] == "paragraph"]
    after = rng.choice([2, 3])
    if len(paragraphs) <= after:
        after = max(1, len(paragraphs) - 1)
    cut = paragraphs[after - 1] + 1 if paragraphs else 0
    return [*blocks[:cut], {"type": "paywall", "value": None}, *blocks[cut:]]


# --- planning -----------------------------------------------------------------------------


class _Names:
    """Reader names: some Arvenian, most from the countries its readers abroad live in."""

    POOL = 300  # first and last names drawn per language, then combined freely

    def __init__(self, seed: int, rng: random.Random) -> None:
        self.rng = rng
        # The same invented names the newsroom's copy uses for Arvenians.
        self.pools = [(list(copy._FIRST_NAMES), list(copy._LAST_NAMES))]
        for i, locale in enumerate(NAME_LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 100 + i)
            self.pools.append(
                (
                    [fake.first_name() for _ in range(self.POOL)],
                    [fake.last_name() for _ in range(self.POOL)],
                )
            )
        self.weights = [len(NAME_LOCALES) * 0.55] + [1.0] * len(NAME_LOCALES)

    def pick(self) -> tuple[str, str]:
        first, last = self.rng.choices(self.pools, weights=self.weights)[0]
        return self.rng.choice(first), self.rng.choice(last)


@functools.lru_cache(maxsize=8192)
def _ascii(text: str) -> str:
    text = text.translate({ord("ß"): "ss", ord("ø"): "o", ord("ł"): "l", ord("æ"): "ae"})
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def plan_members(
    *,
    count: int,
    seed: int,
    now: datetime,
    tiers: dict[str, Tier],
    articles: Sequence[ArticleRef] = (),
) -> MemberPlan:
    """Who the members are and what access they have; touches no database.

    ``tiers`` maps "free", "supporter" and "patron" to tiers (saved or not), and
    ``articles`` lists live articles oldest first, for where members signed up.
    """
    rng = random.Random(f"{seed}-members")
    cal = Calendar.at(now)
    scale = count / REFERENCE

    def scaled(reference: int, minimum: int = 0) -> int:
        return min(count, max(minimum, round(reference * scale))) if count else 0

    members: list[PlannedMember] = []

    def add(n: int, when: Callable[[], datetime], source: str, **extra: Any) -> None:
        for _ in range(n):
            labels = list(extra.get("labels", ()))  # one list per member: more are added
            members.append(
                PlannedMember(created_at=when(), source=source, **{**extra, "labels": labels})
            )

    add(
        scaled(MIX["import"]),
        lambda: cal.launch + timedelta(seconds=rng.randint(0, 600)),
        SignupSource.IMPORT,
        labels=[LABEL_IMPORT],
    )
    # The running drive: a rush in its first days, then a steady flow until now.
    drive_span = (now - timedelta(minutes=5) - cal.drive_starts).total_seconds()
    for _ in range(scaled(MIX["running_drive"], minimum=1)):
        fraction = rng.random() * 0.1 if rng.random() < 0.3 else rng.random()
        when = cal.drive_starts + timedelta(seconds=int(fraction * drive_span))
        roll = rng.random()
        if roll < 0.75:
            members.append(PlannedMember(when, SignupSource.CAMPAIGN, drive="running"))
        else:
            source = SignupSource.PAYWALL if roll < 0.9 else SignupSource.DIRECT
            members.append(PlannedMember(when, source))
    past_span = (cal.past_drive_ends - cal.past_drive_starts).total_seconds()
    add(
        scaled(MIX["past_drive"]),
        lambda: cal.past_drive_starts + timedelta(seconds=int(rng.random() ** 2 * past_span)),
        SignupSource.CAMPAIGN,
        drive="past",
    )
    forum = cal.forum + timedelta(hours=9)
    for _ in range(scaled(MIX["forum"])):
        when = forum + timedelta(seconds=rng.randint(0, 2 * 86_400))
        members.append(PlannedMember(when, SignupSource.DIRECT, labels=[cal.forum_label]))
    for burst in cal.story_bursts:
        for _ in range(scaled(MIX["story_burst"])):
            delay = min(10.0, rng.expovariate(1 / 1.5))
            source = SignupSource.PAYWALL if rng.random() < 0.7 else SignupSource.DIRECT
            members.append(PlannedMember(burst + timedelta(days=delay), source))
    # Everyone else: organic sign-ups, more of them every month.
    organic_start = cal.launch + timedelta(days=1)
    organic_span = (cal.drive_starts - organic_start).total_seconds()
    for _ in range(max(0, count - len(members))):
        ago = rng.random() ** 1.7 * organic_span
        when = cal.drive_starts - timedelta(seconds=max(60, int(ago)))
        source = SignupSource.PAYWALL if rng.random() < 0.45 else SignupSource.DIRECT
        members.append(PlannedMember(when, source))
    members = members[:count]
    members.sort(key=lambda m: m.created_at)

    _plan_access(members, rng=rng, cal=cal, tiers=tiers, scaled=scaled)
    _plan_people(members, rng=rng, seed=seed, cal=cal, articles=articles)
    return MemberPlan(calendar=cal, members=members)


def _plan_access(
    members: list[PlannedMember],
    *,
    rng: random.Random,
    cal: Calendar,
    tiers: dict[str, Tier],
    scaled: Callable[..., int],
) -> None:
    now = cal.now
    supporter, patron = tiers["supporter"], tiers["patron"]
    taken: set[int] = set()

    def sample(candidates: list[int], k: int) -> list[int]:
        chosen = rng.sample(candidates, k=min(k, len(candidates)))
        taken.update(chosen)
        return chosen

    def membership(
        tier: Tier, source: str, starts: datetime, ends: datetime | None = None
    ) -> Membership:
        return Membership(tier=tier, source=source, starts_at=starts, ends_at=ends)

    # Comped by staff: journalists at other outlets, and partner organisations.
    organic = [
        i
        for i, m in enumerate(members)
        if m.source in {SignupSource.DIRECT, SignupSource.PAYWALL}
        and not m.labels
        and m.created_at < cal.drive_starts
    ]
    for n, i in enumerate(sample(organic, scaled(COMPED, 2))):
        member = members[i]
        member.source = SignupSource.ADMIN
        press = n % 3 != 2
        member.labels.append(LABEL_PRESS if press else LABEL_PARTNER)
        ends = None if press or rng.random() < 0.5 else now + timedelta(days=rng.randint(30, 330))
        member.memberships.append(
            membership(
                patron if press else supporter, Membership.Source.COMP, member.created_at, ends
            )
        )
    # Gifts redeemed in the last ten months, for a year each.
    recent = [
        i
        for i, m in enumerate(members)
        if i not in taken and m.created_at > now - timedelta(days=300)
    ]
    for i in sample(recent, scaled(GIFT, 2)):
        member = members[i]
        tier = patron if rng.random() < 0.2 else supporter
        member.memberships.append(
            membership(
                tier,
                Membership.Source.GIFT,
                member.created_at,
                member.created_at + timedelta(days=365),
            )
        )
    # Paying: some at sign-up, most after reading a while; a few after a gift ran out.
    free = [i for i in range(len(members)) if i not in taken]
    for i in sample(free, scaled(PAID, 3)):
        member = members[i]
        tier = supporter if rng.random() < SUPPORTER_SHARE else patron
        age = now - member.created_at
        if age > timedelta(days=450) and rng.random() < 0.05:
            gift_ends = member.created_at + timedelta(days=365)
            member.memberships.append(
                membership(supporter, Membership.Source.GIFT, member.created_at, gift_ends)
            )
            starts = gift_ends
        elif rng.random() < 0.35:
            starts = member.created_at + timedelta(minutes=rng.randint(1, 15))
        else:
            starts = member.created_at + age * (rng.random() * 0.9)
        starts = min(starts, now - timedelta(minutes=1))
        member.memberships.append(membership(tier, Membership.Source.PAYMENT, starts))
    # Lapsed: paid for a while, then stopped.
    old_free = [
        i
        for i, m in enumerate(members)
        if i not in taken and m.created_at < now - timedelta(days=90)
    ]
    for i in sample(old_free, scaled(LAPSED)):
        member = members[i]
        starts = member.created_at + (now - member.created_at) * (rng.random() * 0.5)
        ends = min(
            starts + timedelta(days=rng.randint(31, 365)), now - timedelta(days=rng.randint(1, 30))
        )
        if ends > starts:
            member.memberships.append(
                membership(supporter, Membership.Source.PAYMENT, starts, ends)
            )

    for member in members:
        active = [m for m in member.memberships if m.is_active_on(now)]
        member.status = status_from_memberships(active)

    paying = [i for i, m in enumerate(members) if m.status == MemberStatus.PAID]
    others = [
        i
        for i, m in enumerate(members)
        if m.status == MemberStatus.FREE and m.source != SignupSource.IMPORT
    ]
    donors = scaled(DONORS)
    for i in rng.sample(paying, k=min(len(paying), donors * 2 // 5)) + rng.sample(
        others, k=min(len(others), donors - donors * 2 // 5)
    ):
        members[i].labels.append(LABEL_DONOR)


# How likely members who came each way are to have an article as their sign-up page.
PAGE_CHANCE = {"paywall": 1.0, "campaign": 0.3, "direct": 0.25}
SEEN_SHARE = {
    MemberStatus.PAID: 0.92,
    MemberStatus.GIFT: 0.85,
    MemberStatus.COMPED: 0.75,
    MemberStatus.FREE: 0.55,
}


def _plan_people(
    members: list[PlannedMember],
    *,
    rng: random.Random,
    seed: int,
    cal: Calendar,
    articles: Sequence[ArticleRef],
) -> None:
    names = _Names(seed, rng)
    everything = list(articles)
    times = [article.published_at for article in everything]
    gated = [article for article in articles if article.gated]
    gated_times = [article.published_at for article in gated]
    now = cal.now
    for number, member in enumerate(members, start=1):
        first, last = names.pick()
        nameless = rng.random() < (0.4 if member.source == SignupSource.IMPORT else 0.12)
        member.name = "" if nameless else f"{first} {last}"
        local = f"{_ascii(first)}.{_ascii(last)}.{number}".strip(".")
        member.email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        member.uuid = uuid.UUID(int=rng.getrandbits(128), version=4)

        # The article they joined from: a gated one for the paywall, any for the others.
        page_chance = PAGE_CHANCE.get(str(member.source), 0.0)
        if rng.random() < page_chance:
            pool, pool_times = (
                (gated, gated_times)
                if member.source == SignupSource.PAYWALL and gated
                else (everything, times)
            )
            before = bisect.bisect_right(pool_times, member.created_at)
            if before:
                member.page_id = rng.choice(pool[max(0, before - 60) : before]).page_id

        signed_up_online = member.source not in {SignupSource.IMPORT, SignupSource.ADMIN}
        share = SEEN_SHARE[MemberStatus(member.status)]
        if member.source == SignupSource.IMPORT:
            share *= 0.5
        if rng.random() < share:
            member.last_seen_at = member.created_at + (now - member.created_at) * (
                1 - rng.random() ** 3
            )
        elif signed_up_online:
            member.last_seen_at = member.created_at
        # Paying or redeeming a gift happens signed in.
        acted = [m.starts_at for m in member.memberships if m.source != Membership.Source.COMP]
        if acted:
            member.last_seen_at = max(member.last_seen_at or member.created_at, *acted)
        if signed_up_online:
            member.email_verified_at = member.created_at
        elif member.last_seen_at is not None:
            member.email_verified_at = (
                member.created_at + (member.last_seen_at - member.created_at) * rng.random()
            )


# --- writing ---------------------------------------------------------------------------


def create_drives(cal: Calendar) -> dict[str, Campaign]:
    running = Campaign.objects.create(
        starts_at=cal.drive_starts, ends_at=cal.drive_ends, **RUNNING_DRIVE
    )
    past = Campaign.objects.create(
        starts_at=cal.past_drive_starts, ends_at=cal.past_drive_ends, **PAST_DRIVE
    )
    return {"running": running, "past": past}


def _status_changes(member: PlannedMember, now: datetime) -> list[tuple[datetime, str, str]]:
    """(when, old, new) each time a membership starting or ending changed the status."""
    moments = sorted(
        {m.starts_at for m in member.memberships}
        | {m.ends_at for m in member.memberships if m.ends_at and m.ends_at <= now}
    )
    changes = []
    status = MemberStatus.FREE
    for moment in moments:
        new = status_from_memberships(m for m in member.memberships if m.is_active_on(moment))
        if new != status:
            changes.append((moment, str(status), new))
            status = MemberStatus(new)
    return changes


def write_members(
    plan: MemberPlan,
    *,
    drives: dict[str, Campaign],
    actor_id: int | None = None,
    show_progress: bool = False,
) -> int:
    """Save the planned members, memberships, labels and timeline events in batches."""
    labels = {
        name: Label.objects.get_or_create(name=name)[0]
        for name in sorted({label for member in plan.members for label in member.labels})
    }
    through = Member.labels.through
    with tqdm(
        total=len(plan.members),
        unit="member",
        desc="Signing up members",
        disable=not show_progress,
    ) as bar:
        for start in range(0, len(plan.members), BATCH_SIZE):
            batch = plan.members[start : start + BATCH_SIZE]
            with transaction.atomic():
                _write_batch(batch, plan.calendar.now, drives, labels, through, actor_id)
            bar.update(len(batch))
    return len(plan.members)


def _write_batch(
    batch: list[PlannedMember],
    now: datetime,
    drives: dict[str, Campaign],
    labels: dict[str, Label],
    through: Any,
    actor_id: int | None,
) -> None:
    rows = Member.objects.bulk_create(
        Member(
            email=planned.email,
            name=planned.name,
            status=planned.status,
            signup_source=planned.source,
            signup_page_id=planned.page_id,
            signup_campaign=drives.get(planned.drive),
            created_at=planned.created_at,
            last_seen_at=planned.last_seen_at,
            email_verified_at=planned.email_verified_at,
            uuid=planned.uuid or uuid.uuid4(),
        )
        for planned in batch
    )
    memberships: list[Membership] = []
    events: list[MemberEvent] = []
    links: list[Any] = []
    for member, planned in zip(rows, batch, strict=True):
        by_staff = planned.source == SignupSource.ADMIN
        detail: dict[str, Any] = {"source": str(planned.source)}
        if planned.source not in {SignupSource.IMPORT, SignupSource.ADMIN}:
            detail["page_id"] = planned.page_id
        events.append(
            MemberEvent(
                member=member,
                kind=MemberEvent.Kind.SIGNED_UP,
                detail=detail,
                actor_id=actor_id if by_staff else None,
                created_at=planned.created_at,
            )
        )
        for membership in planned.memberships:
            membership.member = member
            membership.created_at = membership.starts_at
            if membership.source == Membership.Source.COMP:
                membership.granted_by_id = actor_id
                until = membership.ends_at.isoformat() if membership.ends_at else None
                events.append(
                    MemberEvent(
                        member=member,
                        kind=MemberEvent.Kind.COMPED,
                        detail={"tier": membership.tier.name, "until": until},
                        actor_id=actor_id,
                        created_at=membership.starts_at,
                    )
                )
            memberships.append(membership)
        for when, old, new in _status_changes(planned, now):
            events.append(
                MemberEvent(
                    member=member,
                    kind=MemberEvent.Kind.STATUS_CHANGED,
                    detail={"old": old, "new": new},
                    created_at=when,
                )
            )
        links.extend(
            through(member_id=member.pk, label_id=labels[name].pk) for name in planned.labels
        )
    Membership.objects.bulk_create(memberships)
    MemberEvent.objects.bulk_create(events)
    through.objects.bulk_create(links)


@dataclass
class MembersSummary:
    members: int
    paid: int
    comped: int
    gift: int
    in_running_drive: int


def build_members(
    *,
    count: int,
    seed: int,
    now: datetime,
    site: Site,
    tiers: dict[str, Tier],
    articles: Sequence[ArticleRef],
    actor_id: int | None = None,
    show_progress: bool = False,
) -> MembersSummary:
    """Drives, members and the site's membership settings, for a site with tiers."""
    plan = plan_members(count=count, seed=seed, now=now, tiers=tiers, articles=articles)
    with transaction.atomic():
        configure_site(site)
        drives = create_drives(plan.calendar)
    write_members(plan, drives=drives, actor_id=actor_id, show_progress=show_progress)
    return MembersSummary(
        members=len(plan.members),
        paid=plan.count(MemberStatus.PAID),
        comped=plan.count(MemberStatus.COMPED),
        gift=plan.count(MemberStatus.GIFT),
        in_running_drive=sum(1 for m in plan.members if m.created_at >= plan.calendar.drive_starts),
    )
