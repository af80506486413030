"""RSS 2.0, Atom and JSON Feed for the site, each public tag, each author and the News Feed.

The paths are Ghost's (``/rss/``, ``/tag/<slug>/rss/``, ``/author/<slug>/rss/``), with Atom
at ``atom/`` and JSON Feed at ``feed.json`` beside each. Like Ghost's RSS, an item carries
the excerpt as its description, the body in ``content:encoded``, the lead image as
``media:content`` and the post's Ghost id as its guid. Older pages of a feed are at
``/rss/2/`` (``?page=2`` for JSON Feed, which also names it in ``next_url``).

A feed is one document for every subscriber, read by no one in particular, so what it shows
of an article is what ``ANONYMOUS`` may read: the whole body of a public article, and only
the excerpt and a link to the site for a gated one.
"""

from __future__ import annotations

import hashlib
import html
import json
import mimetypes
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import feedgenerator
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from wagtail.blocks import StreamValue

from masthead.membership.access import ANONYMOUS

from .listings import latest_updates_of, published_articles, site_for
from .models import (
    ArticleAuthor,
    ArticleFormat,
    ArticleNote,
    ArticlePage,
    Author,
    LivePage,
    LiveUpdate,
    SiteSettings,
    Tag,
    tagged_with,
)
from .plain_text import xml_safe
from .portable import (
    absolute_url,
    convert_bodies,
    figure,
    load_references,
    portable_blocks,
    rich_html,
)
from .social import site_settings

FEED_SIZE = 20
# Older pages are for catching up after a break, not for walking the whole archive.
MAX_PAGE = 50
# Feed readers poll; five minutes fresh, then a stale copy while one of them refreshes it.
MAX_AGE = 300
STALE_WHILE_REVALIDATE = 3600
# Ghost's RSS tells aggregators to wait an hour between polls.
TTL_MINUTES = "60"
# Atom ids must be IRIs; a name-based UUID of the guid stays the same whatever the host.
_ATOM_ID_NAMESPACE = uuid.UUID("8f0e2d16-8d0c-4a43-9a3e-1c7cf1a6b0f4")

# A live page's item in the site's feeds carries its latest few updates, not the whole stream.
FEED_LIVE_UPDATES = 5

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_CONTENT_TYPE = "application/feed+json"


# --- What a feed shows -------------------------------------------------------------------------


@dataclass
class FeedAuthor:
    name: str
    url: str

    def __post_init__(self) -> None:
        self.name = xml_safe(self.name)


@dataclass
class FeedImage:
    url: str
    width: int
    height: int
    mime_type: str
    length: int


@dataclass
class FeedEntry:
    """One item of a feed, the same for RSS, Atom and JSON Feed."""

    guid: str
    title: str
    link: str
    summary: str  # plain text
    content_html: str
    published: datetime
    updated: datetime  # the last change that matters to a reader
    changed: datetime  # the last change of any kind, for HTTP caching
    authors: list[FeedAuthor] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    image: FeedImage | None = None

    def __post_init__(self) -> None:
        # One control character in a headline must not take the whole feed down.
        self.title = xml_safe(self.title)
        self.summary = xml_safe(self.summary)
        self.content_html = xml_safe(self.content_html)
        self.categories = [xml_safe(name) for name in self.categories]

    @property
    def atom_id(self) -> str:
        return uuid.uuid5(_ATOM_ID_NAMESPACE, self.guid).urn


@dataclass
class Channel:
    """One page of one feed: its title, where it lives and its entries."""

    title: str
    description: str
    home_url: str  # the HTML page the feed follows
    path: str  # the feed's own path, page 1, with its trailing part ("rss/", "feed.json")
    page: int
    entries: list[FeedEntry]
    has_more: bool
    language: str = ""
    publication: str = ""

    def __post_init__(self) -> None:
        self.title = xml_safe(self.title)
        self.description = xml_safe(self.description)
        self.publication = xml_safe(self.publication)

    def page_url(self, page: int) -> str:
        if self.path.endswith(".json"):
            suffix = f"?page={page}" if page > 1 else ""
            return absolute_url(self.path + suffix)
        return absolute_url(self.path + (f"{page}/" if page > 1 else ""))

    @property
    def self_url(self) -> str:
        return self.page_url(self.page)

    @property
    def next_url(self) -> str | None:
        return self.page_url(self.page + 1) if self.has_more else None

    @property
    def changed(self) -> datetime | None:
        return max((entry.changed for entry in self.entries), default=None)


def for_feed(articles: QuerySet[ArticlePage]) -> QuerySet[ArticlePage]:
    """Everything an item shows, with the body, fetched in a fixed number of queries."""
    return articles.select_related("section", "lead_image").prefetch_related(
        Prefetch(
            "article_authors",
            queryset=ArticleAuthor.objects.select_related("author").order_by("sort_order"),
        ),
        Prefetch("tags", queryset=Tag.objects.public().order_by("name")),
        Prefetch("notes", queryset=ArticleNote.objects.order_by("noted_at")),
        "tiers",
    )


def article_entries(articles: Sequence[ArticlePage]) -> list[FeedEntry]:
    """Feed items for ``articles``, bodies and what they show loaded for all at once."""
    convert_bodies(articles)
    readable = [article for article in articles if article.can_be_read_by(ANONYMOUS)]
    references = load_references(
        [list(article.body) for article in readable],
        images=[article.lead_image for article in articles],
        notes=[note.text for article in readable for note in article.published_notes],
    )
    readable_ids = {article.pk for article in readable}
    live_parts = live_feed_parts(articles)
    live_references = load_references(
        [update.body for part in live_parts.values() for update in part.updates],
        notes=[source for part in live_parts.values() for source in part.key_points],
    )
    entries = []
    for article in articles:
        link = absolute_url(article.url or "/")
        lead = figure(
            article.lead_image,
            alt=article.lead_alt,
            base=link,
            caption=article.lead_caption,
            credit=article.lead_credit,
        )
        notes = article.published_notes
        can_read = article.pk in readable_ids
        context = {
            "article": article,
            "link": link,
            "lead": lead,
            "excerpt": article.excerpt,
            "can_read": can_read,
            "blocks": (
                portable_blocks(list(article.body), base=link, references=references)
                if can_read
                else []
            ),
            # Notes quote the story they correct, so they are gated with it.
            "notes": (
                [
                    {
                        "label": note.get_kind_display(),
                        "noted_at": note.noted_at,
                        "html": rich_html(note.text, base=link, references=references),
                    }
                    for note in notes
                ]
                if can_read
                else []
            ),
        }
        published = article.first_published_at or article.published_at
        if published is None:
            continue  # not reached: feeds list only dated articles
        updated = max(
            [published, article.updated_at or published, *(note.noted_at for note in notes)]
        )
        template = "publishing/feed_entry.html"
        live = live_parts.get(article.pk)
        if live is not None:
            # Live coverage is free to read; its item is the summary, the key points and
            # the latest updates, and it counts as updated when an update is posted.
            template = "publishing/feed_live_entry.html"
            context.update(live.context(link=link, references=live_references))
            updated = max([updated, *(update.posted_at for update in live.updates)])
        changed = max(updated, article.last_published_at or published)
        entries.append(
            FeedEntry(
                guid=article.ghost_id,
                title=article.title,
                link=link,
                summary=article.excerpt,
                content_html=render_to_string(template, context),
                published=published,
                updated=updated,
                changed=changed,
                authors=[
                    FeedAuthor(name=author.name, url=absolute_url(author.get_absolute_url()))
                    for author in article.ordered_authors
                ],
                categories=_categories(article),
                image=_feed_image(lead),
            )
        )
    return entries


@dataclass
class LiveFeedPart:
    """What a live page's feed item adds: key points (stored rich text) and latest updates."""

    key_points: list[str]
    updates: list[LiveUpdate]

    def context(self, *, link: str, references: Any) -> dict[str, Any]:
        return {
            "key_points": [
                rich_html(source, base=link, references=references) for source in self.key_points
            ],
            "updates": [
                {
                    "url": update.permalink(link),
                    "posted_at": update.posted_at,
                    "headline": update.headline,
                    "blocks": portable_blocks(update.body, base=link, references=references),
                }
                for update in self.updates
            ],
        }


def live_feed_parts(articles: Sequence[ArticlePage]) -> dict[int, LiveFeedPart]:
    """Key points and latest updates of the live pages among ``articles``, in fixed queries.

    Every update body is converted in one stream, as ``convert_bodies`` does for articles,
    so photos in updates are loaded once for all of them.
    """
    ids = [article.pk for article in articles if article.format == ArticleFormat.LIVE]
    if not ids:
        return {}
    points = {
        page.pk: [
            str(block.get("value") or "")
            for block in page.key_points.raw_data
            if block.get("type") == "point"
        ]
        for page in LivePage.objects.filter(pk__in=ids).only("key_points")
    }
    updates = latest_updates_of(ids, per_page=FEED_LIVE_UPDATES)
    rows = [update for page_id in ids for update in updates.get(page_id, [])]
    body_field: Any = LiveUpdate._meta.get_field("body")
    stream_block = body_field.stream_block
    raw = [block for update in rows for block in update.body.raw_data]
    children = list(StreamValue(stream_block, raw, is_lazy=True))
    start = 0
    for update in rows:
        count = len(update.body.raw_data)
        update.body = StreamValue(stream_block, children[start : start + count])
        start += count
    return {
        pk: LiveFeedPart(key_points=points.get(pk, []), updates=updates.get(pk, [])) for pk in ids
    }


def _categories(article: ArticlePage) -> list[str]:
    """The section and the public tags; internal tags never leave the newsroom."""
    names = []
    if article.section is not None and article.section.visibility == Tag.Visibility.PUBLIC:
        names.append(article.section.name)
    names.extend(tag.name for tag in article.tags.all() if tag.visibility == Tag.Visibility.PUBLIC)
    return list(dict.fromkeys(names))


def _feed_image(shown: dict[str, Any] | None) -> FeedImage | None:
    if shown is None:
        return None
    rendition = shown["rendition"]
    try:
        length = rendition.file.size
    except OSError:
        length = 0  # RSS asks for a length; 0 says "unknown" to readers
    mime_type = mimetypes.guess_type(rendition.file.name)[0] or "image/jpeg"
    return FeedImage(
        url=shown["src"],
        width=shown["width"],
        height=shown["height"],
        mime_type=mime_type,
        length=length,
    )


def page_of(
    articles: QuerySet[ArticlePage], *, page: int, any_of: list[Q] | None = None
) -> tuple[list[ArticlePage], bool]:
    """Page ``page`` of ``articles`` newest first, and whether an older page follows.

    As in ``paging.paginate``, each ``any_of`` condition walks its own index and the keys
    are merged, instead of one OR the database would answer by sorting every match.
    """
    start = (page - 1) * FEED_SIZE
    stop = start + FEED_SIZE + 1
    newest_first = ("-published_at", "-pk")
    if any_of:
        merged: set[tuple[datetime, int]] = set()
        for condition in any_of:
            merged.update(
                articles.filter(condition)
                .order_by(*newest_first)
                .values_list("published_at", "pk")[:stop]
            )
        keys = sorted(merged, reverse=True)[start:stop]
    else:
        keys = list(articles.order_by(*newest_first).values_list("published_at", "pk")[start:stop])
    ids = [pk for _, pk in keys[:FEED_SIZE]]
    rows = {article.pk: article for article in for_feed(ArticlePage.objects.filter(pk__in=ids))}
    return [rows[pk] for pk in ids if pk in rows], len(keys) > FEED_SIZE


# --- The four article feeds ----------------------------------------------------------------------


@dataclass
class Source:
    """What one article feed lists and how it is named."""

    title: str
    description: str
    home_path: str
    feed_path: str
    articles: QuerySet[ArticlePage]
    any_of: list[Q] | None = None


def site_source(request: HttpRequest, site_settings: SiteSettings) -> Source:
    return Source(
        title=site_settings.publication_name,
        description=site_settings.tagline or site_settings.publication_name,
        home_path="/",
        feed_path="/",
        articles=published_articles(site_for(request)),
    )


def tag_source(request: HttpRequest, site_settings: SiteSettings, slug: str) -> Source:
    tag = get_object_or_404(Tag.objects.public(), slug=slug)
    return Source(
        # Ghost names a tag's feed "<tag> - <publication>".
        title=f"{tag.name} - {site_settings.publication_name}",
        description=tag.description or site_settings.tagline or tag.name,
        home_path=tag.get_absolute_url(),
        feed_path=tag.get_absolute_url(),
        articles=published_articles(site_for(request)),
        any_of=tagged_with(tag),
    )


def author_source(request: HttpRequest, site_settings: SiteSettings, slug: str) -> Source:
    author = get_object_or_404(Author, slug=slug)
    return Source(
        title=f"{author.name} - {site_settings.publication_name}",
        description=author.bio or author.job_title or author.name,
        home_path=author.get_absolute_url(),
        feed_path=author.get_absolute_url(),
        articles=published_articles(site_for(request)).by_author(author),
    )


def news_feed_source(request: HttpRequest, site_settings: SiteSettings) -> Source:
    news_feed = reverse("publishing:news_feed")
    return Source(
        title=f"{_('News Feed')} - {site_settings.publication_name}",
        description=_("The latest news as it happens, in short timestamped updates."),
        home_path=news_feed,
        feed_path=news_feed,
        articles=published_articles(site_for(request)).briefs(),
    )


def article_channel(
    request: HttpRequest, source: Source, *, page: int, suffix: str, site_settings: SiteSettings
) -> Channel:
    articles, has_more = page_of(source.articles, page=page, any_of=source.any_of)
    if page > 1 and not articles:
        raise Http404("No such page of this feed.")
    return Channel(
        title=source.title,
        description=source.description,
        home_url=absolute_url(source.home_path),
        path=source.feed_path + suffix,
        page=page,
        entries=article_entries(articles),
        has_more=has_more,
        language=settings.LANGUAGE_CODE,
        publication=site_settings.publication_name,
    )


# --- RSS and Atom: Django's generators, with what Ghost's feeds also carry -----------------------


class ArticleRssFeed(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with the full body (``content:encoded``), every byline (``dc:creator``) and
    the lead image (``media:content``), as Ghost's RSS carries them."""

    def rss_attributes(self) -> dict[str, str]:
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
            "xmlns:dc": "http://purl.org/dc/elements/1.1/",
            "xmlns:media": "http://search.yahoo.com/mrss/",
        }

    def add_root_elements(self, handler: Any) -> None:
        super().add_root_elements(handler)
        if self.feed.get("next_url"):
            # RFC 5005 paging, which feed readers that catch up follow.
            handler.addQuickElement(
                "atom:link", None, {"rel": "next", "href": self.feed["next_url"]}
            )

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.addQuickElement("dc:creator", author.name)
        image = item["image"]
        if image is not None:
            handler.addQuickElement(
                "media:content",
                None,
                {
                    "url": image.url,
                    "medium": "image",
                    "type": image.mime_type,
                    "width": str(image.width),
                    "height": str(image.height),
                },
            )
        handler.addQuickElement("content:encoded", item["content_html"])


class ArticleAtomFeed(feedgenerator.Atom1Feed):
    """Atom with the body as ``<content>``, every byline as an ``<author>`` and ids as IRIs."""

    def add_root_elements(self, handler: Any) -> None:
        super().add_root_elements(handler)
        if self.feed.get("next_url"):
            handler.addQuickElement("link", "", {"rel": "next", "href": self.feed["next_url"]})

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, {**item, "unique_id": item["atom_id"]})
        for author in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", author.name)
            handler.addQuickElement("uri", author.url)
            handler.endElement("author")
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


class ChannelFeed(Feed):
    """A ``Channel`` through Django's syndication framework; ``get_object`` builds it."""

    feed_type: type[feedgenerator.SyndicationFeed] = ArticleRssFeed
    build: Callable[..., Channel]

    def __init__(self, build: Callable[..., Channel], *, atom: bool = False) -> None:
        super().__init__()
        self.build = build
        if atom:
            self.feed_type = ArticleAtomFeed

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Channel:
        return self.build(request, *args, **kwargs)

    def title(self, channel: Channel) -> str:
        return channel.title

    def link(self, channel: Channel) -> str:
        return channel.home_url

    def feed_url(self, channel: Channel) -> str:
        return channel.self_url

    def description(self, channel: Channel) -> str:
        return channel.description

    def subtitle(self, channel: Channel) -> str:
        return channel.description

    def author_name(self, channel: Channel) -> str:
        # Atom asks every entry for an author; entries without a byline inherit this one.
        return channel.publication

    def ttl(self, channel: Channel) -> str:
        return TTL_MINUTES

    def feed_extra_kwargs(self, channel: Channel) -> dict[str, Any]:
        return {"next_url": channel.next_url}

    def items(self, channel: Channel) -> list[FeedEntry]:
        return channel.entries

    def item_title(self, entry: FeedEntry) -> str:
        return entry.title

    def item_link(self, entry: FeedEntry) -> str:
        return entry.link

    def item_description(self, entry: FeedEntry) -> str:
        # RSS descriptions and Atom summaries are HTML; the excerpt is plain text.
        return html.escape(entry.summary)

    def item_guid(self, entry: FeedEntry) -> str:
        return entry.guid

    def item_guid_is_permalink(self, entry: FeedEntry) -> bool:
        return False

    def item_pubdate(self, entry: FeedEntry) -> datetime:
        return entry.published

    def item_updateddate(self, entry: FeedEntry) -> datetime:
        return entry.updated

    def item_categories(self, entry: FeedEntry) -> list[str]:
        return entry.categories

    def item_enclosures(self, entry: FeedEntry) -> list[feedgenerator.Enclosure]:
        image = entry.image
        if image is None:
            return []
        return [feedgenerator.Enclosure(image.url, str(image.length), image.mime_type)]

    def item_extra_kwargs(self, entry: FeedEntry) -> dict[str, Any]:
        return {
            "authors": entry.authors,
            "image": entry.image,
            "content_html": entry.content_html,
            "atom_id": entry.atom_id,
        }


# --- JSON Feed ---------------------------------------------------------------------------------


def json_feed(channel: Channel) -> dict[str, Any]:
    """The channel as a JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/)."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": channel.title,
        "home_page_url": channel.home_url,
        "feed_url": channel.self_url,
        "description": channel.description,
        "language": channel.language,
        "items": [_json_item(entry) for entry in channel.entries],
    }
    if channel.next_url:
        document["next_url"] = channel.next_url
    return document


def _json_item(entry: FeedEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.guid,
        "url": entry.link,
        "title": entry.title,
        "content_html": entry.content_html,
        "summary": entry.summary,
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
        "authors": [{"name": author.name, "url": author.url} for author in entry.authors],
        "tags": entry.categories,
    }
    if entry.image is not None:
        item["image"] = entry.image.url
    return item


# --- Views ---------------------------------------------------------------------------------------


def cacheable(request: HttpRequest, response: HttpResponse, channel: Channel) -> HttpResponse:
    """Shared-cache headers, a strong ETag of the body, and 304 for a reader already up to date.

    ``Last-Modified`` follows every change of the items shown (a republished typo fix too),
    while the feeds' own updated dates move only for changes a reader should notice. Only
    the ETag decides a 304: a story taken down leaves the feed without moving its newest
    date, so a date comparison would keep the pulled story in readers' copies.
    """
    patch_cache_control(
        response,
        public=True,
        max_age=MAX_AGE,
        stale_while_revalidate=STALE_WHILE_REVALIDATE,
    )
    etag = quote_etag(hashlib.sha256(response.content).hexdigest())
    response["ETag"] = etag
    changed = channel.changed
    last_modified = int(changed.timestamp()) if changed else None
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    elif "Last-Modified" in response:
        del response["Last-Modified"]
    conditional = get_conditional_response(request, etag=etag, response=response)
    return conditional or response


def serve_channel(
    request: HttpRequest, build: Callable[[HttpRequest, str], Channel], *, kind: str
) -> HttpResponse:
    """Answer with the channel ``build`` makes, as RSS, Atom or JSON Feed (``kind``)."""
    if kind == "json":
        channel = build(request, "feed.json")
        body = json.dumps(json_feed(channel), ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type=JSON_FEED_CONTENT_TYPE)
    else:
        suffix = "atom/" if kind == "atom" else "rss/"
        holder: dict[str, Channel] = {}

        def build_once(request: HttpRequest) -> Channel:
            holder["channel"] = build(request, suffix)
            return holder["channel"]

        response = ChannelFeed(build_once, atom=kind == "atom")(request)
        channel = holder["channel"]
    return cacheable(request, response, channel)


def page_number(request: HttpRequest, page: int | None) -> int:
    """The page asked for; ``?page=`` for JSON Feed. Anything else is not a page: 404."""
    if page is None:
        raw = request.GET.get("page")
        if raw is None:
            return 1
        # isdecimal() alone would let "²" or "٣" through to int().
        if not (raw.isascii() and raw.isdecimal()) or len(raw) > 4:
            raise Http404("No such page of this feed.")
        page = int(raw)
    if page < 1 or page > MAX_PAGE:
        raise Http404("No such page of this feed.")
    return page


def article_feed_view(source: Callable[..., Source], *, kind: str) -> Callable[..., HttpResponse]:
    """A view serving one of the article feeds in one format."""

    def view(request: HttpRequest, page: int | None = None, **kwargs: Any) -> HttpResponse:
        if page == 1:
            # As Ghost: the first page has one address.
            return HttpResponsePermanentRedirect(re.sub(r"\d+/$", "", request.path))
        number = page_number(request, page)
        config = site_settings(request)

        def build(request: HttpRequest, suffix: str) -> Channel:
            return article_channel(
                request,
                source(request, config, **kwargs),
                page=number,
                suffix=suffix,
                site_settings=config,
            )

        return serve_channel(request, build, kind=kind)

    return view


def _routes(prefix: str, source: Callable[..., Source], name: str) -> list[Any]:
    return [
        path(f"{prefix}rss/", article_feed_view(source, kind="rss"), name=f"{name}_rss"),
        path(f"{prefix}rss/<int:page>/", article_feed_view(source, kind="rss"), name=f"{name}_rss"),
        path(f"{prefix}atom/", article_feed_view(source, kind="atom"), name=f"{name}_atom"),
        path(
            f"{prefix}atom/<int:page>/",
            article_feed_view(source, kind="atom"),
            name=f"{name}_atom",
        ),
        path(f"{prefix}feed.json", article_feed_view(source, kind="json"), name=f"{name}_json"),
    ]


urlpatterns = [
    *_routes("", site_source, "feed"),
    *_routes("tag/<slug:slug>/", tag_source, "tag_feed"),
    *_routes("author/<slug:slug>/", author_source, "author_feed"),
    *_routes("news-feed/", news_feed_source, "news_feed_feed"),
]
