"""Listing pages that are not Wagtail pages: tags, authors and the News Feed.

They live outside the page tree so their URLs are Ghost's (``/tag/<slug>/``,
``/author/<slug>/``) whatever the tree looks like.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from masthead.membership.middleware import current_reader

from . import search as search_logic
from .listings import listing_batch, live_articles, site_for
from .models import ArticleAuthor, Author, Tag, tagged_with
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
    # The author's credits walked for one batch of keys first, so the cards' query never
    # collects and sorts everything the author ever wrote.
    credited = Q(pk__in=ArticleAuthor.objects.filter(author=author).values("page_id"))
    return _listing_response(
        request,
        template="publishing/author_page.html",
        batch=listing_batch(live_articles(site_for(request)), request, any_of=[credited]),
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


def search(request: HttpRequest) -> HttpResponse:
    """Full-text search: relevance blended with recency, filters, "Show More" by page."""
    sections = list(Tag.objects.sections().public().only("name", "slug"))
    authors = list(Author.objects.only("name", "slug"))
    form = search_logic.SearchForm(request.GET, sections=sections, authors=authors)
    parsed = search_logic.parse_query(request.GET.get("q", ""))
    page_number = _page_number(request.GET.get("page"))
    found = search_logic.search_articles(
        request,
        parsed,
        reader=current_reader(request),
        filters=search_logic.filters_from(form, sections=sections, authors=authors),
        page_number=page_number,
    )
    query_string = form.query_string()
    context = {
        "form": form,
        "query": parsed.text,
        "query_was_cut": parsed.was_cut,
        "query_is_empty": parsed.is_empty,
        "max_query_length": search_logic.MAX_QUERY_LENGTH,
        "found": found,
        "more_url": f"{reverse('publishing:search')}?{query_string}&page={page_number + 1}",
    }
    if request.GET.get("partial") == "1":
        return TemplateResponse(request, "components/search_batch.html", context)
    return TemplateResponse(request, "publishing/search.html", context)


def _page_number(raw: str | None) -> int:
    """A page within the results' window; anything malformed means the first page."""
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return min(max(number, 1), search_logic.LAST_PAGE + 1)


def search_suggest(request: HttpRequest) -> JsonResponse:
    """Headlines for the header search box as the reader types (search.js)."""
    response = JsonResponse(
        {"suggestions": search_logic.suggest(request, request.GET.get("q", ""))}
    )
    # The same for every reader: only listed headlines, never anything gated.
    patch_cache_control(response, public=True, max_age=60)
    return response
