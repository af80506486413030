"""The queries behind every page that lists articles.

Each function fetches what its template shows in a fixed number of queries, whatever
the size of the archive; the query-count tests hold them to it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Aggregate,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Concat, RowNumber
from django.db.models.query import ModelIterable
from django.http import HttpRequest
from wagtail.images.models import Filter
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
    Photo,
    PhotoRendition,
    Tag,
    VideoIndexPage,
)
from .paging import Batch, Cursor, paginate

LISTING_SIZE = 12
NEWS_FEED_SIDEBAR_SIZE = 8
# The first batch of /news-feed/ (views.news_feed).
NEWS_FEED_PAGE_SIZE = 20
RELATED_SIZE = 4
VIDEO_STRIP_SIZE = 6
# The home page's "Live" block: the ongoing coverage shown, and the updates of each.
HOME_LIVE_PAGES = 2
HOME_LIVE_UPDATES = 3
# The home page's top block (filled up to this from the newest stories when an editor
# curated fewer), the most an editor may curate (``HomePage.top_stories``), and the
# "Latest" block.
TOP_STORIES = 5
MAX_CURATED = 7
LATEST_SIZE = 8
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


class _Joined(Aggregate):
    """Text values joined with commas, in no particular order."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(%(expressions)s, ',')",
        )


def _byline_keys() -> Subquery:
    """An article's credits as ``"<sort order>:<author id>,…"``, read within its card's row.

    The names come from the shared authors directory (``authors_directory``), so a listing
    needs no query of its own for its bylines.
    """
    credits = (
        ArticleAuthor.objects.filter(page_id=OuterRef("pk"))
        .order_by()
        .values("page_id")
        .annotate(
            keys=_Joined(
                Concat(
                    Cast("sort_order", CharField()),
                    Value(":"),
                    Cast("author_id", CharField()),
                    output_field=CharField(),
                )
            )
        )
        .values("keys")
    )
    return Subquery(credits, output_field=TextField())


_CARD_FILTERS = [Filter(spec=spec) for spec in CARD_RENDITIONS]


def attach_bylines(cards: list[ArticlePage]) -> None:
    """Give each card its ``ordered_authors`` from ``byline_keys`` and the authors directory."""
    if not cards:
        return
    directory = authors_directory()
    for card in cards:
        pairs = sorted(
            # A credit saved without a position (``sort_order`` is NULL) sorts first.
            (int(order or -1), int(author_id))
            for order, _sep, author_id in (
                key.partition(":") for key in (getattr(card, "byline_keys", None) or "").split(",")
            )
            if author_id
        )
        card.__dict__["ordered_authors"] = [
            directory[author_id] for _order, author_id in pairs if author_id in directory
        ]


def attach_card_renditions(cards: list[ArticlePage]) -> None:
    """Hand each card's lead photo the renditions cards use, at most one query for all.

    Renditions never change once made, and Wagtail keeps each one in the ``renditions``
    cache under its own key. A photo whose every card size is there is served from it;
    the others are read together in one query (and put in that cache), so a listing costs
    no query for its pictures once they have been shown.
    """
    photos: dict[int, list[Photo]] = {}
    for card in cards:
        if card.lead_image_id and card.lead_image is not None:
            photos.setdefault(card.lead_image_id, []).append(card.lead_image)
    if not photos:
        return
    backend = PhotoRendition.cache_backend
    keys: dict[int, list[str]] = {}
    for photo_id, (photo, *_same) in photos.items():
        keys[photo_id] = [
            PhotoRendition.construct_cache_key(
                photo, card_filter.get_cache_key(photo), card_filter.spec
            )
            for card_filter in _CARD_FILTERS
        ]
    cached = backend.get_many([key for photo_keys in keys.values() for key in photo_keys])
    found: dict[int, list[PhotoRendition]] = {}
    missing = []
    for photo_id, photo_keys in keys.items():
        if all(key in cached for key in photo_keys):
            found[photo_id] = [cached[key] for key in photo_keys]
        else:
            missing.append(photo_id)
    if missing:
        made = PhotoRendition.objects.filter(image_id__in=missing, filter_spec__in=CARD_RENDITIONS)
        for photo_id in missing:
            found[photo_id] = []
        for rendition in made:
            found[rendition.image_id].append(rendition)
        additions = {}
        for photo_id in missing:
            photo = photos[photo_id][0]
            for rendition in found[photo_id]:
                card_filter = Filter(spec=rendition.filter_spec)
                focal_point_key = card_filter.get_cache_key(photo)
                if rendition.focal_point_key == focal_point_key:
                    key = PhotoRendition.construct_cache_key(
                        photo, focal_point_key, rendition.filter_spec
                    )
                    additions[key] = rendition
        if additions:
            backend.set_many(additions)
    for photo_id, same in photos.items():
        for photo in same:
            # Wagtail's own hook for renditions fetched beforehand (``prefetched_renditions``);
            # each rendition points back at the card's photo, as Wagtail's cache lookup does.
            renditions = [copy.copy(rendition) for rendition in found[photo_id]]
            for rendition in renditions:
                rendition.image = photo
            photo.prefetched_renditions = renditions


class CardIterable(ModelIterable):
    """Article cards as listings show them: bylines and pictures attached in bulk."""

    def __iter__(self) -> Any:
        cards = list(super().__iter__())
        attach_bylines(cards)
        attach_card_renditions(cards)
        yield from cards


def live_articles(site: Site | None = None) -> Any:
    """Published articles of ``site`` (all sites when ``None``), ready for cards.

    ``live_status`` is the coverage status of a live page (None for other formats), read
    in the same query, so a card can say "Live" without a query of its own. So are the
    bylines' author ids (``byline_keys``): the authors themselves come from the shared
    authors directory, and the lead photos' renditions from the renditions cache
    (``CardIterable``), so a listing is usually one query.
    """
    cards = (
        published_articles(site)
        .for_listing()
        .annotate(live_status=F("livepage__coverage_status"), byline_keys=_byline_keys())
        # A video card shows the running time, which may come from the uploaded file.
        .select_related("lead_video_file")
    )
    cards._iterable_class = CardIterable
    return cards


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


def ongoing_coverage(pages: list[ArticlePage]) -> list[OngoingCoverage]:
    """Live coverage still running, as ``pages`` gives it, with the latest updates of each
    (one query for all). Ended coverage is an ordinary story."""
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


@dataclass(frozen=True)
class _Key:
    """What the home page needs to know of a candidate to place it in its blocks."""

    pk: int
    published_at: datetime
    format: str
    section_id: int | None
    live_status: str | None


def _home_candidates(
    site: Site | None, *, curated: list[int], sections: list[Tag], per_section: int
) -> tuple[_Key, ...]:
    """Every article any home block might show, newest first, in one query.

    Each block walks its own index for as many keys as it could need once the blocks
    above it have taken theirs (a story appears in one block only), and one query reads
    the union of those short walks; ``home_page_context`` then fills the blocks from it.
    Building that query costs more than running it, so the keys are a shared value until
    the next change of the listings or the site.
    """
    from . import pagecache

    key = (
        f"home-candidates:{site.pk if site is not None else 'all'}:{per_section}:"
        f"{','.join(map(str, curated))}:{','.join(str(section.pk) for section in sections)}"
    )
    return pagecache.memoize(
        key,
        ["listing", "site"],
        lambda: _query_home_candidates(
            site, curated=curated, sections=sections, per_section=per_section
        ),
        immutable=True,
    )


def _query_home_candidates(
    site: Site | None, *, curated: list[int], sections: list[Tag], per_section: int
) -> tuple[_Key, ...]:
    stories = published_articles(site).stories().newest_first()
    # Top and latest take from the newest stories, after the curated and live ones.
    newest = TOP_STORIES + LATEST_SIZE + MAX_CURATED + HOME_LIVE_PAGES
    # A section's block skips what the top, live and latest blocks already show.
    above = max(TOP_STORIES, MAX_CURATED) + HOME_LIVE_PAGES + LATEST_SIZE
    walks = [
        stories.values("pk")[:newest],
        stories.videos().values("pk")[:VIDEO_STRIP_SIZE],
        stories.live_coverage()
        .filter(livepage__coverage_status=CoverageStatus.LIVE)
        .values("pk")[:HOME_LIVE_PAGES],
        *(
            stories.filter(section_id=section.pk).values("pk")[: per_section + above]
            for section in sections
        ),
    ]
    if curated:
        walks.append(stories.filter(pk__in=curated).values("pk"))
    any_walk = Q()
    for walk in walks:
        any_walk |= Q(pk__in=walk)
    rows = (
        ArticlePage.objects.filter(any_walk)
        .newest_first()
        .values_list("pk", "published_at", "format", "section_id", "livepage__coverage_status")
    )
    return tuple(_Key(*row) for row in rows)


def home_page_context(home: HomePage, request: HttpRequest | None = None) -> dict[str, Any]:
    """Live coverage, top stories, latest, per-section blocks, News Feed and video strip.

    Three queries whatever the size of the archive or the number of sections: the keys of
    every candidate (``_home_candidates``), the cards shown, and the latest updates of the
    ongoing coverage. The curated top stories, the sections, the Video section page and
    the News Feed's top are shared values (the site's chrome, ``news_feed_first_page``).
    Ongoing live coverage leads the page in a block of its own and is not repeated in the
    automatic blocks.
    """
    site = site_for(request) if request is not None else home.get_site()
    chrome = installed(request)
    on_site = chrome is not None and chrome.site.root_page_id == home.pk
    curated = [row.article_id for row in home.top_stories.all()]
    sections = (
        chrome.nav_sections
        if chrome is not None and on_site
        else list(Tag.objects.sections().public())
    )
    candidates = _home_candidates(
        site, curated=curated, sections=sections, per_section=home.stories_per_section
    )
    live_ids = [
        key.pk
        for key in candidates
        if key.format == ArticleFormat.LIVE and key.live_status == CoverageStatus.LIVE
    ][:HOME_LIVE_PAGES]
    published = {key.pk for key in candidates}
    top_ids = [pk for pk in curated if pk in published]
    shown = {*top_ids, *live_ids}
    if len(top_ids) < TOP_STORIES:
        # An editor who curated fewer than five still gets a full top block.
        top_ids += [key.pk for key in candidates if key.pk not in shown][
            : TOP_STORIES - len(top_ids)
        ]
        shown.update(top_ids)
    latest_ids = [key.pk for key in candidates if key.pk not in shown][:LATEST_SIZE]
    shown.update(latest_ids)
    section_ids: dict[int, list[int]] = {section.pk: [] for section in sections}
    for key in candidates:
        group = section_ids.get(key.section_id) if key.section_id is not None else None
        if group is not None and key.pk not in shown and len(group) < home.stories_per_section:
            group.append(key.pk)
    video_ids = [key.pk for key in candidates if key.format == ArticleFormat.VIDEO][
        :VIDEO_STRIP_SIZE
    ]

    wanted = {
        *live_ids,
        *top_ids,
        *latest_ids,
        *video_ids,
        *(pk for group in section_ids.values() for pk in group),
    }
    cards = {article.pk: article for article in live_articles(site).filter(pk__in=wanted)}

    def pick(pks: Iterable[int]) -> list[ArticlePage]:
        return [cards[pk] for pk in pks if pk in cards]

    by_section = [(section, pick(section_ids[section.pk])) for section in sections]
    video_page = None
    if video_ids:
        # The strip's heading links to the Video section, when the newsroom has one.
        video_page = (
            chrome.video_page
            if chrome is not None and on_site
            else VideoIndexPage.objects.live().child_of(home).first()
        )
    return {
        "live_coverage": ongoing_coverage(pick(live_ids)),
        "top_stories": pick(top_ids),
        "latest_stories": pick(latest_ids),
        "sections_with_articles": [(section, items) for section, items in by_section if items],
        "news_feed": batch_of(news_feed_first_page(site, home.news_feed_size), home.news_feed_size),
        "videos": pick(video_ids),
        "video_page": video_page,
    }


def authors_directory() -> dict[int, Author]:
    """Every byline identity with its avatar and the avatar's renditions, by id.

    A newsroom has tens or hundreds of authors and any change to one bumps ``site``, so
    the whole set is one shared value: an article's bylines then cost no query beyond
    the ids read with its tags (``attach_article_links``).
    """
    from . import pagecache

    def build() -> dict[int, Author]:
        authors = list(Author.objects.select_related("avatar"))
        prefetch_related_objects(
            [author.avatar for author in authors if author.avatar is not None], "renditions"
        )
        return {author.pk: author for author in authors}

    return pagecache.memoize("authors-directory", ["site"], build)


def attach_article_links(article: ArticlePage) -> None:
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
    # Kept in the worker's memory too: after a publish every story of the section builds
    # its "Related" HTML again from this list, and unpickling it each time cost more than
    # the HTML. Nothing changes it: ``related_to`` slices a new list, and the cards only
    # read their story (``card_tags.related_stories``).
    return pagecache.memoize(key, ["listing"], build, immutable=True)


def related_to(site: Site | None, article: ArticlePage) -> list[ArticlePage]:
    """The newest other stories of the article's section, as cards."""
    if not article.section_id:
        return []
    cards = related_in_section(site, article.section_id)
    return [card for card in cards if card.pk != article.pk][:RELATED_SIZE]


def news_feed_beside(site: Site | None, article: ArticlePage | None) -> Batch:
    """The News Feed's first briefs beside a story, the story itself left out."""
    exclude = article.pk if article is not None else None
    briefs = [card for card in news_feed_first_page(site, 0) if card.pk != exclude]
    return batch_of(briefs, NEWS_FEED_SIDEBAR_SIZE)


def article_page_context(
    article: ArticlePage, *, access: ArticleAccess, request: HttpRequest | None = None
) -> dict[str, Any]:
    """Bylines, the body the reader may see and the paywall of one article.

    On a cache miss the article itself costs one query (``ArticlePageQuerySet.for_page``)
    and its bylines, tags and tiers one more; the "Related" section and the News Feed
    beside the story are memoized HTML (``card_tags.related_stories`` and
    ``news_feed_sidebar``) and the site's furniture comes with the chrome.
    """
    if request is None or getattr(request, "is_preview", False):
        # In previews the bylines are unsaved in-memory rows.
        credits = article.article_authors.all().select_related("author__avatar")
        authors = [credit.author for credit in credits]
    else:
        if "ordered_authors" not in article.__dict__:
            attach_article_links(article)  # not routed through ``models.article_at``
        authors = article.ordered_authors
    paywall: dict[str, Any] | None = None
    if not access.can_read:
        paywall = paywall_context(request, article, access=access)
    return {
        "authors": authors,
        # Notes quote the story they correct, so they are gated with it. Read only if
        # the template asks (it calls a callable): not when the story's HTML is kept.
        "notes": (lambda: article.published_notes) if access.can_read else [],
        "access": access,
        # Parsed only if the template renders the body (it calls a callable): not when
        # the story's HTML is kept.
        "body_blocks": lambda: access.blocks,
        "paywall": paywall,
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
