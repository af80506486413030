"""Listing pages that are not Wagtail pages: tags, authors and the News Feed.

They live outside the page tree so their URLs are Ghost's (``/tag/<slug>/``,
``/author/<slug>/``) whatever the tree looks like.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from .listings import listing_batch, live_articles, published_articles, site_for
from .models import Author, Tag, tagged_with
from .paging import Batch


def _listing_response(
    request: HttpRequest,
    *,
    template: str,
    batch: Batch,
    more_url: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The full page, or only the next items when "Show More" asks with ``partial=1``."""
    context = {**context, "batch": batch, "more_url": more_url}
    if request.GET.get("partial") == "1":
        return TemplateResponse(request, "components/listing_batch.html", context)
    return TemplateResponse(request, template, context)


def tag_page(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag.objects.public(), slug=slug)
    articles = live_articles(site_for(request))
    return _listing_response(
        request,
        template="publishing/tag_page.html",
        batch=listing_batch(articles, request, any_of=tagged_with(tag)),
        more_url=reverse("publishing:tag", kwargs={"slug": slug}),
        context={"tag": tag},
    )


def author_page(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("avatar", "cover_image"), slug=slug)
    articles = live_articles(site_for(request)).by_author(author)
    return _listing_response(
        request,
        template="publishing/author_page.html",
        batch=listing_batch(articles, request),
        more_url=reverse("publishing:author", kwargs={"slug": slug}),
        context={"author": author},
    )


def news_feed(request: HttpRequest) -> HttpResponse:
    articles = live_articles(site_for(request)).briefs()
    return _listing_response(
        request,
        template="publishing/news_feed.html",
        batch=listing_batch(articles, request, size=20),
        more_url=reverse("publishing:news_feed"),
        context={},
    )


SEARCH_PAGE_SIZE = 20
SEARCH_MAX_QUERY = 200
SEARCH_MAX_PAGE = 500


def search(request: HttpRequest) -> HttpResponse:
    """Full-text search over published articles, most relevant first."""
    # PostgreSQL cannot store a NUL character even in a query parameter.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_QUERY]
    try:
        page_number = min(SEARCH_MAX_PAGE, max(1, int(request.GET.get("page", "1"))))
    except ValueError:
        page_number = 1  # a malformed page number means the first page
    results: list[Any] = []
    has_next = False
    if query:
        start = (page_number - 1) * SEARCH_PAGE_SIZE
        site = site_for(request)
        found = list(
            published_articles(site).search(query, operator="and")[
                start : start + SEARCH_PAGE_SIZE + 1
            ]
        )
        has_next = len(found) > SEARCH_PAGE_SIZE and page_number < SEARCH_MAX_PAGE
        ids = [article.pk for article in found[:SEARCH_PAGE_SIZE]]
        cards = {a.pk: a for a in live_articles(site).filter(pk__in=ids)}
        results = [cards[pk] for pk in ids if pk in cards]
    return TemplateResponse(
        request,
        "publishing/search.html",
        {"query": query, "results": results, "page_number": page_number, "has_next": has_next},
    )
