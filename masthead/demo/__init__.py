"""The demo newsroom: a credible, fictional independent news site built from code.

Everything is generated from a seed (text by ``copy``, pictures by ``pictures``), so
two runs with the same seed build the same newsroom; only the dates follow the clock,
so the site always looks current. The same builder makes the large archives that the
benchmarks run against. Readers, tiers, drives and gated stories come from ``members``;
newsletters, their subscribers and recent sends from ``newsletters``.
"""

from __future__ import annotations

import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any, cast

from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page, Site

from masthead.contentapi.models import Integration
from masthead.contentapi.webhooks import suppressed
from masthead.membership.access import Visibility
from masthead.membership.models import Tier
from masthead.publishing.factories import image_block, paragraph_blocks
from masthead.publishing.listings import CARD_RENDITIONS
from masthead.publishing.models import (
    ArticleAuthor,
    ArticleFormat,
    ArticleNote,
    ArticlePage,
    Author,
    Desk,
    HomePage,
    HomeTopStory,
    Photo,
    SiteSettings,
    StandardPage,
    Tag,
    TeamPage,
    VideoIndexPage,
)
from masthead.staff.models import User

from . import copy, live, members, newsletters, pictures

SIZES = {
    # name: (articles and briefs, days of archive, pictures in the pool)
    "small": (340, 90, 48),
    "large": (20_000, 1_095, 120),
}
TOPIC_TAGS = [
    "Drones",
    "Energy",
    "Air defence",
    "Reconstruction",
    "Corruption",
    "Elections",
    "Sanctions",
    "Refugees",
    "Diplomacy",
    "Agriculture",
    "Human rights",
    "Cyber",
    "Economy",
    "Education",
    "Health",
    "Media",
]
# Share of each format among the stories that are not briefs.
STORY_FORMATS = [
    (ArticleFormat.ARTICLE, 50),
    (ArticleFormat.ANALYSIS, 10),
    (ArticleFormat.OPINION, 12),
    (ArticleFormat.EXPLAINER, 6),
    (ArticleFormat.INTERVIEW, 5),
    (ArticleFormat.INVESTIGATION, 5),
    (ArticleFormat.VIDEO, 12),
]
BRIEF_SHARE = 0.55
# The newest briefs come as a news desk files them: every 15-60 minutes by day, every
# one to two and a half hours at night (site time), over the last three days.
TRICKLE_HOURS = 72
TRICKLE_DAY_MINUTES = (15, 60)
TRICKLE_NIGHT_MINUTES = (60, 150)
SITE_TIMEZONE = "Europe/Kyiv"
# The renditions the default theme asks for (cards, and photos in article bodies),
# made while seeding so that the first visit does not wait for hundreds of resizes.
PHOTO_RENDITIONS = [*CARD_RENDITIONS, "width-640", "width-960", "width-1280"]
AVATAR_RENDITIONS = ["fill-96x96", "fill-240x240"]
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "masthead-demo"  # noqa: S105  # printed by `make demo`; demo data only


class DemoError(Exception):
    """The demo cannot be built here; the message says why and what to do."""


@dataclass
class DemoSummary:
    articles: int = 0
    briefs: int = 0
    videos: int = 0
    authors: int = 0
    sections: int = 0
    photos: int = 0
    corrections: int = 0
    members: int = 0
    gated: int = 0
    live_pages: int = 0
    live_updates: int = 0
    admin_username: str = DEMO_ADMIN_USERNAME
    admin_password: str = DEMO_ADMIN_PASSWORD
    integration: Integration | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def site_is_empty() -> bool:
    """True when nothing has been published or written yet (articles, authors, tags)."""
    return not (ArticlePage.objects.exists() or Author.objects.exists() or Tag.objects.exists())


def build_demo_newsroom(
    *,
    size: str = "small",
    seed: int = 1,
    progress: Callable[[int], object] | None = None,
    now: datetime | None = None,
    member_count: int | None = None,
    article_count: int | None = None,
    photo_count: int | None = None,
) -> DemoSummary:
    """Fill an empty site with the demo newsroom and return what was created.

    ``progress`` is called with the number of articles created since the last call,
    so a command can drive a progress bar; with it, signing up the members shows a
    progress bar of its own. ``member_count``, ``article_count`` and ``photo_count``
    override the size's numbers, so tests can build a smaller newsroom with the same mix.
    """
    if size not in SIZES:
        raise DemoError(f"Unknown size {size!r}; choose one of: {', '.join(SIZES)}.")
    if not site_is_empty():
        raise DemoError(
            "This site already has content; seed_demo only fills an empty site. "
            "Use a new database (e.g. remove var/) to build the demo again."
        )
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page.specific if site else None
    if not isinstance(home, HomePage):
        raise DemoError(
            "The default site's root page is not a masthead home page; run `masthead migrate` first."
        )

    count, days, pool_size = SIZES[size]
    count = count if article_count is None else article_count
    pool_size = pool_size if photo_count is None else photo_count
    rng = random.Random(seed)
    now = now or timezone.now()
    summary = DemoSummary()
    builder = _Builder(rng=rng, home=home, site=site, now=now, summary=summary, seed=seed)
    # A demo is an import, not news: tools listening for new posts hear nothing of it.
    with suppressed():
        with transaction.atomic():
            builder.settings_and_admin()
            builder.tiers = members.create_tiers()
            builder.people()
            builder.tags()
            builder.photo_pool(pool_size)
        builder.articles(count=count, days=days, progress=progress)
        with transaction.atomic():
            builder.pages()
            builder.live_coverage()
            builder.top_stories()
        builder.sign_up_members(
            count=members.MEMBERS[size] if member_count is None else member_count,
            show_progress=progress is not None,
        )
        builder.newsletters()
        builder.integration()
    return summary


class _Builder:
    def __init__(
        self,
        *,
        rng: random.Random,
        home: HomePage,
        site: Site,
        now: datetime,
        summary: DemoSummary,
        seed: int = 1,
    ) -> None:
        self.rng = rng
        self.seed = seed
        # Gating has its own dice, so the stories themselves are the same as without it.
        self.gate_rng = random.Random(f"{seed}-gating")
        self.tiers: dict[str, Tier] = {}
        self.article_refs: list[members.ArticleRef] = []
        self.home = home
        self.site = site
        self.now = now
        self.summary = summary
        self.authors: list[Author] = []
        self.writers_by_section: dict[str, list[Author]] = {}
        self.sections: dict[str, Tag] = {}
        self.topics: list[Tag] = []
        self.photos: list[Photo] = []
        self.used_slugs: set[str] = set()
        self.stories_by_section: dict[str, list[int]] = {}
        # Briefs' timing and the videos' details have dice of their own, so adding them
        # left every story's words as they were.
        self.brief_rng = random.Random(f"{seed}-briefs")
        self.video_rng = random.Random(f"{seed}-video")
        self.live_page: ArticlePage | None = None

    # --- identity -------------------------------------------------------------

    def integration(self) -> None:
        """An integration whose keys the demo prints, so the Ghost APIs can be tried at once."""
        self.summary.integration = Integration.objects.create(
            name="Demo static site",
            description="Keys for trying the Content and Admin APIs against the demo.",
        )

    def settings_and_admin(self) -> None:
        name = copy.PUBLICATION["name"]
        logo = self._photo(
            pictures.logo(name), title=f"{name} logo", filename="logo.png", caption="", credit=""
        )
        logo.get_renditions("height-56")
        self.site.site_name = name
        self.site.save(update_fields=["site_name"])
        self.home.title = name
        self.home.draft_title = name
        self.home.intro = copy.PUBLICATION["tagline"]
        self.home.save_revision().publish()
        handle = slugify(copy.PUBLICATION.get("short_name", name)).replace("-", "")
        settings, _ = SiteSettings.objects.get_or_create(site=self.site)
        settings.publication_name = name
        settings.tagline = copy.PUBLICATION["tagline"]
        settings.logo = logo
        settings.timezone = SITE_TIMEZONE
        settings.accent_colour = "#B42318"
        settings.copyright_holder = name
        settings.footer_text = f"<p>{copy.PUBLICATION['about']}</p>"
        settings.x_url = f"https://x.com/{handle}"
        settings.facebook_url = f"https://www.facebook.com/{handle}"
        settings.instagram_url = f"https://www.instagram.com/{handle}"
        settings.youtube_url = f"https://www.youtube.com/@{handle}"
        settings.telegram_url = f"https://t.me/{handle}"
        settings.save()
        if not User.objects.filter(username=DEMO_ADMIN_USERNAME).exists():
            User.objects.create_superuser(
                username=DEMO_ADMIN_USERNAME,
                email="admin@example.org",
                password=DEMO_ADMIN_PASSWORD,
                first_name="Demo",
                last_name="Editor",
            )

    def people(self) -> None:
        desks = {
            name: Desk.objects.create(name=name, sort_order=i) for i, name in enumerate(copy.DESKS)
        }
        for i, person in enumerate(copy.AUTHORS):
            avatar = self._photo(
                pictures.avatar(person["name"], self.rng),
                title=person["name"],
                filename=f"{person['slug']}.png",
                caption="",
                credit="",
                description=f"Portrait of {person['name']}",
            )
            avatar.get_renditions(*AVATAR_RENDITIONS)
            author = Author.objects.create(
                name=person["name"],
                slug=person["slug"],
                job_title=person["job_title"],
                bio=person["bio"],
                location=person.get("location", ""),
                x_handle=person.get("x_handle", ""),
                bluesky_handle=person.get("bluesky_handle", ""),
                avatar=avatar,
                desk=desks.get(person["desk"]),
                team_order=i,
            )
            self.authors.append(author)
            if person.get("writes", "yes") == "yes":
                self.writers_by_section.setdefault(person.get("section", ""), []).append(author)
        self.writers = [
            a
            for a, p in zip(self.authors, copy.AUTHORS, strict=True)
            if p.get("writes", "yes") == "yes"
        ]
        self.summary.authors = len(self.authors)

    def tags(self) -> None:
        for i, section in enumerate(copy.SECTIONS):
            self.sections[section["slug"]] = Tag.objects.create(
                name=section["name"],
                slug=section["slug"],
                description=section["description"],
                accent_colour=section["colour"],
                is_section=True,
                nav_order=i,
            )
        self.topics = [Tag.objects.create(name=name, slug=slugify(name)) for name in TOPIC_TAGS]
        self.summary.sections = len(self.sections)

    def photo_pool(self, size: int) -> None:
        section_slugs = [s["slug"] for s in copy.SECTIONS]
        moods = ["day", "dusk", "night", "overcast"]
        for i in range(size):
            section = section_slugs[i % len(section_slugs)]
            caption = copy.image_caption(self.rng, section)
            photo = self._photo(
                pictures.photo(self.rng, mood=moods[i % len(moods)]),
                title=caption[:80],
                filename=f"photo-{i + 1:03d}.jpg",
                caption=caption,
                credit=copy.image_credit(self.rng),
                description="Illustration: " + caption,
            )
            photo.demo_section = section
            photo.get_renditions(*PHOTO_RENDITIONS)
            self.photos.append(photo)
        self.summary.photos = len(self.photos)

    def _photo(
        self,
        content: bytes,
        *,
        title: str,
        filename: str,
        caption: str,
        credit: str,
        description: str = "",
    ) -> Photo:
        photo = Photo(title=title, caption=caption, credit=credit, description=description or title)
        photo.file = ImageFile(BytesIO(content), name=filename)
        photo.save()
        return photo

    # --- articles ---------------------------------------------------------------

    def _times(self, count: int, days: int) -> list[datetime]:
        """Publication times, denser in recent days, all in the past, oldest first."""
        span = days * 86_400
        offsets = sorted((self.rng.random() ** 1.6) * span for _ in range(count))
        return [self.now - timedelta(seconds=int(offset) + 120) for offset in reversed(offsets)]

    def _slug(self, headline: str) -> str:
        base = slugify(headline)[:70].strip("-") or "story"
        slug = base
        n = 2
        while slug in self.used_slugs:
            slug = f"{base}-{n}"
            n += 1
        self.used_slugs.add(slug)
        return slug

    def _format(self) -> str:
        if self.rng.random() < BRIEF_SHARE:
            return ArticleFormat.BRIEF
        formats, weights = zip(*STORY_FORMATS, strict=True)
        return str(self.rng.choices(formats, weights=weights)[0])

    def articles(self, *, count: int, days: int, progress: Callable[[int], object] | None) -> None:
        times = self._times(count, days)
        formats = [self._format() for _ in times]
        # A guaranteed dozen videos, whatever the dice say.
        video_slots = [i for i, f in enumerate(formats) if f == ArticleFormat.VIDEO]
        for i in range(len(formats) - 1, -1, -1):
            if len(video_slots) >= 12:
                break
            if formats[i] == ArticleFormat.ARTICLE:
                formats[i] = ArticleFormat.VIDEO
                video_slots.append(i)
        times, formats, breaking = self._trickle_briefs(times, formats)
        gated = members.choose_gated(formats, rng=self.gate_rng)
        chunk = 200
        for start in range(0, count, chunk):
            with transaction.atomic():
                for i in range(start, min(start + chunk, count)):
                    self._article(
                        when=times[i],
                        fmt=formats[i],
                        visibility=gated.get(i, Visibility.PUBLIC),
                        is_breaking=i == breaking,
                    )
            if progress:
                progress(min(chunk, count - start))
        # Scheduled publishing, visible in the admin and run by the worker.
        self._scheduled_article()

    def _trickle_times(self, count: int) -> list[datetime]:
        """Up to ``count`` brief times, newest first, the first four in the last two hours."""
        rng = self.brief_rng
        local = zoneinfo.ZoneInfo(SITE_TIMEZONE)
        times = [self.now - timedelta(minutes=rng.uniform(2, 6))]
        while len(times) < count:
            if len(times) < 4:
                gap = rng.uniform(8, 28)
            else:
                night = times[-1].astimezone(local).hour < 7
                gap = rng.uniform(*(TRICKLE_NIGHT_MINUTES if night else TRICKLE_DAY_MINUTES))
            moment = times[-1] - timedelta(minutes=gap)
            if self.now - moment > timedelta(hours=TRICKLE_HOURS):
                break
            times.append(moment)
        return times

    def _trickle_briefs(
        self, times: list[datetime], formats: list[str]
    ) -> tuple[list[datetime], list[str], int]:
        """Retime the newest briefs as a steady trickle; flag the second newest as breaking.

        Returns the times and formats, oldest first again, and the breaking brief's index.
        """
        slots = [i for i, fmt in enumerate(formats) if fmt == ArticleFormat.BRIEF]
        trickle = self._trickle_times(len(slots))
        moved = dict(zip(reversed(slots), trickle, strict=False))
        retimed = [moved.get(i, when) for i, when in enumerate(times)]
        order = sorted(range(len(times)), key=lambda i: retimed[i])
        breaking_at = trickle[1] if len(trickle) > 1 else None
        breaking = next((n for n, i in enumerate(order) if retimed[i] == breaking_at), -1)
        return [retimed[i] for i in order], [formats[i] for i in order], breaking

    def _section_for(self, fmt: str) -> str:
        if fmt == ArticleFormat.OPINION:
            return "opinion"
        if fmt == ArticleFormat.VIDEO:
            return "video"
        if fmt == ArticleFormat.INVESTIGATION:
            return "investigations"
        choices = [s for s in self.sections if s not in {"opinion", "video", "investigations"}]
        weights = [
            5 if s == "war" else 3 if s in {"politics", "business", "world"} else 1 for s in choices
        ]
        return self.rng.choices(choices, weights=weights)[0]

    def _byline(self, section: str, fmt: str) -> list[Author]:
        pool = self.writers_by_section.get(section) or self.writers
        if fmt == ArticleFormat.BRIEF:
            pool = (
                self.writers_by_section.get("war", []) + self.writers_by_section.get("politics", [])
                or pool
            )
        first = self.rng.choice(pool)
        if fmt != ArticleFormat.BRIEF and self.rng.random() < 0.18:
            second = self.rng.choice(self.writers)
            if second != first:
                return [first, second]
        return [first]

    def _pick_photo(self, section: str) -> Photo:
        matching = [p for p in self.photos if getattr(p, "demo_section", "") == section]
        return self.rng.choice(matching or self.photos)

    def _body(self, section: str, fmt: str) -> list[dict[str, Any]]:
        rng = self.rng
        if fmt == ArticleFormat.BRIEF:
            return paragraph_blocks(copy.paragraphs(rng, section, fmt, rng.randint(1, 3)))
        count = rng.randint(6, 12) if fmt != ArticleFormat.INVESTIGATION else rng.randint(14, 22)
        texts = copy.paragraphs(rng, section, fmt, count)
        blocks: list[dict[str, Any]] = []
        heading_at = {rng.randint(3, max(3, count - 2))} if count > 6 else set()
        image_at = rng.randint(2, count - 1) if rng.random() < 0.45 else -1
        quote_at = rng.randint(2, count - 1) if rng.random() < 0.4 else -1
        read_also_at = 2 if rng.random() < 0.6 else -1
        for i, text in enumerate(texts):
            if i in heading_at:
                blocks.append(
                    {
                        "type": "heading",
                        "value": {"text": copy.subheading(rng, section), "level": "h2"},
                    }
                )
            blocks.extend(paragraph_blocks([text]))
            if i == image_at:
                blocks.append(image_block(self._pick_photo(section)))
            if i == quote_at:
                quote, attribution = copy.pull_quote(rng, section)
                blocks.append(
                    {"type": "pull_quote", "value": {"quote": quote, "attribution": attribution}}
                )
            if i == read_also_at:
                earlier = self.stories_by_section.get(section) or []
                if earlier:
                    blocks.append(
                        {
                            "type": "read_also",
                            "value": {"article": rng.choice(earlier[-40:]), "label": "Read also"},
                        }
                    )
        if fmt == ArticleFormat.ANALYSIS and rng.random() < 0.3:
            blocks.insert(
                0,
                {
                    "type": "editors_note",
                    "value": {
                        "text": "<p>This analysis reflects the reporting and judgement of its author.</p>"
                    },
                },
            )
        return blocks

    def _article(
        self,
        *,
        when: datetime,
        fmt: str,
        visibility: str = Visibility.PUBLIC,
        is_breaking: bool = False,
    ) -> ArticlePage:
        rng = self.rng
        section = self._section_for(fmt)
        headline = copy.headline(rng, section, fmt)
        is_brief = fmt == ArticleFormat.BRIEF
        dek = "" if is_brief else copy.dek(rng, section, fmt)
        body = self._body(section, fmt)
        if visibility != Visibility.PUBLIC:
            # Set before the first save, so the search index only ever sees the preview.
            body = members.add_paywall(body, rng=self.gate_rng)
        page = ArticlePage(
            title=headline,
            draft_title=headline,
            slug=self._slug(headline),
            dek=dek,
            format=fmt,
            section=self.sections[section],
            body=body,
            visibility=visibility,
            first_published_at=when,
            last_published_at=when,
            live=True,
            is_featured=not is_brief and rng.random() < 0.08,
            is_breaking=is_breaking,
        )
        if not is_brief or rng.random() < 0.15:
            page.lead_image = self._pick_photo(section)
        if fmt == ArticleFormat.VIDEO:
            page.lead_video_url = f"https://www.youtube.com/watch?v={self._video_id()}"
            page.title = page.draft_title = copy.video_title(rng)
            page.dek = copy.video_description(rng)
            self._video_details(page)
        page.article_authors = [
            ArticleAuthor(author=author, sort_order=i)
            for i, author in enumerate(self._byline(section, fmt))
        ]
        page.tags = rng.sample(self.topics, k=rng.randint(0, 3))
        if visibility == Visibility.TIERS:
            page.tiers = [self.tiers["patron"]]
        if not is_brief and rng.random() < 0.04:
            page.notes = self._notes(when)
            page.updated_at = max(note.noted_at for note in page.notes.all())
            self.summary.corrections += 1
        self.home.add_child(instance=page)
        self.article_refs.append(
            members.ArticleRef(
                published_at=when, page_id=page.pk, gated=visibility != Visibility.PUBLIC
            )
        )
        if visibility != Visibility.PUBLIC:
            self.summary.gated += 1
        if is_brief:
            self.summary.briefs += 1
        else:
            self.summary.articles += 1
            self.stories_by_section.setdefault(section, []).append(page.pk)
        if fmt == ArticleFormat.VIDEO:
            self.summary.videos += 1
        return page

    def _notes(self, when: datetime) -> list[ArticleNote]:
        rng = self.rng
        kind = rng.choice(list(ArticleNote.Kind))
        text = {
            ArticleNote.Kind.CORRECTION: copy.correction,
            ArticleNote.Kind.CLARIFICATION: copy.clarification,
            ArticleNote.Kind.UPDATE: copy.update_note,
        }[kind](rng)
        noted_at = min(self.now, when + timedelta(hours=rng.randint(2, 40)))
        return [ArticleNote(kind=kind, noted_at=noted_at, text=f"<p>{text}</p>")]

    def _video_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
        return "".join(self.rng.choice(alphabet) for _ in range(11))

    def _video_details(self, page: ArticlePage) -> None:
        """Duration for every video, a Vimeo address for some, a transcript for many."""
        rng = self.video_rng
        documentary = "Documentary" in page.title
        seconds = rng.randint(900, 2400) if documentary else rng.randint(75, 720)
        page.video_duration = timedelta(seconds=seconds)
        if rng.random() < 0.25:
            page.lead_video_url = f"https://vimeo.com/{rng.randint(100_000_000, 999_999_999)}"
        if rng.random() < 0.5:
            lines = copy.paragraphs(rng, "video", ArticleFormat.VIDEO, rng.randint(3, 5))
            page.video_transcript = "\n\n".join(lines)

    def _scheduled_article(self) -> None:
        section = "politics"
        headline = copy.headline(self.rng, section, ArticleFormat.ARTICLE)
        page = ArticlePage(
            title=headline,
            slug=self._slug(headline),
            dek=copy.dek(self.rng, section, ArticleFormat.ARTICLE),
            section=self.sections[section],
            body=self._body(section, ArticleFormat.ARTICLE),
            live=False,
            lead_image=self._pick_photo(section),
            go_live_at=self.now + timedelta(minutes=5),
        )
        page.article_authors = [
            ArticleAuthor(author=self._byline(section, ArticleFormat.ARTICLE)[0])
        ]
        self.home.add_child(instance=page)
        page.save_revision().publish()
        self.summary.extra["scheduled"] = page.slug

    # --- members ----------------------------------------------------------------

    def sign_up_members(self, *, count: int, show_progress: bool) -> None:
        admin = User.objects.filter(username=DEMO_ADMIN_USERNAME).first()
        result = members.build_members(
            count=count,
            seed=self.seed,
            now=self.now,
            site=self.site,
            tiers=self.tiers,
            articles=self.article_refs,
            actor_id=admin.pk if admin else None,
            show_progress=show_progress,
        )
        self.summary.members = result.members
        self.summary.extra["members"] = result

    def newsletters(self) -> None:
        admin = User.objects.filter(username=DEMO_ADMIN_USERNAME).first()
        settings = SiteSettings.objects.get(site=self.site)
        self.summary.extra["newsletters"] = newsletters.build_newsletters(
            seed=self.seed,
            now=self.now,
            home=self.home,
            timezone_name=settings.timezone or "UTC",
            actor_id=admin.pk if admin else None,
        )

    # --- pages ------------------------------------------------------------------

    def pages(self) -> None:
        for slug in ("about", "contact", "corrections-policy", "ethics"):
            content = copy.STANDARD_PAGES[slug]
            paragraphs = cast(list[str], content["paragraphs"])
            page = StandardPage(
                title=str(content["title"]),
                slug=slug,
                intro=str(content["intro"]),
                body=paragraph_blocks(paragraphs),
            )
            self.home.add_child(instance=page)
            page.save_revision().publish()
        team = copy.STANDARD_PAGES["team"]
        team_page = TeamPage(title=str(team["title"]), slug="team", intro=str(team["intro"]))
        self.home.add_child(instance=team_page)
        team_page.save_revision().publish()
        video_section = next(s for s in copy.SECTIONS if s["slug"] == "video")
        video_page = VideoIndexPage(
            title=video_section["name"], slug="video", intro=video_section["description"]
        )
        self.home.add_child(instance=video_page)
        video_page.save_revision().publish()
        settings = SiteSettings.objects.get(site=self.site)
        # The Video link leads to the Video page (players, durations), not the tag's list.
        settings.navigation = [
            ("link", {"label": video_page.title, "page": video_page, "url": ""})
            if slug == "video"
            else ("section", tag)
            for slug, tag in self.sections.items()
        ]
        footer = []
        targets = {}
        for slug in ("about", "team", "contact", "corrections-policy", "ethics"):
            target = Page.objects.get(slug=slug, depth=self.home.depth + 1)
            targets[slug] = target
            footer.append(("link", {"label": target.title, "page": target, "url": ""}))
        settings.footer_links = footer
        # Search engines are told of both policies (the home page's structured data).
        settings.corrections_policy_page = targets["corrections-policy"]
        settings.ethics_policy_page = targets["ethics"]
        settings.save()

    def live_coverage(self) -> None:
        summary, self.live_page = live.build_live_pages(
            home=self.home,
            now=self.now,
            seed=self.seed,
            sections=self.sections,
            topics=self.topics,
            writers_by_section=self.writers_by_section,
            photos=self.photos,
            timezone_name=SITE_TIMEZONE,
        )
        self.summary.live_pages = summary.pages
        self.summary.live_updates = summary.updates

    def top_stories(self) -> None:
        # Lead with reporting, as a news desk would: news, analysis, investigations.
        latest = list(
            ArticlePage.objects.live()
            .filter(
                format__in=[
                    ArticleFormat.ARTICLE,
                    ArticleFormat.ANALYSIS,
                    ArticleFormat.INVESTIGATION,
                ]
            )
            .exclude(lead_image=None)
            .order_by("-published_at")[:5]
        )
        # The ongoing live coverage leads, as it would on a day of breaking news.
        lead = [self.live_page] if self.live_page is not None else []
        HomeTopStory.objects.bulk_create(
            HomeTopStory(page=self.home, article=article, sort_order=i)
            for i, article in enumerate([*lead, *latest])
        )
