"""Sitemaps on Ghost's paths, the Google News sitemap and robots.txt.

A newsroom that moves from Ghost keeps the sitemap addresses it gave search consoles:
``/sitemap.xml`` is an index of ``/sitemap-pages.xml``, ``-posts``, ``-authors`` and ``-tags``
(paged as ``sitemap-posts-2.xml`` past 50,000 addresses, as Ghost pages them), plus
``/sitemap-news.xml`` for Google News. Each kind is a ``django.contrib.sitemaps.Sitemap``;
the views are masthead's own because Django pages with ``?p=2``, not Ghost's file names.

Every sitemap runs a fixed number of queries, whatever the size of the archive, and lists
only what an anonymous reader can reach: email-only, unpublished and view-restricted pages
and internal tags never appear. Gated articles do: their address and headline are public.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import x_robots_tag
from django.contrib.sites.requests import RequestSite
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, re_path, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from wagtail.images.models import Filter
from wagtail.models import Page

from masthead.cachetags import valid_until

from .listings import published_articles, site_for
from .models import (
    ArticleNote,
    ArticlePage,
    Author,
    HomePage,
    LiveUpdate,
    Photo,
    PhotoRendition,
    SiteSettings,
    StandardPage,
    Tag,
    TeamPage,
)

# The protocol's limit per file, and where Ghost starts a second page.
URLS_PER_SITEMAP = 50_000
# Google News reads articles of the last two days, at most 1,000 per sitemap.
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1_000
# Ghost's defaults: an hour for sitemaps and robots.txt. The news sitemap changes with every
# story and Google fetches it often, so shared caches keep it for minutes only.
SITEMAP_MAX_AGE = 60 * 60
NEWS_MAX_AGE = 5 * 60
ROBOTS_MAX_AGE = 60 * 60
XML = "application/xml; charset=utf-8"

# The largest size each page shows of its image. A sitemap names that rendition when it
# already exists and the original otherwise: cutting renditions for thousands of photos
# on one crawler's request would take minutes and fill the disk with sizes nobody views.
ARTICLE_IMAGE = "fill-1280x720"  # article_page.html's lead image
TAG_IMAGE = "fill-1600x600"  # tag_page.html's header
AVATAR_IMAGE = "fill-240x240"  # components/avatar.html, large


def _existing_renditions(relation: str, spec: str) -> Prefetch:
    return Prefetch(relation, queryset=PhotoRendition.objects.filter(filter_spec=spec))


def _newest(*values: datetime | None) -> datetime | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def w3c(value: datetime | None) -> str:
    """A W3C datetime in the site's timezone, as the page itself shows times.

    Formatted here rather than with the template's ``date`` filter, one of the larger costs
    per address when a sitemap holds 50,000 of them.
    """
    return timezone.localtime(value).isoformat() if value is not None else ""


def _newest_published(articles: QuerySet) -> Subquery:
    return Subquery(articles.order_by("-published_at").values("published_at")[:1])


class SiteSitemap(Sitemap):
    """One kind of sitemap for the site of one request.

    Ghost lists the newest first; ``items()`` keeps that order so paging is stable.
    """

    name: ClassVar[str]
    image_spec: ClassVar[str] = ""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.site = site_for(request)

    @property
    def limit(self) -> int:  # type: ignore[override]  # read at request time, so tests can lower it
        return URLS_PER_SITEMAP

    @cached_property
    def listed_articles(self) -> Any:
        """Articles an anonymous reader finds on this site: published, listed, not private.

        ``published_articles`` already leaves out pages under Wagtail's privacy settings.
        An article republished from elsewhere (its canonical URL set) belongs to that
        other site's sitemap, so it is left out, as Ghost does.
        """
        return published_articles(self.site).filter(canonical_url="")

    def base(self) -> QuerySet:
        """What this sitemap lists, without the extras the XML needs."""
        raise NotImplementedError

    def items(self) -> QuerySet:
        return self.base()

    def summary(self) -> tuple[int, datetime | None]:
        """How many addresses, and the newest ``lastmod`` among them, for the index."""
        raise NotImplementedError

    def location(self, item: Any) -> str:
        return str(item.get_absolute_url())

    def image(self, item: Any) -> Photo | None:
        return None

    @cached_property
    def image_filter(self) -> Filter:
        return Filter(spec=self.image_spec)

    def image_url(self, photo: Photo) -> str:
        """An existing rendition's address, else the original's; never a new rendition."""
        found = photo.find_existing_renditions(self.image_filter)
        url = next(iter(found.values())).url if found else photo.file.url
        return self.request.build_absolute_uri(url)

    def page_urls(self, page: int) -> list[dict[str, Any]]:
        """Django's URL entries plus ``images`` and ``w3c_lastmod``, ready to print."""
        urls = self.get_urls(
            page=page, site=RequestSite(self.request), protocol=self.request.scheme
        )
        for url in urls:
            photo = self.image(url["item"])
            url["images"] = [self.image_url(photo)] if photo is not None else []
            url["w3c_lastmod"] = w3c(url["lastmod"])
        return urls

    def num_pages(self, count: int) -> int:
        return max(1, math.ceil(count / self.limit))


class PagesSitemap(SiteSitemap):
    """The home page, standard pages and the Team page."""

    name = "pages"

    def base(self) -> QuerySet:
        pages = Page.objects.live().public().type(HomePage, StandardPage, TeamPage)
        return pages.in_site(self.site) if self.site is not None else pages

    def items(self) -> QuerySet:
        return self.base().order_by("path")

    def location(self, item: Any) -> str:
        return str(item.get_url(self.request))

    def lastmod(self, item: Any) -> datetime | None:
        if self.site is not None and item.pk == self.site.root_page_id:
            # The front page changes with every story it lists.
            return _newest(self._published(item), self.newest_article)
        return self._published(item)

    @staticmethod
    def _published(page: Page) -> datetime | None:
        # Wagtail's own sitemap falls back the same way for pages saved before it recorded
        # publication times.
        return page.last_published_at or page.latest_revision_created_at

    @cached_property
    def newest_article(self) -> datetime | None:
        return self.listed_articles.aggregate(newest=Max("published_at"))["newest"]

    def summary(self) -> tuple[int, datetime | None]:
        totals = self.base().aggregate(
            count=Count("pk"),
            newest=Max(Coalesce("last_published_at", "latest_revision_created_at")),
        )
        return totals["count"], _newest(totals["newest"], self.newest_article)


class PostsSitemap(SiteSitemap):
    """Articles, with their lead image.

    ``lastmod`` is the newest of the publication, the editor's "Updated" time and the
    latest correction or update note, not Wagtail's ``last_published_at``: that moves on
    every republish, a tag added or a typo fixed as much as a story rewritten, and on every
    article of an import at once. Search engines trust a ``lastmod`` only while it tracks
    changes readers see, which are the ones the page itself dates. For live coverage that
    includes its latest change of an update (posted, edited or deleted), which the page
    shows without being republished.
    """

    name = "posts"
    image_spec = ARTICLE_IMAGE

    def base(self) -> QuerySet:
        return self.listed_articles

    def items(self) -> QuerySet:
        last_note = ArticleNote.objects.filter(page=OuterRef("pk")).order_by("-noted_at")
        # The highest sequence is the latest change; the page's unique index finds it.
        last_change = LiveUpdate.objects.filter(page=OuterRef("pk")).order_by("-sequence")
        return (
            self.base()
            .only("title", "url_path", "published_at", "updated_at", "lead_image")
            .select_related("lead_image")
            .prefetch_related(_existing_renditions("lead_image__renditions", self.image_spec))
            .annotate(
                last_note=Subquery(last_note.values("noted_at")[:1]),
                last_live_change=Subquery(last_change.values("changed_at")[:1]),
            )
            .order_by("-published_at", "-pk")
        )

    def location(self, item: Any) -> str:
        return str(item.get_url(self.request))

    def lastmod(self, item: Any) -> datetime | None:
        return _newest(item.published_at, item.updated_at, item.last_note, item.last_live_change)

    def image(self, item: Any) -> Photo | None:
        return item.lead_image

    def summary(self) -> tuple[int, datetime | None]:
        articles = self.base()
        totals = articles.aggregate(
            count=Count("pk"), published=Max("published_at"), updated=Max("updated_at")
        )
        notes = ArticleNote.objects.filter(page__in=articles.values("pk"))
        last_note = notes.aggregate(newest=Max("noted_at"))["newest"]
        changes = LiveUpdate.objects.filter(page__in=articles.values("pk"))
        last_change = changes.aggregate(newest=Max("changed_at"))["newest"]
        return totals["count"], _newest(
            totals["published"], totals["updated"], last_note, last_change
        )


class TagsSitemap(SiteSitemap):
    """Public tags that file at least one listed article; ``lastmod`` is the newest one."""

    name = "tags"
    image_spec = TAG_IMAGE

    def base(self) -> QuerySet:
        articles = self.listed_articles
        in_section = _newest_published(articles.filter(section=OuterRef("pk")))
        tagged = _newest_published(articles.filter(tags=OuterRef("pk")))
        return (
            Tag.objects.public()
            # SQLite's GREATEST is NULL when either side is; PostgreSQL's skips NULLs.
            .annotate(newest=Greatest(Coalesce(in_section, tagged), Coalesce(tagged, in_section)))
            .filter(newest__isnull=False)
        )

    def items(self) -> QuerySet:
        return (
            self.base()
            .select_related("feature_image")
            .prefetch_related(_existing_renditions("feature_image__renditions", self.image_spec))
            .order_by("-newest", "pk")
        )

    def lastmod(self, item: Tag) -> datetime:
        return item.newest  # annotated in base()

    def image(self, item: Tag) -> Photo | None:
        return item.feature_image

    def summary(self) -> tuple[int, datetime | None]:
        totals = self.base().aggregate(count=Count("pk"), latest=Max("newest"))
        return totals["count"], totals["latest"]


class AuthorsSitemap(SiteSitemap):
    """Authors with at least one listed article; ``lastmod`` is their newest one."""

    name = "authors"
    image_spec = AVATAR_IMAGE

    def base(self) -> QuerySet:
        bylined = self.listed_articles.filter(article_authors__author=OuterRef("pk"))
        return Author.objects.annotate(newest=_newest_published(bylined)).filter(
            newest__isnull=False
        )

    def items(self) -> QuerySet:
        return (
            self.base()
            .select_related("avatar")
            .prefetch_related(_existing_renditions("avatar__renditions", self.image_spec))
            .order_by("-newest", "pk")
        )

    def lastmod(self, item: Author) -> datetime:
        return item.newest  # annotated in base()

    def image(self, item: Author) -> Photo | None:
        return item.avatar

    def summary(self) -> tuple[int, datetime | None]:
        totals = self.base().aggregate(count=Count("pk"), latest=Max("newest"))
        return totals["count"], totals["latest"]


class NewsSitemap(SiteSitemap):
    """Google News: the listed articles of the last 48 hours, newest first, at most 1,000."""

    name = "news"

    @property
    def limit(self) -> int:  # type: ignore[override]
        return NEWS_LIMIT

    def base(self) -> QuerySet:
        since = timezone.now() - NEWS_WINDOW
        return self.listed_articles.filter(published_at__gte=since)

    def items(self) -> QuerySet:
        return (
            self.base()
            .only("title", "url_path", "published_at")
            .order_by("-published_at", "-pk")[:NEWS_LIMIT]
        )

    def location(self, item: Any) -> str:
        return str(item.get_url(self.request))

    def lastmod(self, item: ArticlePage) -> datetime | None:
        return item.published_at

    def summary(self) -> tuple[int, datetime | None]:
        totals = self.base().aggregate(count=Count("pk"), newest=Max("published_at"))
        return min(totals["count"], NEWS_LIMIT), totals["newest"]


# In the index, in Ghost's order; the news sitemap comes last.
SECTIONS: dict[str, type[SiteSitemap]] = {
    sitemap.name: sitemap for sitemap in (PagesSitemap, PostsSitemap, AuthorsSitemap, TagsSitemap)
}


def news_language() -> str:
    """The active language as Google News names it: ISO 639 (``en``), or zh-cn / zh-tw."""
    code = (translation.get_language() or "en").lower()
    if code.startswith("zh"):
        return "zh-tw" if code in {"zh-tw", "zh-hk", "zh-mo", "zh-hant"} else "zh-cn"
    return code.split("-")[0]


def _xml_response(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    last_modified: datetime | None,
    max_age: int,
) -> HttpResponse:
    response = TemplateResponse(request, template, context, content_type=XML)
    patch_cache_control(response, public=True, max_age=max_age)
    if last_modified is not None:
        # Informative only: no 304 is answered from it. An article that leaves a sitemap
        # (unpublished, aged out of the news window) changes the file without moving it.
        response.headers["Last-Modified"] = http_date(last_modified.timestamp())
    return response


@require_safe
@x_robots_tag
def index(request: HttpRequest) -> HttpResponse:
    """Every page of every sitemap that lists something, and the news sitemap if it does."""
    entries: list[tuple[str, datetime | None]] = []
    for sitemap in [*(kind(request) for kind in SECTIONS.values()), NewsSitemap(request)]:
        count, newest = sitemap.summary()
        if not count:
            continue
        for page in range(1, sitemap.num_pages(count) + 1):
            entries.append((request.build_absolute_uri(sitemap_path(sitemap.name, page)), newest))
    return _xml_response(
        request,
        "sitemaps/index.xml",
        {"sitemaps": [{"location": loc, "w3c_lastmod": w3c(lastmod)} for loc, lastmod in entries]},
        last_modified=_newest(*(lastmod for _, lastmod in entries)),
        max_age=SITEMAP_MAX_AGE,
    )


def sitemap_path(name: str, page: int = 1) -> str:
    if name == NewsSitemap.name:
        return reverse("publishing:sitemap_news")
    if page == 1:
        return reverse("publishing:sitemap_section", kwargs={"name": name})
    return reverse("publishing:sitemap_section_page", kwargs={"name": name, "page": str(page)})


@require_safe
@x_robots_tag
def section(request: HttpRequest, name: str, page: str | None = None) -> HttpResponse:
    """One page of one sitemap; an empty first page still answers, any other is a 404."""
    if name not in SECTIONS or page == "1":
        # ``sitemap-posts-1.xml`` would repeat ``sitemap-posts.xml``; Ghost answers 404 too.
        raise Http404
    sitemap = SECTIONS[name](request)
    try:
        urls = sitemap.page_urls(int(page or 1))
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404 from error
    return _xml_response(
        request,
        "sitemaps/urlset.xml",
        {"urlset": urls},
        last_modified=getattr(sitemap, "latest_lastmod", None),
        max_age=SITEMAP_MAX_AGE,
    )


@require_safe
@x_robots_tag
def news(request: HttpRequest) -> HttpResponse:
    sitemap = NewsSitemap(request)
    urls = sitemap.page_urls(1)
    published = [url["item"].published_at for url in urls if url["item"].published_at]
    if published:
        # The oldest story leaves the sitemap when it turns 48 hours old: a cached copy
        # must not outlive that moment.
        valid_until(min(published) + NEWS_WINDOW)
    return _xml_response(
        request,
        "sitemaps/news.xml",
        {
            "urlset": urls,
            "publication_name": SiteSettings.for_request(request).publication_name,
            "language": news_language(),
        },
        last_modified=getattr(sitemap, "latest_lastmod", None),
        max_age=NEWS_MAX_AGE,
    )


# Paths crawlers have no business in: the admin, a reader's own pages and links (sign-in,
# account, checkout, magic links, the email's "View in browser", unsubscribing), internal
# search results and machine endpoints. Ghost's robots.txt covers the same ground with
# /ghost/, /p/ (previews; here inside the admin), /email/ and /r/.
DISALLOWED = (
    "/admin/",
    "/ghost/",
    "/members/",
    "/email/",
    "/unsubscribe/",
    "/newsletters/manage/",
    "/search/",
    "/webhooks/",
    # "Show More" fragments of listings: the full pages list the same stories.
    "/*partial=1",
)
# Member pages anyone may find: joining, supporting, giving a gift. ``$`` keeps their
# follow-up pages (``done/``) out; a crawler that ignores ``$`` keeps out of them all.
# Listed before the disallowed paths: parsers that take the first matching rule (Python's
# among them) then agree with Google's longest match.
ALLOWED = ("/members/join/$", "/members/support/$", "/members/gift/$")


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    response = TemplateResponse(
        request,
        "sitemaps/robots.txt",
        {
            "disallowed": DISALLOWED,
            "allowed": ALLOWED,
            "sitemaps": [
                request.build_absolute_uri(reverse("publishing:sitemap")),
                request.build_absolute_uri(reverse("publishing:sitemap_news")),
            ],
        },
        content_type="text/plain; charset=utf-8",
    )
    patch_cache_control(response, public=True, max_age=ROBOTS_MAX_AGE)
    return response


urlpatterns: list[URLPattern] = [
    path("robots.txt", robots_txt, name="robots_txt"),
    path("sitemap.xml", index, name="sitemap"),
    path("sitemap-news.xml", news, name="sitemap_news"),
    re_path(r"^sitemap-(?P<name>[a-z]+)\.xml$", section, name="sitemap_section"),
    # Digits only, no leading zero, at most nine: anything else is no sitemap at all.
    re_path(
        r"^sitemap-(?P<name>[a-z]+)-(?P<page>[1-9][0-9]{0,8})\.xml$",
        section,
        name="sitemap_section_page",
    ),
]
