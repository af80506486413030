"""The queries behind every page that lists articles.

Each function fetches what its template shows in a fixed number of queries, whatever
the size of the archive; the query-count tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    CharField,
    F,
    IntegerField,
    Prefetch,
    Q,
    Value,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.http import HttpRequest
from wagtail.models import Site

from masthead.membership.access import Visibility
from masthead.membership.payments import payments_enabled

from .chrome import installed
from .gating import ArticleAccess
from .models import (
    ArticleAuthor,
    ArticleFormat,
    ArticlePage,
    Author,
    CoverageStatus,
    HomePage,
    LiveUpdate,
    PhotoRendition,
    Tag,
    VideoIndexPage,
)
from .paging import Batch, Cursor, paginate
from .structured_data import article_json_ld

LISTING_SIZE = 12
NEWS_FEED_SIDEBAR_SIZE = 8
# The first batch of /news-feed/ (views.news_feed).
NEWS_FEED_PAGE_SIZE = 20
RELATED_SIZE = 4
VIDEO_STRIP_SIZE = 6
# The home page's "Live" block: the ongoing coverage shown, and the updates of each.
HOME_LIVE_PAGES = 2
HOME_LIVE_UPDATES = 3
# The sizes article cards ask for (components/article_card.html). Prefetching only
# these, not every size a photo was ever cut to, keeps listings light; a size missing
# here still works, at the cost of a query.
CARD_RENDITIONS = [
    "fill-640x360",
    "fill-960x540",
    "fill-1280x720",
    "fill-480x270",
    "fill-800x450",
    "fill-240x160",
]


def indexed_articles(site: Site | None = None) -> Any:
    """Live, dated, listed articles of ``site``, filtered only as a search backend can.

    A search backend filters on indexed fields alone, so this leaves out the privacy check
    of ``published_articles``; whatever it finds must be checked against that before it is
    shown.
    """
    articles = ArticlePage.objects.live().listed().filter(published_at__isnull=False)
    return articles.in_site(site) if site is not None else articles


def published_articles(site: Site | None = None) -> Any:
    """Live, dated, listed articles of ``site`` (all sites when ``None``).

    Every listing, feed and search starts here, so email-only articles, and articles under
    Wagtail's privacy settings, stay off them all.
    """
    return indexed_articles(site).unrestricted()


def live_articles(site: Site | None = None) -> Any:
    """Published articles of ``site`` (all sites when ``None``), ready for cards.

    ``live_status`` is the coverage status of a live page (None for other formats), read
    in the same query, so a card can say "Live" without a query of its own.
    """
    return (
        published_articles(site)
        .for_listing()
        .annotate(live_status=F("livepage__coverage_status"))
        # A video card shows the running time, which may come from the uploaded file.
        .select_related("lead_video_file")
        .prefetch_related(
            Prefetch(
                "lead_image__renditions",
                queryset=PhotoRendition.objects.filter(filter_spec__in=CARD_RENDITIONS),
            )
        )
    )


def site_for(request: HttpRequest | None) -> Site | None:
    return Site.find_for_request(request) if request is not None else None


def listing_batch(
    articles: Any, request: HttpRequest, *, size: int = LISTING_SIZE, any_of: list[Q] | None = None
) -> Batch:
    """One "Show More" batch; a missing or malformed ``before`` gives the first page."""
    cursor = Cursor.decode(request.GET.get("before"))
    return paginate(articles, cursor=cursor, size=size, any_of=any_of)


def latest_updates_of(
    page_ids: Iterable[int], *, per_page: int, fields: Iterable[str] = ()
) -> dict[int, list[LiveUpdate]]:
    """The ``per_page`` newest visible updates of each live page, in one query for all.

    A window numbers each page's updates newest first and the query keeps the first few,
    so the cost does not grow with the number of updates. ``fields`` limits the columns
    read (all when empty).
    """
    ids = list(page_ids)
    if not ids:
        return {}
    newest = [F("posted_at").desc(), F("pk").desc()]
    updates = (
        LiveUpdate.objects.filter(page_id__in=ids)
        .visible()
        .annotate(place=Window(RowNumber(), partition_by=[F("page_id")], order_by=newest))
        .filter(place__lte=per_page)
        .order_by("page_id", "place")
    )
    if fields:
        updates = updates.only("page_id", "posted_at", *fields)
    by_page: dict[int, list[LiveUpdate]] = {pk: [] for pk in ids}
    for update in updates:
        by_page[update.page_id].append(update)
    return by_page


@dataclass(frozen=True)
class LiveLine:
    """One update as the home page's "Live" block lists it: its time, words and permalink."""

    posted_at: datetime
    text: str
    url: str


@dataclass(frozen=True)
class OngoingCoverage:
    page: ArticlePage
    updates: list[LiveLine]


def ongoing_coverage(site: Site | None) -> list[OngoingCoverage]:
    """Live coverage still running on ``site``, newest first, with its latest updates.

    Two queries: the pages, then their updates. Ended coverage is an ordinary story.
    """
    pages = list(
        published_articles(site)
        .live_coverage()
        .filter(livepage__coverage_status=CoverageStatus.LIVE)
        .select_related("section")
        .defer("body")
        .newest_first()[:HOME_LIVE_PAGES]
    )
    updates = latest_updates_of(
        [page.pk for page in pages], per_page=HOME_LIVE_UPDATES, fields=("headline", "body")
    )
    coverage = []
    for page in pages:
        url = page.url or ""
        lines = [
            LiveLine(posted_at=update.posted_at, text=str(update), url=update.permalink(url))
            for update in updates.get(page.pk, [])
        ]
        coverage.append(OngoingCoverage(page=page, updates=lines))
    return coverage


def home_page_context(home: HomePage, request: HttpRequest | None = None) -> dict[str, Any]:
    """Top stories, latest, per-section blocks, News Feed and video strip of the home page.

    Each block first picks its article ids with a cheap indexed query (one per
    section); then one query plus two prefetches loads every card. The count depends
    on the number of sections, never on the size of the archive. Ongoing live coverage
    leads the page in a block of its own and is not repeated in the automatic blocks.
    """
    site = site_for(request) if request is not None else home.get_site()
    ids = published_articles(site).stories().newest_first().values_list("pk", flat=True)
    live_coverage = ongoing_coverage(site)
    live_ids = {coverage.page.pk for coverage in live_coverage}

    curated = [row.article_id for row in home.top_stories.all()]
    live_curated = set(ids.filter(pk__in=curated))
    top_ids = [pk for pk in curated if pk in live_curated]
    if len(top_ids) < 5:
        # An editor who curated fewer than five still gets a full top block.
        top_ids += list(ids.exclude(pk__in={*top_ids, *live_ids})[: 5 - len(top_ids)])
    shown = {*top_ids, *live_ids}
    latest_ids = list(ids.exclude(pk__in=shown)[:8])
    shown.update(latest_ids)
    sections = list(Tag.objects.sections().public())
    section_ids = {
        section.pk: list(
            ids.exclude(pk__in=shown).filter(section=section)[: home.stories_per_section]
        )
        for section in sections
    }
    video_ids = list(ids.filter(format=ArticleFormat.VIDEO)[:VIDEO_STRIP_SIZE])

    wanted = {
        *top_ids,
        *latest_ids,
        *video_ids,
        *(pk for group in section_ids.values() for pk in group),
    }
    cards = {article.pk: article for article in live_articles(site).filter(pk__in=wanted)}

    def pick(pks: Iterable[int]) -> list[ArticlePage]:
        return [cards[pk] for pk in pks if pk in cards]

    by_section = [(section, pick(section_ids[section.pk])) for section in sections]
    return {
        "live_coverage": live_coverage,
        "top_stories": pick(top_ids),
        "latest_stories": pick(latest_ids),
        "sections_with_articles": [(section, items) for section, items in by_section if items],
        "news_feed": batch_of(news_feed_first_page(site, home.news_feed_size), home.news_feed_size),
        "videos": pick(video_ids),
        # The strip's heading links to the Video section, when the newsroom has one.
        "video_page": (VideoIndexPage.objects.live().child_of(home).first() if video_ids else None),
    }


def authors_directory() -> dict[int, Author]:
    """Every byline identity with its avatar and the avatar's renditions, by id.

    A newsroom has tens or hundreds of authors and any change to one bumps ``site``, so
    the whole set is one shared value: an article's bylines then cost no query beyond
    the ids read with its tags (``_article_links``).
    """
    from . import pagecache

    def build() -> dict[int, Author]:
        authors = list(Author.objects.select_related("avatar"))
        prefetch_related_objects(
            [author.avatar for author in authors if author.avatar is not None], "renditions"
        )
        return {author.pk: author for author in authors}

    return pagecache.memoize("authors-directory", ["site"], build)


def _article_links(article: ArticlePage) -> None:
    """Read an article's byline, tags and tiers in one query, and keep them on it.

    Three prefetches (bylines, tags, tiers) become one ``UNION ALL`` of small rows;
    ``ordered_authors``, ``public_tag_names`` and ``tier_ids`` then read no more.
    """
    text = CharField()
    number = IntegerField()
    bylines = ArticleAuthor.objects.filter(page_id=article.pk).values_list(
        Value("author", output_field=text),
        "author_id",
        "sort_order",
        Value("", output_field=text),
        Value("", output_field=text),
    )
    tags = (
        ArticlePage.tags.through.objects.filter(articlepage_id=article.pk)
        .order_by()
        .values_list(
            Value("tag", output_field=text),
            "tag_id",
            Value(0, output_field=number),
            "tag__name",
            "tag__visibility",
        )
    )
    tiers = (
        ArticlePage.tiers.through.objects.filter(articlepage_id=article.pk)
        .order_by()
        .values_list(
            Value("tier", output_field=text),
            "tier_id",
            Value(0, output_field=number),
            Value("", output_field=text),
            Value("", output_field=text),
        )
    )
    rows = list(bylines.order_by().union(tags, tiers, all=True))
    directory = authors_directory()
    ordered = sorted((row for row in rows if row[0] == "author"), key=lambda row: (row[2], row[1]))
    article.__dict__["ordered_authors"] = [
        directory[row[1]] for row in ordered if row[1] in directory
    ]
    article.__dict__["public_tag_names"] = sorted(
        (row[3] for row in rows if row[0] == "tag" and row[4] == Tag.Visibility.PUBLIC),
    )
    article.__dict__["tier_ids"] = (
        [row[1] for row in rows if row[0] == "tier"]
        if article.visibility == Visibility.TIERS
        else []
    )


def news_feed_first_page(site: Site | None, size: int) -> list[ArticlePage]:
    """The newest briefs as cards, shared by every page that shows the News Feed's top.

    One value under ``listing`` holds the longest first page any page asks for; each
    page slices its own.
    """
    from . import pagecache

    longest = max(size, NEWS_FEED_PAGE_SIZE, NEWS_FEED_SIDEBAR_SIZE + 1) + 1

    def build() -> list[ArticlePage]:
        return list(live_articles(site).briefs().newest_first()[:longest])

    key = f"news-feed-top:{site.pk if site is not None else 'all'}:{longest}"
    return pagecache.memoize(key, ["listing"], build)


def batch_of(items: list[ArticlePage], size: int) -> Batch:
    """A first-page ``Batch`` cut from a longer list kept newest first."""
    page = items[:size]
    next_cursor = None
    last = page[-1] if page else None
    if len(items) > size and last is not None and last.published_at is not None:
        next_cursor = Cursor(published_at=last.published_at, pk=last.pk)
    return Batch(items=page, next_cursor=next_cursor)


def related_in_section(site: Site | None, section_id: int) -> list[ArticlePage]:
    """The newest stories of a section as cards, shared by every article filed there."""
    from . import pagecache

    def build() -> list[ArticlePage]:
        return list(
            live_articles(site)
            .stories()
            .filter(section_id=section_id)
            .newest_first()[: RELATED_SIZE + 1]
        )

    key = f"related:{site.pk if site is not None else 'all'}:{section_id}"
    return pagecache.memoize(key, ["listing"], build)


def article_page_context(
    article: ArticlePage, *, access: ArticleAccess, request: HttpRequest | None = None
) -> dict[str, Any]:
    """Bylines, the body the reader may see, structured data and sidebars of one article.

    On a cache miss the article itself costs one query (``ArticlePageQuerySet.for_page``)
    and its bylines, tags and tiers one more; the sidebars are shared values under
    ``listing`` and the site's furniture comes with the chrome.
    """
    if request is None or getattr(request, "is_preview", False):
        # In previews the bylines are unsaved in-memory rows.
        credits = article.article_authors.all().select_related("author__avatar")
        authors = [credit.author for credit in credits]
    else:
        _article_links(article)
        authors = article.ordered_authors
    site = site_for(request) if request is not None else article.get_site()
    related: list[ArticlePage] = []
    if article.section_id:
        related = [
            card for card in related_in_section(site, article.section_id) if card.pk != article.pk
        ][:RELATED_SIZE]
    briefs = [card for card in news_feed_first_page(site, 0) if card.pk != article.pk]
    news_feed = batch_of(briefs, NEWS_FEED_SIDEBAR_SIZE)
    paywall: dict[str, Any] | None = None
    if not access.can_read:
        paywall = paywall_context(request, article, access=access)
    return {
        "authors": authors,
        # Notes quote the story they correct, so they are gated with it.
        "notes": article.published_notes if access.can_read else [],
        "related_articles": related,
        "news_feed": news_feed,
        "access": access,
        "body_blocks": access.blocks,
        "paywall": paywall,
        "json_ld": article_json_ld(article, authors=authors, access=access, request=request),
    }


def paywall_context(
    request: HttpRequest | None, article: ArticlePage, *, access: ArticleAccess
) -> dict[str, Any]:
    """What the call to action under a free preview shows (the same for every such reader)."""
    from masthead.membership.models import MembershipSettings, Tier

    config = MembershipSettings.for_request(request) if request is not None else None
    chrome = installed(request)
    tiers = chrome.offered_tiers if chrome is not None else list(Tier.objects.offered())
    if article.visibility == Visibility.TIERS:
        allowed = set(article.tier_ids)
        tiers = [tier for tier in tiers if tier.pk in allowed]
    elif article.visibility == Visibility.PAID or access.reader.is_member:
        tiers = [tier for tier in tiers if not tier.is_free]
    return {
        "heading": config.paywall_heading if config else "",
        "text": config.paywall_text if config else "",
        "tiers": tiers,
        "allow_signup": config.allow_signup if config else True,
        "needs_paid": article.visibility != Visibility.MEMBERS,
        "reader_is_member": access.reader.is_member,
        "reader_has_paid_access": access.reader.has_paid_access,
        "payments_enabled": payments_enabled(),
        "meter": access.meter,
    }


def team_page_context() -> dict[str, Any]:
    """Everyone on the Team page, grouped by desk in the desks' order."""
    groups: list[tuple[str, list[Author]]] = []
    people = Author.objects.on_team_page().prefetch_related("avatar__renditions")
    for person in people:
        desk = person.desk.name if person.desk else ""
        if not groups or groups[-1][0] != desk:
            groups.append((desk, []))
        groups[-1][1].append(person)
    return {"desks": groups}
