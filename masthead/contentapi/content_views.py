"""The Content API's endpoints: browse and read, as a Ghost 6 server answers them.

Every endpoint checks the content key first, then reads its parameters
(``params.BrowseParams``), narrows the resource's queryset with the NQL filter
(``filters``), cuts one page and hands the rows to ``serializers``. Posts and pages are
read as the member of the request (``members_context``), so their answers vary by reader;
everything else is the same for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from masthead.ghost_errors import NotFoundError, ValidationError
from masthead.membership.access import ANONYMOUS, Reader
from masthead.publishing.models import ArticleAuthor, Tag

from . import filters, serializers
from .auth import content_integration
from .http import api_view, json_response
from .members_context import api_reader, personalise
from .params import BrowseParams
from .serializers import Context

GHOST_ID = re.compile(r"^[0-9a-f]{24}$")
SEARCH_INDEX_LIMIT = 10_000
COUNT_TIMEOUT = 24 * 60 * 60


@dataclass(frozen=True)
class Resource:
    """One Ghost resource: its rows, how they are serialised, sorted and named."""

    name: str
    singular: str
    queryset: Callable[[], QuerySet[Any]]
    serialize: Callable[[Sequence[Any], Context], list[dict[str, Any]]]
    default_order: tuple[str, ...]
    per_reader: bool = False
    # Large lists (posts) are paged by id first and their objects built from the ids alone.
    serialize_ids: Callable[[Sequence[int], Context], list[dict[str, Any]]] | None = None


def _authors() -> QuerySet[Any]:
    # Ghost's Content API lists the authors with at least one published post.
    return serializers.author_queryset("content").filter(
        pk__in=ArticleAuthor.objects.filter(page__in=serializers.published_posts()).values(
            "author_id"
        )
    )


RESOURCES: dict[str, Resource] = {
    "posts": Resource(
        "posts",
        "post",
        lambda: serializers.post_queryset("content"),
        serializers.serialize_posts,
        ("-published_at", "-ghost_id"),
        per_reader=True,
        serialize_ids=serializers.serialize_post_ids,
    ),
    "pages": Resource(
        "pages",
        "page",
        lambda: serializers.page_queryset("content"),
        serializers.serialize_pages,
        ("title", "pk"),
        per_reader=True,
    ),
    "authors": Resource(
        "authors", "author", _authors, serializers.serialize_authors, ("name", "pk")
    ),
    "tags": Resource(
        "tags",
        "tag",
        lambda: serializers.tag_queryset("content"),
        serializers.serialize_tags,
        ("name", "pk"),
    ),
    "tiers": Resource(
        "tiers",
        "tier",
        lambda: serializers.tier_queryset("content"),
        serializers.serialize_tiers,
        ("kind", "monthly_price", "pk"),
    ),
    "newsletters": Resource(
        "newsletters",
        "newsletter",
        lambda: serializers.newsletter_queryset("content"),
        serializers.serialize_newsletters,
        ("sort_order", "pk"),
    ),
}


def _filtered(queryset: QuerySet[Any], resource: str, nql: str | None) -> QuerySet[Any]:
    if not nql:
        return queryset
    return filters.filter_queryset(queryset, resource, nql, api="content")


def _ordered(queryset: QuerySet[Any], resource: Resource, params: BrowseParams) -> QuerySet[Any]:
    ordered = filters.order_queryset(queryset, resource.name, params.order, api="content")
    if ordered is not None:
        return ordered
    slugs = params.slug_order()
    if slugs:
        position = Case(
            *(When(slug=slug, then=Value(index)) for index, slug in enumerate(slugs)),
            default=Value(len(slugs)),
            output_field=IntegerField(),
        )
        return queryset.order_by(position, *resource.default_order)
    return queryset.order_by(*resource.default_order)


def _reader(request: HttpRequest, resource: Resource) -> Reader:
    return api_reader(request) if resource.per_reader else ANONYMOUS


def _respond(request: HttpRequest, resource: Resource, body: dict[str, Any]) -> HttpResponse:
    response = json_response(body)
    return personalise(request, response) if resource.per_reader else response


def browse(request: HttpRequest, resource: Resource) -> HttpResponse:
    content_integration(request)
    params = BrowseParams.from_request(request, resource.name, api="content")
    reader = _reader(request, resource)
    rows = _ordered(_filtered(resource.queryset(), resource.name, params.filter), resource, params)
    ctx = Context(
        api="content",
        reader=reader,
        include=params.include,
        formats=params.formats,
        fields=params.fields,
        request=request,
    )
    if resource.serialize_ids is not None:
        total = _count(resource, rows)
        window = rows.prefetch_related(None).values_list("pk", flat=True)
        ids = (
            list(window[params.offset : params.offset + params.limit])
            if params.offset < total
            else []
        )
        objects = resource.serialize_ids(ids, ctx)
    else:
        total = rows.count()
        page = rows[params.offset : params.offset + params.limit]
        objects = resource.serialize(list(page) if params.offset < total else [], ctx)
    body = {resource.name: objects, "meta": params.pagination(total)}
    return _respond(request, resource, body)


def _count(resource: Resource, rows: QuerySet[Any]) -> int:
    """``rows.count()``, kept while no listed content changes (``listing`` is bumped).

    Ghost's ``meta.pagination.total`` needs it on every page, and counting a large archive
    costs tens of milliseconds. The key is the count's own SQL, so each filter has its
    own; a filter relative to now (``published_at:>now-7d``) puts the time in the SQL
    and is counted afresh, and such one-off keys expire after a day.
    """
    from masthead.publishing import pagecache

    counted = rows.order_by().prefetch_related(None).values("pk")
    sql, sql_params = counted.query.sql_with_params()
    key = f"contentapi:count:{resource.name}:{sql}:{sql_params!r}"
    return pagecache.memoize(key, ["listing", "site"], rows.count, timeout=COUNT_TIMEOUT)


def read(request: HttpRequest, resource: Resource, **lookup: str) -> HttpResponse:
    content_integration(request)
    if "ghost_id" in lookup and not GHOST_ID.match(lookup["ghost_id"]):
        raise ValidationError(
            _("Validation (matches) failed for id"),
            context=_("An id is 24 hexadecimal characters, as the API returns them."),
            property="id",
        )
    params = BrowseParams.from_request(request, resource.name, api="content")
    reader = _reader(request, resource)
    row = resource.queryset().filter(**lookup).first()
    if row is None:
        raise NotFoundError(
            _("Resource not found error, cannot read %(resource)s.")
            % {"resource": resource.singular},
            context=_("No published %(resource)s has this %(key)s.")
            % {"resource": resource.singular, "key": "id" if "ghost_id" in lookup else "slug"},
        )
    ctx = Context(
        api="content",
        reader=reader,
        include=params.include,
        formats=params.formats,
        fields=params.fields,
        request=request,
    )
    return _respond(request, resource, {resource.name: resource.serialize([row], ctx)})


def _endpoints(name: str) -> tuple[Callable[..., HttpResponse], ...]:
    resource = RESOURCES[name]

    @api_view("content")
    def browse_view(request: HttpRequest) -> HttpResponse:
        return browse(request, resource)

    @api_view("content")
    def read_by_id(request: HttpRequest, ghost_id: str) -> HttpResponse:
        return read(request, resource, ghost_id=ghost_id)

    @api_view("content")
    def read_by_slug(request: HttpRequest, slug: str) -> HttpResponse:
        return read(request, resource, slug=slug)

    return browse_view, read_by_id, read_by_slug


posts_browse, posts_read, posts_read_slug = _endpoints("posts")
pages_browse, pages_read, pages_read_slug = _endpoints("pages")
authors_browse, authors_read, authors_read_slug = _endpoints("authors")
tags_browse, tags_read, tags_read_slug = _endpoints("tags")
tiers_browse = _endpoints("tiers")[0]
newsletters_browse = _endpoints("newsletters")[0]


@api_view("content")
def settings_browse(request: HttpRequest) -> HttpResponse:
    content_integration(request)
    ctx = Context(api="content", reader=ANONYMOUS, request=request)
    return json_response({"settings": serializers.serialize_settings(ctx), "meta": {}})


@api_view("content")
def offers_read(request: HttpRequest, offer_id: str) -> HttpResponse:
    """masthead has no offers: every id is Ghost's "not found"."""
    content_integration(request)
    raise NotFoundError(
        _("Resource not found error, cannot read offer."),
        context=_("This site has no offers."),
    )


@api_view("content")
def recommendations_browse(request: HttpRequest) -> HttpResponse:
    """masthead recommends no other sites: an empty list, paginated as Ghost's."""
    content_integration(request)
    params = BrowseParams.from_request(request, "recommendations", api="content")
    return json_response({"recommendations": [], "meta": params.pagination(0)})


# --- The search widget's index ----------------------------------------------------------------


@api_view("content")
def search_index_posts(request: HttpRequest) -> HttpResponse:
    """Every listed post, newest first, in the flat shape Ghost's search widget reads.

    The excerpt is the standfirst, or the opening of what every reader may read, so the
    index never carries gated words.
    """
    content_integration(request)
    ctx = Context(api="content", reader=ANONYMOUS, request=request)
    articles = (
        serializers.published_posts()
        .order_by("-published_at", "-ghost_id")
        .only(
            "ghost_id",
            "slug",
            "title",
            "dek",
            "body",
            "visibility",
            "url_path",
            "latest_revision_created_at",
            "last_published_at",
            "created_at",
        )[:SEARCH_INDEX_LIMIT]
    )
    posts = [
        {
            "id": article.ghost_id,
            "slug": article.slug,
            "title": article.title,
            "excerpt": (article.dek or article.public_text)[: serializers.EXCERPT_LENGTH],
            "url": serializers.page_url(article) or None,
            "updated_at": serializers.site_date(serializers.updated_at(article), ctx),
            "visibility": article.visibility,
        }
        for article in articles
    ]
    return json_response({"posts": posts})


@api_view("content")
def search_index_authors(request: HttpRequest) -> HttpResponse:
    content_integration(request)
    authors = list(_authors().order_by("name", "pk")[:SEARCH_INDEX_LIMIT])
    serializers.prefetch_renditions([author.avatar for author in authors])
    return json_response(
        {
            "authors": [
                {
                    "id": author.ghost_id,
                    "slug": author.slug,
                    "name": author.name,
                    "url": serializers.absolute_url(author.get_absolute_url()),
                    "profile_image": serializers.photo_url(author.avatar)
                    if author.avatar_id
                    else None,
                }
                for author in authors
            ]
        }
    )


@api_view("content")
def search_index_tags(request: HttpRequest) -> HttpResponse:
    content_integration(request)
    tags = serializers.tag_queryset("content").filter(visibility=Tag.Visibility.PUBLIC)
    tags = tags.order_by("name", "pk")
    return json_response(
        {
            "tags": [
                {
                    "id": tag.ghost_id,
                    "slug": tag.slug,
                    "name": tag.name,
                    "url": serializers.tag_url(tag),
                }
                for tag in tags[:SEARCH_INDEX_LIMIT]
            ]
        }
    )
