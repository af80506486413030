"""Live coverage in the demo newsroom: an ongoing live page, an ended one, and the ticker.

The seeded updates are bulk-inserted, numbered 1..N per page in posting order exactly as
``publishing.actions`` numbers them, so the live desk and readers' pages carry on from
them. The ticker, run by the worker while ``MASTHEAD_DEMO_TICKER`` is on, posts through
the actions like an editor would, so someone watching the demo sees coverage move.
"""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from masthead.publishing.actions import post_live_update
from masthead.publishing.factories import image_block, paragraph_blocks
from masthead.publishing.listings import published_articles
from masthead.publishing.models import (
    ArticleAuthor,
    ArticleFormat,
    ArticlePage,
    Author,
    CoverageStatus,
    HomePage,
    LivePage,
    LiveUpdate,
    Photo,
    Tag,
)

from . import copy

ONGOING_SLUG = "valdorias-war-against-arvenia-live-updates"
ENDED_SLUG = "assembly-votes-on-the-mobilisation-law-live-updates"
ONGOING_UPDATES = 126
ENDED_UPDATES = 40
# How often the ticker posts to the ongoing page, and publishes a brief.
TICKER_UPDATE_EVERY = timedelta(minutes=2)
TICKER_BRIEF_EVERY = timedelta(minutes=10)
# Sections whose copy the ticker's briefs borrow, as the news desk's do.
BRIEF_SECTIONS = ("war", "war", "war", "politics", "world", "business")


@dataclass
class LiveSummary:
    pages: int = 0
    updates: int = 0


@dataclass
class _Plan:
    slug: str
    title: str
    dek: str
    section: str
    update_sections: tuple[str, ...]
    count: int
    newest: datetime
    spacing: tuple[float, float]  # minutes between updates by day (at night, three times that)
    ended: bool


def build_live_pages(
    *,
    home: HomePage,
    now: datetime,
    seed: int,
    sections: dict[str, Tag],
    topics: list[Tag],
    writers_by_section: dict[str, list[Author]],
    photos: list[Photo],
    timezone_name: str,
) -> tuple[LiveSummary, LivePage]:
    """Create the ongoing and the ended live page with their updates; return the ongoing one."""
    rng = random.Random(f"{seed}-live")
    local = zoneinfo.ZoneInfo(timezone_name)
    summary = LiveSummary()
    plans = [
        _Plan(
            slug=ONGOING_SLUG,
            title="Valdoria's war against Arvenia: live updates",
            dek=(
                "The latest from the front line, the home front and the capitals of "
                "Arvenia's allies, as our reporters confirm it."
            ),
            section="war",
            update_sections=("war", "war", "war", "world", "politics"),
            count=ONGOING_UPDATES,
            newest=now - timedelta(minutes=3),
            spacing=(6, 18),
            ended=False,
        ),
        _Plan(
            slug=ENDED_SLUG,
            title="Assembly votes on the mobilisation law: live updates",
            dek="How the day of the vote unfolded in the Assembly and on the streets of Dravik.",
            section="politics",
            update_sections=("politics", "politics", "war"),
            count=ENDED_UPDATES,
            newest=now - timedelta(days=7),
            spacing=(8, 15),
            ended=True,
        ),
    ]
    pages = []
    for plan in plans:
        page = _live_page(
            plan,
            rng=rng,
            home=home,
            local=local,
            sections=sections,
            topics=topics,
            writers=_writers(writers_by_section, plan.update_sections),
            photos=photos,
        )
        summary.pages += 1
        summary.updates += plan.count
        pages.append(page)
    return summary, pages[0]


def _writers(writers_by_section: dict[str, list[Author]], slugs: tuple[str, ...]) -> list[Author]:
    found = [author for slug in dict.fromkeys(slugs) for author in writers_by_section.get(slug, [])]
    return found or [a for group in writers_by_section.values() for a in group]


def _posting_times(plan: _Plan, rng: random.Random, local: zoneinfo.ZoneInfo) -> list[datetime]:
    """Times of the updates, oldest first: a few minutes apart by day, sparser at night."""
    times = [plan.newest]
    low, high = plan.spacing
    while len(times) < plan.count:
        hour = times[-1].astimezone(local).hour
        factor = 3 if hour < 7 or hour >= 23 else 1
        times.append(times[-1] - timedelta(minutes=rng.uniform(low, high) * factor))
    return list(reversed(times))


def _update_body(
    rng: random.Random, section: str, photos: list[Photo], *, with_photo: bool
) -> list[dict[str, Any]]:
    blocks = paragraph_blocks(copy.paragraphs(rng, section, "brief", 1))
    if with_photo and photos:
        blocks.append(image_block(rng.choice(photos)))
    elif rng.random() < 0.12:
        quote, attribution = copy.pull_quote(rng, section)
        blocks.append({"type": "pull_quote", "value": {"quote": quote, "attribution": attribution}})
    if rng.random() < 0.25:
        blocks.extend(paragraph_blocks(copy.paragraphs(rng, section, "brief", 1)))
    return blocks


def _live_page(
    plan: _Plan,
    *,
    rng: random.Random,
    home: HomePage,
    local: zoneinfo.ZoneInfo,
    sections: dict[str, Tag],
    topics: list[Tag],
    writers: list[Author],
    photos: list[Photo],
) -> LivePage:
    times = _posting_times(plan, rng, local)
    started = times[0] - timedelta(minutes=10)
    team = rng.sample(writers, k=min(3, len(writers)))
    key_points = [
        {"type": "point", "value": f"<p>{copy.headline(rng, plan.section, 'brief')}.</p>"}
        for _ in range(4)
    ]
    page = LivePage(
        title=plan.title,
        draft_title=plan.title,
        slug=plan.slug,
        dek=plan.dek,
        section=sections.get(plan.section),
        key_points=key_points,
        body=paragraph_blocks(copy.paragraphs(rng, plan.section, "article", 2)),
        coverage_status=CoverageStatus.ENDED if plan.ended else CoverageStatus.LIVE,
        coverage_started_at=started,
        coverage_ended_at=times[-1] + timedelta(minutes=20) if plan.ended else None,
        first_published_at=started,
        last_published_at=times[-1],
        live=True,
        lead_image=rng.choice(photos) if photos else None,
    )
    page.article_authors = [ArticleAuthor(author=a, sort_order=i) for i, a in enumerate(team)]
    page.tags = rng.sample(topics, k=min(2, len(topics)))
    home.add_child(instance=page)

    photo_at = set(rng.sample(range(plan.count), k=min(plan.count // 12, plan.count)))
    key_at = set(rng.sample(range(plan.count), k=8 if plan.count >= 40 else 3))
    # Pinned: an early scene-setter and the latest key event, as a live desk keeps them.
    pinned_at = {min(key_at), max(key_at)} if not plan.ended else set()
    updates = []
    for number, posted_at in enumerate(times, start=1):
        i = number - 1
        section = rng.choice(plan.update_sections)
        headline = ""
        if i in key_at or rng.random() < 0.55:
            headline = copy.headline(rng, section, "brief")
        updates.append(
            LiveUpdate(
                page=page,
                posted_at=posted_at,
                headline=headline[:255],
                body=_update_body(rng, section, photos, with_photo=i in photo_at),
                author=rng.choice(team) if team else None,
                is_pinned=i in pinned_at,
                is_key_event=i in key_at,
                created_sequence=number,
                sequence=number,
            )
        )
    LiveUpdate.objects.bulk_create(updates, batch_size=200)
    return page


# --- the ticker ---------------------------------------------------------------------


@dataclass
class TickResult:
    update: LiveUpdate | None = None
    brief: ArticlePage | None = None


def tick_demo_newsroom() -> None:
    """The worker's periodic job: keep the demo's live coverage and News Feed moving."""
    run_demo_ticker()


def run_demo_ticker(*, now: datetime | None = None) -> TickResult:
    """Post one update when the last is ``TICKER_UPDATE_EVERY`` old, and one brief when
    the newest brief is ``TICKER_BRIEF_EVERY`` old; nothing without the switch or the
    demo's ongoing live page.

    Each step asks whether it is due rather than trusting the schedule, so several
    workers, restarts or a slow run never post twice in a row.
    """
    result = TickResult()
    if not settings.MASTHEAD_DEMO_TICKER:
        return result
    page = (
        LivePage.objects.live()
        .filter(slug=ONGOING_SLUG, coverage_status=CoverageStatus.LIVE)
        .first()
    )
    if page is None:
        return result
    now = now or timezone.now()
    rng = random.Random(f"ticker-{now.isoformat()}")
    last = page.updates.visible().aggregate(last=Max("posted_at"))["last"]
    if last is None or now - last >= TICKER_UPDATE_EVERY:
        result.update = _post_update(page, rng=rng, now=now)
    home = page.get_parent().specific
    newest = (
        published_articles(page.get_site()).briefs().aggregate(newest=Max("published_at"))["newest"]
    )
    if isinstance(home, HomePage) and (newest is None or now - newest >= TICKER_BRIEF_EVERY):
        result.brief = _publish_brief(home, rng=rng, now=now)
    return result


def _post_update(page: LivePage, *, rng: random.Random, now: datetime) -> LiveUpdate:
    section = rng.choice(("war", "war", "world", "politics"))
    authors = [credit.author for credit in page.article_authors.select_related("author")]
    return post_live_update(
        page=page,
        headline=copy.headline(rng, section, "brief") if rng.random() < 0.6 else "",
        body=paragraph_blocks(copy.paragraphs(rng, section, "brief", 1)),
        author=rng.choice(authors) if authors else None,
        posted_at=now,
    )


def _publish_brief(home: HomePage, *, rng: random.Random, now: datetime) -> ArticlePage:
    section_slug = rng.choice(BRIEF_SECTIONS)
    section = Tag.objects.filter(slug=section_slug, is_section=True).first()
    headline = copy.headline(rng, section_slug, ArticleFormat.BRIEF)
    base = slugify(headline)[:60].strip("-") or "brief"
    slug = f"{base}-{now:%H%M}"
    while ArticlePage.objects.filter(slug=slug).exists():
        slug = f"{slug}-{rng.randint(2, 99)}"
    writer = (
        Author.objects.filter(credits__page__section__slug__in=["war", "politics"])
        .distinct()
        .order_by("?")
        .first()
    )
    brief = ArticlePage(
        title=headline,
        slug=slug,
        format=ArticleFormat.BRIEF,
        section=section,
        body=paragraph_blocks(copy.paragraphs(rng, section_slug, "brief", rng.randint(1, 2))),
        live=False,
    )
    with transaction.atomic():
        home.add_child(instance=brief)
        if writer is not None:
            ArticleAuthor.objects.create(page=brief, author=writer, sort_order=0)
        brief.save_revision().publish()
    brief.refresh_from_db()
    return brief
