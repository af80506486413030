"""Ghost objects built from masthead's rows: the one place the Ghost API shapes are made.

The Content API, the Admin API and webhook payloads all call these functions, so a post
looks the same wherever a client meets it. Keys come in the order a Ghost 6 server sends
them (Ghost's clients don't care, but people diff our answers against Ghost's).

What maps to what:

- Ghost posts are ``ArticlePage``; Ghost pages are ``StandardPage``.
- ``html`` is the article body rendered to HTML that works off the site (absolute links
  and images), built on ``publishing.portable`` as the feeds are. The paywall block is
  Ghost's ``<!--members-only-->`` marker.
- ``mobiledoc`` and ``lexical`` are always null: masthead stores bodies as StreamField, not
  in either of Ghost's editor formats, and ``html`` is the body a client can use.
- Who may read what is decided by ``ArticlePage.can_be_read_by`` (the one access policy);
  a reader who may not read gets the free preview (``ArticlePage.free_preview``) and the
  plaintext and excerpt of that part only.
"""

from __future__ import annotations

import logging
import re
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, linebreaks
from django.utils.translation import gettext as _
from wagtail.images.models import SourceImageIOError
from wagtail.models import Site

from masthead.membership.access import STAFF, Reader
from masthead.membership.models import MembershipSettings, Tier
from masthead.newsletters.models import Newsletter
from masthead.publishing.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    Photo,
    SiteSettings,
    StandardPage,
    Tag,
)
from masthead.publishing.plain_text import blocks_text, split_text
from masthead.publishing.portable import (
    RENDITION_FILTER,
    References,
    absolute_url,
    convert_bodies,
    load_references,
    page_url,
    portable_blocks,
)

from .http import GHOST_VERSION

logger = logging.getLogger(__name__)

Api = Literal["content", "admin"]

MEMBERS_ONLY = "<!--members-only-->"
EXCERPT_LENGTH = 500


@dataclass
class Context:
    """How to build the objects of one answer: for which API, reader, includes and formats.

    ``fields`` is the ``?fields=`` subset (None: every field). The private attributes are
    per-answer caches, never shared between requests: the site's settings and timezone, the
    active tiers, each photo's address and the tag and author objects, which a page of posts
    repeats many times over.
    """

    api: Api
    reader: Reader
    include: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset({"html"})
    fields: tuple[str, ...] | None = None
    request: HttpRequest | None = None
    _site_settings: SiteSettings | None = field(default=None, init=False, repr=False)
    _timezone: tzinfo | None = field(default=None, init=False, repr=False)
    _tiers: list[Tier] | None = field(default=None, init=False, repr=False)
    _photo_urls: dict[int, str | None] = field(default_factory=dict, init=False, repr=False)
    _objects: dict[tuple[str, int, int | None], dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False
    )
    _url_templates: dict[str, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.api == "admin":
            # The Admin API and webhooks speak for the newsroom: nothing is gated for them.
            self.reader = STAFF

    @property
    def site_settings(self) -> SiteSettings:
        if self._site_settings is None:
            site = Site.objects.filter(is_default_site=True).first()
            self._site_settings = SiteSettings.for_site(site) if site else SiteSettings()
        return self._site_settings

    @property
    def timezone(self) -> tzinfo:
        if self._timezone is None:
            try:
                self._timezone = zoneinfo.ZoneInfo(self.site_settings.timezone or "UTC")
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self._timezone = UTC
        return self._timezone


# --- Small conversions -------------------------------------------------------------------------


def site_date(moment: datetime | None, ctx: Context) -> str | None:
    """Posts, pages, tags and authors: ISO 8601 with milliseconds, in the site's timezone."""
    if moment is None:
        return None
    return moment.astimezone(ctx.timezone).isoformat(timespec="milliseconds")


def utc_date(moment: datetime | None) -> str | None:
    """Tiers and newsletters: ISO 8601 with milliseconds in UTC, written with ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _or_null(value: str | None) -> str | None:
    """Ghost sends null, never "", for an empty optional text."""
    return value or None


def photo_url(photo: Photo | None, ctx: Context | None = None) -> str | None:
    """The photo's absolute ``width-1200`` rendition address, or null.

    With ``ctx``, each photo is looked up once per answer, whichever objects show it.
    """
    if photo is None:
        return None
    if ctx is None:
        return _rendition_url(photo)
    if photo.pk not in ctx._photo_urls:
        ctx._photo_urls[photo.pk] = _rendition_url(photo)
    return ctx._photo_urls[photo.pk]


def _rendition_url(photo: Photo) -> str | None:
    """What ``portable.figure`` shows as ``src``, without rewriting Wagtail's rendition cache.

    ``Photo.get_rendition`` stores the rendition in the cache on every call, even one found
    among the prefetched renditions; ``get_renditions`` leaves a prefetched one alone.
    """
    try:
        rendition = photo.get_renditions(RENDITION_FILTER)[RENDITION_FILTER]
    except (SourceImageIOError, OSError):
        logger.warning("Image %s has no readable file; left out", photo.pk)
        return None
    return absolute_url(rendition.url, base=settings.MASTHEAD_SITE_URL + "/")


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_SLUG_MARKER = "ghost-api-slug"


def slug_url(view: str, slug: str, ctx: Context) -> str:
    """The absolute address of ``view`` for ``slug``, as ``reverse`` would give it.

    A page of posts names the same few tags and authors dozens of times; the address is
    reversed once per answer and view, and each slug put into it (slugs are URL-safe, as the
    ``slug`` path converter requires; any other goes through ``reverse`` itself).
    """
    if not _SLUG.fullmatch(slug):
        return absolute_url(reverse(view, kwargs={"slug": slug}))
    if view not in ctx._url_templates:
        before, _marker, after = absolute_url(
            reverse(view, kwargs={"slug": _SLUG_MARKER})
        ).partition(_SLUG_MARKER)
        ctx._url_templates[view] = (before, after)
    before, after = ctx._url_templates[view]
    return before + slug + after


def _remembered(kind: str, pk: int, count: int | None, ctx: Context, build: Any) -> dict[str, Any]:
    """``build()``, made once per answer for each object, then copied for each place it shows."""
    key = (kind, pk, count)
    if key not in ctx._objects:
        ctx._objects[key] = build()
    obj = dict(ctx._objects[key])
    if "count" in obj:
        obj["count"] = dict(obj["count"])
    return obj


def pick_fields(obj: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """``obj`` cut to the ``?fields=`` subset, keeping Ghost's key order; unknown names dropped.

    When no asked-for field exists, the whole object is returned rather than ``{}``.
    """
    if not ctx.fields:
        return obj
    wanted = set(ctx.fields)
    subset = {key: value for key, value in obj.items() if key in wanted}
    return subset or obj


def _photos_of(objects: Iterable[Any], *names: str) -> list[Photo | None]:
    return [getattr(obj, name, None) for obj in objects for name in names]


def prefetch_renditions(photos: Iterable[Photo | None], ctx: Context | None = None) -> None:
    """One query for the renditions of every photo an answer shows.

    With ``ctx``, photos whose address the answer already knows are skipped, each photo is
    loaded once however many objects show it, and the addresses are remembered.
    """
    if ctx is None:
        load_references([], images=photos)
        return
    unique: dict[int, Photo] = {}
    for photo in photos:
        if photo is not None and photo.pk not in ctx._photo_urls:
            unique.setdefault(photo.pk, photo)
    if not unique:
        return
    load_references([], images=unique.values())
    for photo in unique.values():
        photo_url(photo, ctx)


# --- Querysets ---------------------------------------------------------------------------------


def _author_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "article_authors",
        queryset=ArticleAuthor.objects.select_related(
            "author", "author__avatar", "author__cover_image"
        ).order_by("sort_order"),
    )


def restricted_paths() -> tuple[str, ...]:
    """The tree paths of the pages under a Wagtail privacy setting (the topmost of each branch).

    A site has a handful at most, so they are read once (and kept until a restriction,
    a page or a site setting changes, which bumps ``site``) and every list excludes what
    lies under them by path prefix. Asking the same question in each list's own query, as
    ``ArticlePageQuerySet.unrestricted`` does, costs a correlated subquery for every row
    and makes SQLite scan the page table instead of walking the date index.
    """
    from wagtail.models import PageViewRestriction

    from masthead.publishing import pagecache

    def build() -> tuple[str, ...]:
        paths: list[str] = []
        for path in sorted(set(PageViewRestriction.objects.values_list("page__path", flat=True))):
            # Sorted, a page's path follows its ancestor's: one prefix covers both.
            if not paths or not path.startswith(paths[-1]):
                paths.append(path)
        return tuple(paths)

    return pagecache.memoize("contentapi:restricted-paths", ["site"], build)


def unrestricted(articles: QuerySet[ArticlePage]) -> QuerySet[ArticlePage]:
    """``articles`` without those a Wagtail privacy setting covers, on them or above them."""
    covered = Q()
    for path in restricted_paths():
        covered |= Q(path__startswith=path)
    return articles.exclude(covered) if covered else articles


def post_queryset(api: Api) -> QuerySet[ArticlePage]:
    """The articles an API lists as Ghost posts, with everything a post shows prefetched.

    The Content API lists live articles a reader may find on the site: not email-only and
    not covered by a Wagtail privacy setting. The Admin API lists every article.
    """
    articles = ArticlePage.objects.all()
    if api == "content":
        articles = unrestricted(articles.live().listed())
    return articles.select_related(
        "section",
        "section__feature_image",
        "lead_image",
        "og_image",
        "twitter_image",
    ).prefetch_related(
        _author_prefetch(),
        Prefetch("tags", queryset=Tag.objects.select_related("feature_image").order_by("name")),
        Prefetch("tiers", queryset=Tier.objects.order_by("pk")),
    )


def page_queryset(api: Api) -> QuerySet[StandardPage]:
    """The standard pages an API lists as Ghost pages (live and unrestricted for content)."""
    pages = StandardPage.objects.all()
    if api == "content":
        pages = pages.live().public()
    return pages


def tag_queryset(api: Api) -> QuerySet[Tag]:
    return Tag.objects.select_related("feature_image")


def author_queryset(api: Api) -> QuerySet[Author]:
    return Author.objects.select_related("avatar", "cover_image")


def tier_queryset(api: Api) -> QuerySet[Tier]:
    tiers = Tier.objects.all()
    return tiers.active() if api == "content" else tiers


def newsletter_queryset(api: Api) -> QuerySet[Newsletter]:
    newsletters = Newsletter.objects.all()
    return newsletters.active() if api == "content" else newsletters


def published_posts() -> QuerySet[ArticlePage]:
    """What ``count.posts`` counts: posts the Content API lists."""
    return unrestricted(ArticlePage.objects.live().listed())


# --- Bodies ------------------------------------------------------------------------------------


def blocks_html(blocks: Iterable[Any], *, base: str, references: References | None) -> str:
    """Body blocks as Ghost-style HTML: paragraphs, headings and Koenig-like cards.

    The paywall block becomes ``<!--members-only-->``, where Ghost's editor puts its own.
    Blocks that only work on the site (a drive's live counter) become a plain link or go.
    """
    parts: list[str] = []
    pending: list[Any] = []

    def flush() -> None:
        for item in portable_blocks(pending, base=base, references=references):
            parts.append(_block_html(item))
        pending.clear()

    for block in blocks:
        if block.block_type == "paywall":
            flush()
            parts.append(MEMBERS_ONLY)
        else:
            pending.append(block)
    flush()
    return "".join(part for part in parts if part)


def _figure_html(shown: dict[str, Any], *, card: str = "kg-image-card") -> str:
    caption = shown.get("caption") or ""
    credit = shown.get("credit") or ""
    classes = f"kg-card {card}" + (" kg-card-hascaption" if caption or credit else "")
    image = format_html(
        '<img src="{}" class="kg-image" alt="{}" loading="lazy" width="{}" height="{}">',
        shown["src"],
        shown.get("alt") or "",
        shown["width"],
        shown["height"],
    )
    if shown.get("link"):
        image = format_html('<a href="{}">{}</a>', shown["link"], image)
    text = escape(caption)
    if credit:
        text = format_html("{} ({})", caption, credit) if caption else escape(credit)
    figcaption = format_html("<figcaption>{}</figcaption>", text) if text else ""
    return format_html('<figure class="{}">{}{}</figure>', classes, image, figcaption)


def _block_html(item: dict[str, Any]) -> str:
    kind = item["kind"]
    if kind == "paragraph":
        return str(item["html"])
    if kind == "heading":
        return format_html("<{0}>{1}</{0}>", item["level"], item["text"])
    if kind == "image":
        return _figure_html(item["figure"])
    if kind == "pull_quote":
        if item["attribution"]:
            return format_html(
                "<blockquote><p>{}</p><p>— {}</p></blockquote>",
                item["quote"],
                item["attribution"],
            )
        return format_html('<blockquote class="kg-blockquote-alt">{}</blockquote>', item["quote"])
    if kind == "editors_note":
        return format_html(
            '<div class="kg-card kg-callout-card kg-callout-card-grey">'
            '<div class="kg-callout-text">{}</div></div>',
            item["html"],
        )
    if kind == "embed":
        link = format_html(
            '<a href="{}">{}</a>', item["url"], item["title"] or _("View the original post")
        )
        caption = (
            format_html("<figcaption>{}</figcaption>", item["caption"]) if item["caption"] else ""
        )
        return format_html('<figure class="kg-card kg-embed-card">{}{}</figure>', link, caption)
    if kind == "video":
        poster = _figure_html(item["poster"], card="kg-embed-card") if item["poster"] else ""
        watch = format_html(
            '<p><a href="{}">{}</a></p>',
            item["url"],
            _("Watch “%(title)s” on %(provider)s")
            % {"title": item["title"], "provider": item["provider"]},
        )
        caption = format_html("<p>{}</p>", item["caption"]) if item["caption"] else ""
        return f"{poster}{watch}{caption}"
    if kind == "read_also":
        return format_html(
            '<p><strong>{}:</strong> <a href="{}">{}</a></p>',
            item["label"],
            item["url"],
            item["title"],
        )
    if kind == "membership_drive":
        return format_html('<p><a href="{}">{}</a></p>', item["url"], _("Become a member"))
    return ""


@dataclass
class _Body:
    html: str
    plaintext: str
    truncated: bool
    access: bool


def _article_bodies(
    articles: Sequence[ArticlePage], ctx: Context, *, photos: Iterable[Photo | None] = ()
) -> tuple[dict[int, _Body], References]:
    """What each article shows ``ctx.reader``, every body loaded in one pass.

    ``photos`` are the other photos the posts show (lead images, avatars, tags' images):
    their renditions come in the bodies' one query, and their addresses go to ``ctx``.
    """
    raw = {article.pk: list(article.body.raw_data) for article in articles}
    convert_bodies(list(articles))
    shown: dict[int, list[Any]] = {}
    access: dict[int, bool] = {}
    for article in articles:
        access[article.pk] = article.can_be_read_by(ctx.reader)
        shown[article.pk] = list(article.body) if access[article.pk] else article.free_preview
    unique: dict[int, Photo] = {}
    for photo in photos:
        if photo is not None and photo.pk not in ctx._photo_urls:
            unique.setdefault(photo.pk, photo)
    references = load_references(shown.values(), images=unique.values())
    for photo in unique.values():
        photo_url(photo, ctx)
    bodies = {}
    for article in articles:
        readable = access[article.pk]
        blocks = raw[article.pk]
        if readable:
            text = blocks_text(blocks)
        else:
            text = split_text(blocks, visibility=article.visibility)[0]
        bodies[article.pk] = _Body(
            html=blocks_html(shown[article.pk], base=_page_link(article), references=references),
            plaintext=text,
            truncated=not readable,
            access=readable,
        )
    return bodies, references


def _page_link(page: Any) -> str:
    return page_url(page) or settings.MASTHEAD_SITE_URL + "/"


def _excerpt(custom: str, plaintext: str) -> str:
    return custom or plaintext[:EXCERPT_LENGTH]


def _status(page: Any) -> str:
    if page.live:
        return "published"
    go_live_at = getattr(page, "go_live_at", None)
    if go_live_at is not None and go_live_at > timezone.now():
        return "scheduled"
    return "draft"


def updated_at(page: Any) -> datetime | None:
    return page.latest_revision_created_at or page.last_published_at or page.created_at


def _formats_part(
    ctx: Context, body: _Body | None, *, html: str | None, plaintext: str | None
) -> dict[str, Any]:
    """The body keys asked for in ``formats``, where Ghost puts them."""
    part: dict[str, Any] = {}
    if ctx.api == "admin":
        if "mobiledoc" in ctx.formats:
            part["mobiledoc"] = None
        if "lexical" in ctx.formats:
            part["lexical"] = None
    if "html" in ctx.formats:
        part["html"] = html
    return part


# --- Posts and pages ---------------------------------------------------------------------------


def serialize_posts(articles: Sequence[ArticlePage], ctx: Context) -> list[dict[str, Any]]:
    """Ghost post objects for ``articles`` (loaded from ``post_queryset``)."""
    return [pick_fields(post, ctx) for post in _post_objects(articles, ctx)]


def serialize_post_ids(ids: Sequence[int], ctx: Context) -> list[dict[str, Any]]:
    """Ghost post objects for the articles ``ids``, in that order, as ``serialize_posts``.

    A page of posts costs dozens of model instances, a StreamField conversion and a
    rendition lookup per body, far more than the rest of an answer; the objects are kept
    (``pagecache.memoize``) for the reader's access variant, includes and formats. Every
    change to an article bumps ``listing`` and every change to a tag, author, photo, tier,
    privacy setting or the site's settings bumps ``site`` too, so a kept page is exact.
    """
    if not ids:
        return []
    from masthead.publishing import pagecache

    def build() -> list[dict[str, Any]]:
        loaded = {article.pk: article for article in post_queryset(ctx.api).filter(pk__in=ids)}
        return _post_objects([loaded[pk] for pk in ids if pk in loaded], ctx)

    key = ":".join(
        (
            "contentapi:posts",
            ctx.api,
            ctx.reader.variant,
            ",".join(sorted(ctx.include)),
            ",".join(sorted(ctx.formats)),
            ",".join(str(pk) for pk in ids),
        )
    )
    posts = pagecache.memoize(key, ["listing", "site"], build)
    return [pick_fields(post, ctx) for post in posts]


def _post_objects(articles: Sequence[ArticlePage], ctx: Context) -> list[dict[str, Any]]:
    """Whole post objects (before ``?fields=``), every relation loaded in a fixed number of queries."""
    articles = list(articles)
    if not articles:
        return []
    photos = _photos_of(articles, "lead_image", "og_image", "twitter_image")
    if "authors" in ctx.include:
        photos.extend(
            photo
            for article in articles
            for credit in article.article_authors.all()
            for photo in (credit.author.avatar, credit.author.cover_image)
        )
    if "tags" in ctx.include:
        photos.extend(tag.feature_image for article in articles for tag in _post_tags(article))
    bodies, _references = _article_bodies(articles, ctx, photos=photos)
    author_counts = (
        _author_post_counts(
            {credit.author_id for article in articles for credit in article.article_authors.all()}
        )
        if "count.posts" in ctx.include
        else {}
    )
    newsletters = _sent_newsletters(articles) if ctx.api == "admin" else {}
    return [
        _post(
            article,
            bodies[article.pk],
            ctx,
            author_counts=author_counts,
            newsletter=newsletters.get(article.pk),
        )
        for article in articles
    ]


def _post_tags(article: ArticlePage) -> list[Tag]:
    """The section first, then the other tags by name, as Ghost orders a post's tags."""
    tags = [tag for tag in article.tags.all() if tag.pk != article.section_id]
    tags.sort(key=lambda tag: tag.name.lower())
    if article.section_id and article.section is not None:
        return [article.section, *tags]
    return tags


def _post(
    article: ArticlePage,
    body: _Body,
    ctx: Context,
    *,
    author_counts: dict[int, int],
    newsletter: Newsletter | None,
) -> dict[str, Any]:
    admin = ctx.api == "admin"
    link = _page_link(article) if article.live else settings.MASTHEAD_SITE_URL + "/404/"
    post: dict[str, Any] = {
        "id": article.ghost_id,
        "uuid": str(article.uuid),
        "title": article.title,
        "slug": article.slug,
    }
    post.update(_formats_part(ctx, body, html=body.html, plaintext=body.plaintext))
    post["comment_id"] = article.ghost_id
    if "plaintext" in ctx.formats:
        post["plaintext"] = body.plaintext
    post["feature_image"] = photo_url(article.lead_image, ctx)
    post["featured"] = article.is_featured
    if admin:
        post["status"] = _status(article)
    post["visibility"] = article.visibility
    post["created_at"] = site_date(article.created_at, ctx)
    post["updated_at"] = site_date(updated_at(article), ctx)
    post["published_at"] = site_date(article.first_published_at, ctx)
    post["custom_excerpt"] = _or_null(article.dek)
    post["codeinjection_head"] = None
    post["codeinjection_foot"] = None
    post["custom_template"] = None
    post["canonical_url"] = _or_null(article.canonical_url)
    post.update(_relations(article, ctx, author_counts=author_counts))
    if admin:
        post["email_segment"] = "all"
    post["url"] = link
    post["excerpt"] = _excerpt(article.dek, body.plaintext)
    post["reading_time"] = article.reading_time
    if not admin:
        post["access"] = body.access
        post["comments"] = False
    post["og_image"] = photo_url(article.og_image, ctx)
    post["og_title"] = _or_null(article.og_title)
    post["og_description"] = _or_null(article.og_description)
    post["twitter_image"] = photo_url(article.twitter_image, ctx)
    post["twitter_title"] = _or_null(article.twitter_title)
    post["twitter_description"] = _or_null(article.twitter_description)
    post["meta_title"] = _or_null(article.seo_title)
    post["meta_description"] = _or_null(article.search_description)
    post["email_subject"] = None
    post["frontmatter"] = None
    post["feature_image_alt"] = _or_null(article.lead_alt) if article.lead_image_id else None
    post["feature_image_caption"] = (
        _caption_html(article.lead_caption, article.lead_credit) if article.lead_image_id else None
    )
    if admin:
        post["email_only"] = article.email_only
        post["newsletter"] = _admin_newsletter(newsletter, ctx) if newsletter else None
        post["email"] = None
        post["type"] = "post"
    if body.truncated and "plaintext" not in ctx.formats and not admin:
        # Ghost's gating regenerates plaintext from the cut body and sends it along.
        post["plaintext"] = body.plaintext
    return post


def _caption_html(caption: str, credit: str) -> str | None:
    """Caption and credit as Ghost's editor stores a feature image caption (HTML)."""
    if caption and credit:
        return str(format_html("{} ({})", caption, credit))
    if caption or credit:
        return str(escape(caption or credit))
    return None


def _relations(
    article: ArticlePage, ctx: Context, *, author_counts: dict[int, int]
) -> dict[str, Any]:
    part: dict[str, Any] = {}
    include = ctx.include
    if "tags" in include:
        tags = _post_tags(article)
        part["tags"] = [_tag(tag, ctx, count=None) for tag in tags]
    if "tiers" in include:
        part["tiers"] = _post_tiers(article, ctx)
    if "authors" in include:
        authors = [credit.author for credit in article.article_authors.all()]
        part["authors"] = [
            _author(author, ctx, count=author_counts.get(author.pk)) for author in authors
        ]
        part["primary_author"] = part["authors"][0] if part["authors"] else None
    if "tags" in include:
        public = [tag for tag in _post_tags(article) if tag.visibility == Tag.Visibility.PUBLIC]
        first = public[0] if public else None
        part["primary_tag"] = (
            next(item for item in part["tags"] if item["id"] == first.ghost_id) if first else None
        )
    return part


def _post_tiers(article: ArticlePage, ctx: Context) -> list[dict[str, Any]]:
    """The tiers that may read the post, as Ghost lists them: paid ones for paid posts."""
    tiers = list(article.tiers.all())
    if article.visibility == "tiers":
        chosen = [tier for tier in tiers if tier.kind == Tier.Kind.PAID]
    else:
        chosen = list(_all_tiers(ctx))
        if article.visibility == "paid":
            chosen = [tier for tier in chosen if tier.kind == Tier.Kind.PAID]
    return [_tier(tier, ctx, with_prices=False, with_benefits=False) for tier in chosen]


def _all_tiers(ctx: Context) -> list[Tier]:
    if ctx._tiers is None:
        ctx._tiers = list(Tier.objects.active().order_by("kind", "monthly_price", "pk"))
    return ctx._tiers


def _sent_newsletters(articles: Sequence[ArticlePage]) -> dict[int, Newsletter]:
    from masthead.newsletters.models import NewsletterSend

    sends = NewsletterSend.objects.filter(page__in=[article.pk for article in articles])
    found: dict[int, Newsletter] = {}
    for send in sends.select_related("newsletter__header_image").order_by("created_at"):
        if send.page_id is not None:
            found[send.page_id] = send.newsletter
    return found


def serialize_pages(pages: Sequence[StandardPage], ctx: Context) -> list[dict[str, Any]]:
    """Ghost page objects for standard pages. Pages are public: nothing to gate."""
    pages = list(pages)
    if not pages:
        return []
    stream_block = StandardPage._meta.get_field("body").stream_block
    raw = {page.pk: list(page.body.raw_data) for page in pages}
    from wagtail.blocks import StreamValue

    children: list[Any] = []
    spans = []
    for page in pages:
        spans.append((len(children), len(raw[page.pk])))
        children.extend(raw[page.pk])
    converted = list(StreamValue(stream_block, children, is_lazy=True))
    blocks = {
        page.pk: converted[start : start + count]
        for page, (start, count) in zip(pages, spans, strict=True)
    }
    references = load_references(blocks.values())
    answer = []
    for page in pages:
        intro = page.intro or ""
        text = "\n".join(part for part in (intro, blocks_text(raw[page.pk])) if part)
        html = blocks_html(blocks[page.pk], base=_page_link(page), references=references)
        if intro:
            html = str(format_html("<p>{}</p>", intro)) + html
        body = _Body(html=html, plaintext=text, truncated=False, access=True)
        answer.append(pick_fields(_page(page, body, ctx), ctx))
    return answer


def _page(page: StandardPage, body: _Body, ctx: Context) -> dict[str, Any]:
    admin = ctx.api == "admin"
    obj: dict[str, Any] = {
        "id": page.ghost_id,
        "uuid": str(page.uuid),
        "title": page.title,
        "slug": page.slug,
    }
    obj.update(_formats_part(ctx, body, html=body.html, plaintext=body.plaintext))
    obj["comment_id"] = page.ghost_id
    if "plaintext" in ctx.formats:
        obj["plaintext"] = body.plaintext
    obj["feature_image"] = None
    obj["featured"] = False
    if admin:
        obj["status"] = _status(page)
    obj["visibility"] = "public"
    obj["created_at"] = site_date(page.created_at, ctx)
    obj["updated_at"] = site_date(updated_at(page), ctx)
    obj["published_at"] = site_date(page.first_published_at, ctx)
    obj["custom_excerpt"] = _or_null(page.intro)
    obj["codeinjection_head"] = None
    obj["codeinjection_foot"] = None
    obj["custom_template"] = None
    obj["canonical_url"] = None
    obj["show_title_and_feature_image"] = True
    if "tags" in ctx.include:
        obj["tags"] = []
    if "tiers" in ctx.include:
        obj["tiers"] = [
            _tier(tier, ctx, with_prices=False, with_benefits=False) for tier in _all_tiers(ctx)
        ]
    if "authors" in ctx.include:
        obj["authors"] = []
        obj["primary_author"] = None
    if "tags" in ctx.include:
        obj["primary_tag"] = None
    obj["url"] = _page_link(page) if page.live else settings.MASTHEAD_SITE_URL + "/404/"
    obj["excerpt"] = _excerpt(page.intro, body.plaintext)
    obj["reading_time"] = _reading_time(body.plaintext)
    if not admin:
        obj["access"] = True
        obj["comments"] = False
    obj["og_image"] = None
    obj["og_title"] = None
    obj["og_description"] = None
    obj["twitter_image"] = None
    obj["twitter_title"] = None
    obj["twitter_description"] = None
    obj["meta_title"] = _or_null(page.seo_title)
    obj["meta_description"] = _or_null(page.search_description)
    obj["frontmatter"] = None
    obj["feature_image_alt"] = None
    obj["feature_image_caption"] = None
    if admin:
        obj["type"] = "page"
    return obj


def _reading_time(text: str) -> int:
    from masthead.publishing.reading_time import count_words, reading_time_minutes

    return reading_time_minutes(word_count=count_words(text), image_count=0)


# --- Authors and tags --------------------------------------------------------------------------


def serialize_authors(authors: Sequence[Author], ctx: Context) -> list[dict[str, Any]]:
    authors = list(authors)
    prefetch_renditions(_photos_of(authors, "avatar", "cover_image"), ctx)
    counts = (
        _author_post_counts({author.pk for author in authors})
        if "count.posts" in ctx.include
        else {}
    )
    return [
        pick_fields(_author(author, ctx, count=counts.get(author.pk, 0) if counts else None), ctx)
        for author in authors
    ]


def _author_post_counts(author_ids: set[int]) -> dict[int, int]:
    if not author_ids:
        return {}
    rows = (
        ArticleAuthor.objects.filter(author_id__in=author_ids, page__in=published_posts())
        .values("author_id")
        .annotate(posts=Count("page_id", distinct=True))
    )
    counts = dict.fromkeys(author_ids, 0)
    counts.update({row["author_id"]: row["posts"] for row in rows})
    return counts


def _handle(value: str, *, at: bool = False) -> str | None:
    value = value.strip().lstrip("@")
    if not value:
        return None
    return "@" + value if at else value


def _author(author: Author, ctx: Context, *, count: int | None) -> dict[str, Any]:
    return _remembered("author", author.pk, count, ctx, lambda: _build_author(author, ctx, count))


def _build_author(author: Author, ctx: Context, count: int | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": author.ghost_id,
        "name": author.name,
        "slug": author.slug,
        "profile_image": photo_url(author.avatar, ctx) if author.avatar_id else None,
        "cover_image": photo_url(author.cover_image, ctx) if author.cover_image_id else None,
        "bio": _or_null(author.bio),
        "website": _or_null(author.website),
        "location": _or_null(author.location),
        "facebook": _or_null(author.facebook),
        "twitter": _handle(author.x_handle, at=True),
        "threads": None,
        "bluesky": _handle(author.bluesky_handle),
        "mastodon": _or_null(author.mastodon),
        "tiktok": None,
        "youtube": None,
        "instagram": _or_null(author.instagram),
        "linkedin": _or_null(author.linkedin),
        "meta_title": None,
        "meta_description": None,
    }
    if count is not None:
        obj["count"] = {"posts": count}
    obj["url"] = slug_url("publishing:author", author.slug, ctx)
    return obj


def serialize_tags(tags: Sequence[Tag], ctx: Context) -> list[dict[str, Any]]:
    tags = list(tags)
    prefetch_renditions(_photos_of(tags, "feature_image"), ctx)
    counts = _tag_post_counts([tag.pk for tag in tags]) if "count.posts" in ctx.include else {}
    return [
        pick_fields(_tag(tag, ctx, count=counts.get(tag.pk, 0) if counts else None), ctx)
        for tag in tags
    ]


def _tag_post_counts(tag_ids: list[int]) -> dict[int, int]:
    """Published posts filed under each tag, as section or tag, in one query.

    An article filed under a tag both ways joins twice, hence ``COUNT(DISTINCT …)``.
    """
    if not tag_ids:
        return {}
    matching = (
        published_posts()
        .filter(Q(section_id=OuterRef("pk")) | Q(tags=OuterRef("pk")))
        .order_by()
        .annotate(n=_CountDistinct(F("pk")))
        .values("n")
    )
    rows = Tag.objects.filter(pk__in=tag_ids).annotate(
        posts=Coalesce(Subquery(matching, output_field=IntegerField()), 0)
    )
    return {tag.pk: tag.posts for tag in rows}


class _CountDistinct(Func):
    """``COUNT(DISTINCT x)`` without a GROUP BY: one count for the whole subquery."""

    template = "COUNT(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def tag_url(tag: Tag, ctx: Context | None = None) -> str:
    """Internal tags have no page: Ghost points them at ``/404/``."""
    if tag.visibility != Tag.Visibility.PUBLIC:
        return settings.MASTHEAD_SITE_URL + "/404/"
    if ctx is None:
        return absolute_url(tag.get_absolute_url())
    return slug_url("publishing:tag", tag.slug, ctx)


def _tag(tag: Tag, ctx: Context, *, count: int | None) -> dict[str, Any]:
    return _remembered("tag", tag.pk, count, ctx, lambda: _build_tag(tag, ctx, count))


def _build_tag(tag: Tag, ctx: Context, count: int | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": tag.ghost_id,
        "name": tag.name,
        "slug": tag.slug,
        "description": _or_null(tag.description),
        "feature_image": photo_url(tag.feature_image, ctx) if tag.feature_image_id else None,
        "visibility": tag.visibility,
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "meta_title": None,
        "meta_description": None,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "canonical_url": None,
        "accent_color": _or_null(tag.accent_colour),
    }
    if ctx.api == "admin":
        obj["created_at"] = site_date(tag.created_at, ctx)
        obj["updated_at"] = site_date(tag.updated_at, ctx)
    if count is not None:
        obj["count"] = {"posts": count}
    obj["url"] = tag_url(tag, ctx)
    return obj


# --- Tiers and newsletters ---------------------------------------------------------------------


def serialize_tiers(tiers: Sequence[Tier], ctx: Context) -> list[dict[str, Any]]:
    with_prices = bool({"monthly_price", "yearly_price"} & ctx.include) or ctx.api == "admin"
    with_benefits = "benefits" in ctx.include or ctx.api == "admin"
    return [
        pick_fields(_tier(tier, ctx, with_prices=with_prices, with_benefits=with_benefits), ctx)
        for tier in tiers
    ]


def _tier(tier: Tier, ctx: Context, *, with_prices: bool, with_benefits: bool) -> dict[str, Any]:
    paid = tier.kind == Tier.Kind.PAID
    obj: dict[str, Any] = {
        "id": tier.ghost_id,
        "name": tier.name,
        "description": _or_null(tier.description),
        "slug": tier.slug,
        "active": tier.is_active,
        "type": tier.kind,
        "welcome_page_url": _or_null(tier.welcome_page_url),
        "created_at": utc_date(tier.created_at),
        "updated_at": utc_date(tier.updated_at),
        "visibility": "public" if tier.is_public else "none",
    }
    if with_benefits:
        obj["benefits"] = [line.strip() for line in tier.benefits.splitlines() if line.strip()]
    if with_prices:
        obj["currency"] = tier.currency.upper() if paid and tier.currency else None
        obj["monthly_price"] = tier.monthly_price if paid else None
        obj["yearly_price"] = tier.yearly_price if paid else None
    obj["trial_days"] = tier.trial_days
    return obj


def serialize_newsletters(newsletters: Sequence[Newsletter], ctx: Context) -> list[dict[str, Any]]:
    """Newsletters as the API of ``ctx`` shows them: the public subset, or the whole object."""
    newsletters = list(newsletters)
    if ctx.api == "admin":
        prefetch_renditions(_photos_of(newsletters, "header_image"), ctx)
        return [pick_fields(_admin_newsletter(newsletter, ctx), ctx) for newsletter in newsletters]
    return [pick_fields(_newsletter(newsletter, ctx), ctx) for newsletter in newsletters]


def serialize_member_newsletters(
    newsletters: Sequence[Newsletter], ctx: Context
) -> list[dict[str, Any]]:
    """The newsletters on a member object: Ghost shows only these four keys there."""
    return [
        {
            "id": newsletter.ghost_id,
            "name": newsletter.name,
            "description": _or_null(newsletter.description),
            "status": newsletter.status,
        }
        for newsletter in newsletters
    ]


def sender_reply_to(newsletter: Newsletter) -> str:
    """Ghost's ``sender_reply_to``: "newsletter" (replies go to the sender), "support" or an address.

    masthead stores the address replies go to, blank for the sender's own; the site's
    support address is the one ``members_support_address`` shows in the settings.
    """
    reply_to = newsletter.reply_to.strip()
    if not reply_to or reply_to.lower() == newsletter.sender_email.strip().lower():
        return "newsletter"
    if reply_to.lower() == settings.DEFAULT_FROM_EMAIL.strip().lower():
        return "support"
    return reply_to


def _admin_newsletter(newsletter: Newsletter, ctx: Context) -> dict[str, Any]:
    """Ghost's whole newsletter object, in the order of a Ghost 6 database's columns.

    Design settings masthead's emails don't have take the values of Ghost's own default
    newsletter; the comment call to action is off, as masthead has no comments.
    """
    return {
        "id": newsletter.ghost_id,
        "uuid": str(newsletter.uuid),
        "name": newsletter.name,
        "description": _or_null(newsletter.description),
        "feedback_enabled": False,
        "slug": newsletter.slug,
        "sender_name": _or_null(newsletter.sender_name),
        "sender_email": _or_null(newsletter.sender_email),
        "sender_reply_to": sender_reply_to(newsletter),
        "status": newsletter.status,
        "visibility": newsletter.visibility,
        "subscribe_on_signup": newsletter.subscribe_on_signup,
        "sort_order": newsletter.sort_order,
        "header_image": (
            photo_url(newsletter.header_image, ctx) if newsletter.header_image_id else None
        ),
        "show_header_icon": True,
        "show_header_title": True,
        "show_excerpt": newsletter.show_excerpt,
        "title_font_category": "sans_serif",
        "title_alignment": "center",
        "show_feature_image": newsletter.show_feature_image,
        "body_font_category": "sans_serif",
        "footer_content": _footer_html(newsletter.footer),
        "show_badge": True,
        "show_header_name": False,
        "show_post_title_section": True,
        "show_comment_cta": False,
        "show_subscription_details": False,
        "show_latest_posts": False,
        "show_share_button": False,
        "background_color": "light",
        "post_title_color": None,
        "created_at": utc_date(newsletter.created_at),
        "updated_at": utc_date(newsletter.updated_at),
        "button_corners": "rounded",
        "button_style": "fill",
        "title_font_weight": "bold",
        "link_style": "underline",
        "image_corners": "square",
        "header_background_color": "transparent",
        "section_title_color": None,
        "divider_color": None,
        "button_color": "accent",
        "link_color": "accent",
    }


def _footer_html(footer: str) -> str | None:
    """masthead's plain-text footer as the HTML Ghost keeps in ``footer_content``."""
    if not footer.strip():
        return None
    return linebreaks(footer.strip(), autoescape=True).replace("\n\n", "")


def _newsletter(newsletter: Newsletter, ctx: Context) -> dict[str, Any]:
    """Ghost's public subset of a newsletter (``mappers/newsletters.js``)."""
    return {
        "id": newsletter.ghost_id,
        "uuid": str(newsletter.uuid),
        "name": newsletter.name,
        "description": _or_null(newsletter.description),
        "slug": newsletter.slug,
        "sender_email": _or_null(newsletter.sender_email),
        "subscribe_on_signup": newsletter.subscribe_on_signup,
        "visibility": newsletter.visibility,
        "sort_order": newsletter.sort_order,
        "created_at": utc_date(newsletter.created_at),
        "updated_at": utc_date(newsletter.updated_at),
    }


# --- Settings ----------------------------------------------------------------------------------


def _url_name(url: str) -> str | None:
    """The last part of a profile address: ``https://www.facebook.com/kyivdesk`` → ``kyivdesk``."""
    if not url:
        return None
    path = urlsplit(url).path.strip("/")
    return path.rsplit("/", 1)[-1] or None


def _navigation(
    site_settings: SiteSettings, blocks: Any, *, fallback: bool
) -> list[dict[str, str]]:
    items = []
    for block in blocks or []:
        if block.block_type == "section" and block.value is not None:
            items.append({"label": block.value.name, "url": block.value.get_absolute_url()})
        elif block.block_type == "link":
            value = block.value
            page = value.get("page")
            url = (page.url if page is not None else "") or value.get("url") or "/"
            items.append({"label": value["label"], "url": url})
    if not items and fallback:
        items = [
            {"label": tag.name, "url": tag.get_absolute_url()}
            for tag in Tag.objects.sections().public()
        ]
    return items


def serialize_settings(ctx: Context) -> dict[str, Any]:
    """Ghost's public settings, from the site's and membership settings."""
    site_settings = ctx.site_settings
    site = Site.objects.filter(is_default_site=True).first()
    membership = MembershipSettings.for_site(site) if site else MembershipSettings()
    locale = (settings.LANGUAGE_CODE or "en").split("-")[0]
    from masthead.publishing.social import x_handle

    logo = photo_url(site_settings.logo) if site_settings.logo_id else None
    share = photo_url(site_settings.share_image) if site_settings.share_image_id else None
    sender = settings.DEFAULT_FROM_EMAIL
    paid = Tier.objects.active().paid().exists()
    return {
        "title": site_settings.publication_name,
        "description": _or_null(site_settings.tagline),
        "logo": logo,
        "icon": None,
        "accent_color": _or_null(site_settings.accent_colour),
        "cover_image": share,
        "facebook": _url_name(site_settings.facebook_url),
        "twitter": x_handle(site_settings.x_url) or None,
        "threads": None,
        "bluesky": _url_name(site_settings.bluesky_url),
        "mastodon": None,
        "tiktok": _url_name(site_settings.tiktok_url),
        "youtube": _url_name(site_settings.youtube_url),
        "instagram": _url_name(site_settings.instagram_url),
        "linkedin": _url_name(site_settings.linkedin_url),
        "locale": locale,
        "timezone": site_settings.timezone or "UTC",
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "navigation": _navigation(site_settings, site_settings.navigation, fallback=True),
        "secondary_navigation": _navigation(
            site_settings, site_settings.footer_links, fallback=False
        ),
        "meta_title": None,
        "meta_description": None,
        "og_image": share,
        "og_title": None,
        "og_description": None,
        "twitter_image": share,
        "twitter_title": None,
        "twitter_description": None,
        "members_support_address": sender,
        "members_enabled": True,
        "donations_enabled": False,
        "allow_self_signup": membership.allow_signup,
        "members_invite_only": not membership.allow_signup,
        "members_signup_access": "all" if membership.allow_signup else "invite",
        "paid_members_enabled": paid,
        "firstpromoter_account": None,
        "portal_button_style": "icon-and-text",
        "portal_button_signup_text": "Subscribe",
        "portal_button_icon": None,
        "portal_signup_terms_html": None,
        "portal_signup_checkbox_required": False,
        "portal_plans": ["free", "monthly", "yearly"] if paid else ["free"],
        "portal_default_plan": "yearly",
        "portal_name": True,
        "portal_button": False,
        "comments_enabled": "off",
        "recommendations_enabled": False,
        "outbound_link_tagging": False,
        "default_email_address": sender,
        "support_email_address": sender,
        "editor_default_email_recipients": "visibility",
        "labs": {},
        "transistor_portal_enabled": False,
        "transistor_portal_heading": "Podcasts",
        "transistor_portal_description": "Access your RSS feeds",
        "transistor_portal_button_text": "Manage",
        "transistor_portal_url_template": "https://partner.transistor.fm/ghost/{memberUuid}",
        "site_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, settings.MASTHEAD_SITE_URL)),
        "lang": locale,
        "url": settings.MASTHEAD_SITE_URL + "/",
        "version": GHOST_VERSION,
    }


__all__ = [
    "RENDITION_FILTER",
    "Context",
    "page_queryset",
    "post_queryset",
    "serialize_authors",
    "serialize_member_newsletters",
    "serialize_newsletters",
    "serialize_pages",
    "serialize_post_ids",
    "serialize_posts",
    "serialize_settings",
    "serialize_tags",
    "serialize_tiers",
]
