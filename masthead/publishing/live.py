"""Live coverage for readers: the poll endpoint and the per-page feeds.

A live page's open tabs ask ``/<slug>/updates.json?since=<N>`` every few seconds for what
changed after the sequence number ``N`` (``docs/reference/live-updates-api.md``). Most polls
find nothing new, so the answer "nothing changed" (304) is decided from one query and a hash,
before anything is rendered. The ETag names the state of the coverage a reader has reached,
not the question, so the ETag of the answer that brought a reader to a cursor already matches
at that cursor: the first poll after a change is a 304 too. The answer is the same for every
reader (live coverage is free to read), so it never reads the session or the member cookie,
and a CDN may hold it a few seconds.

``/<slug>/rss/``, ``atom/`` and ``feed.json`` follow one live page in a feed reader, through the
same machinery as the site's feeds (``feeds.py``). A Wagtail page elsewhere in the tree may
have a child called ``rss``; when no live page has the slug, the request goes on to Wagtail.
"""

from __future__ import annotations

import functools
import hashlib
import json
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Exists,
    OuterRef,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Length, Substr
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import format_html
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from wagtail import views as wagtail_views
from wagtail.blocks import StreamValue
from wagtail.models import PageViewRestriction, Site

from masthead.ghost_errors import BadRequestError, MethodNotAllowedError, NotFoundError

from .feeds import FEED_SIZE, Channel, FeedAuthor, FeedEntry, serve_channel
from .middleware import timezone_for_request
from .models import LivePage, LiveUpdate, Photo
from .portable import absolute_url, load_references, portable_blocks
from .social import site_settings

# More changes than this since a reader's cursor and the page is better reloaded whole.
MAX_CHANGES = 50
# A cursor is a PostgreSQL bigint: 19 digits at most, and no more than this.
MAX_CURSOR = 2**63 - 1
# How long a rendered answer is kept; it is exact while kept (see _changes_json), this
# only bounds what a renamed author or a replaced photo leaves behind.
ANSWER_CACHE_SECONDS = 600
# Bumped when the JSON's shape changes, so no cache hands out an answer of the old shape.
PROTOCOL_VERSION = "1"


# --- Finding the page --------------------------------------------------------------------------


def _live_pages(slug: str) -> Any:
    """Live pages readers may open at ``/<slug>/``: published and not email-only.

    ``cursor`` (the latest sequence) and ``restricted`` (a Wagtail privacy setting on the
    page or above it) come with the row, so a poll that finds nothing new costs one query.
    """
    latest = (
        LiveUpdate.objects.filter(page=OuterRef("pk")).order_by("-sequence").values("sequence")[:1]
    )
    covering = PageViewRestriction.objects.filter(
        page__path=Substr(OuterRef("path"), 1, Length("page__path"))
    )
    return (
        LivePage.objects.live()
        .listed()
        .filter(slug=slug)
        .annotate(
            cursor=Coalesce(Subquery(latest), Value(0), output_field=BigIntegerField()),
            restricted=Exists(covering),
        )
        .defer("body", "key_points")
        .order_by("path")
    )


def find_live_page(request: HttpRequest, slug: str) -> LivePage | None:
    """The live page at ``/<slug>/`` for this request's site.

    Slugs are unique among siblings only, so with several sites two live pages may share
    one; then the request's site decides. A single match needs no site lookup.
    """
    pages = list(_live_pages(slug))
    if len(pages) <= 1:
        return pages[0] if pages else None
    site = Site.find_for_request(request)
    for page in pages:
        if site is not None and any(
            root.site_id == site.pk for root in page._get_relevant_site_root_paths(request)
        ):
            return page
    return pages[0]


@dataclass(frozen=True)
class PollState:
    """What decides a poll's answer, read with one cheap query: see ``find_poll_state``."""

    pk: int
    coverage_status: str
    published: str  # the page's last publication, as the database gives it (for the ETag)
    cursor: int
    restricted: bool


# Stands in for the slug while the poll's query is compiled once per process.
_SLUG_SENTINEL = "\x00masthead-live-slug\x00"


@functools.cache
def _poll_state_sql(vendor: str) -> tuple[str, tuple[Any, ...], int]:
    """The SQL of ``_live_pages`` for a poll, compiled once per database vendor.

    Building the query through the ORM (three tables, two subqueries) costs ~30 times
    more than running it; every poll runs the same query with another slug.
    """
    query = _live_pages(_SLUG_SENTINEL).values_list(
        "pk", "coverage_status", "last_published_at", "cursor", "restricted"
    )
    sql, params = query.query.sql_with_params()
    return sql, tuple(params), list(params).index(_SLUG_SENTINEL)


def find_poll_state(request: HttpRequest, slug: str) -> PollState | None:
    """The poll state of the live page at ``/<slug>/`` for this request's site, in one query."""
    sql, template, position = _poll_state_sql(connection.vendor)
    params = list(template)
    params[position] = slug
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(rows) > 1:
        # Several sites share the slug: let the request's site decide, as pages do.
        page = find_live_page(request, slug)
        rows = [row for row in rows if page is not None and row[0] == page.pk]
    if not rows:
        return None
    pk, status, published, latest, restricted = rows[0]
    return PollState(
        pk=int(pk),
        coverage_status=str(status),
        published=str(published or ""),
        cursor=int(latest),
        restricted=bool(restricted),
    )


def _passes_restrictions(request: HttpRequest, page: LivePage) -> bool:
    """Whether this request passes every privacy setting over ``page`` (password, sign-in)."""
    return all(restriction.accept_request(request) for restriction in page.get_view_restrictions())


# --- The poll endpoint -------------------------------------------------------------------------


class BadCursor(ValueError):
    def __init__(self, message: str, context: str) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


def parse_since(values: list[str]) -> int:
    """The ``since`` cursor, or ``BadCursor`` saying what is wrong and how to fix it."""
    how = _(
        "Send the “cursor” of the last answer, or the page's data-cursor, as ?since=<number>; "
        "?since=0 asks for every update."
    )
    if not values:
        raise BadCursor(_("The since parameter is missing."), how)
    if len(values) > 1:
        raise BadCursor(
            _("Send the since parameter once, not %(count)d times.") % {"count": len(values)}, how
        )
    raw = values[0]
    # isdecimal() alone would let "²" or "٣" through to int().
    if not (raw.isascii() and raw.isdecimal()):
        raise BadCursor(
            _("“%(value)s” is not a cursor: a cursor is a whole number, 0 or more.")
            % {"value": raw[:40]},
            how,
        )
    if len(raw) > 19 or int(raw) > MAX_CURSOR:
        raise BadCursor(
            _("The cursor %(value)s is too large; no live page has numbers that high.")
            % {"value": raw[:40]},
            how,
        )
    return int(raw)


def not_found() -> JsonResponse:
    return NotFoundError(
        _("There is no live coverage at this address."),
        context=_(
            "Check the page's address; coverage that was unpublished or never went live has no updates."
        ),
    ).response()


def poll_seconds() -> int:
    return int(settings.MASTHEAD_LIVE_POLL_SECONDS)


def poll_etag(state: PollState, *, poll_after: int, zone: str) -> str:
    """A strong ETag of the answers at every cursor for this state, without rendering one.

    ``since`` is left out on purpose. An answer brings its reader to ``state.cursor``, and
    the answer at that cursor (nothing new) then has the same ETag, so the reader's
    If-None-Match from the answer with changes gets a 304 at its new cursor. It stays a
    strong ETag for each address: the answer to one ``since`` is decided by the parts
    below and nothing else, the changes' rendered times by ``zone``. Any change to an
    update takes a new sequence (``actions.py``), so it moves the cursor; status, a new
    publication and the interval are named on their own.
    """
    parts = [
        PROTOCOL_VERSION,
        str(state.pk),
        str(state.cursor),
        state.coverage_status,
        state.published,
        str(poll_after),
        zone,
    ]
    return quote_etag(hashlib.sha256("|".join(parts).encode()).hexdigest()[:40])


def poll_zone(request: HttpRequest) -> str:
    """The name of the site's timezone, in which the answers' times are rendered.

    Kept in this process's memory while the site's settings are unchanged, so the 304 it
    helps decide still costs the one query of ``find_poll_state`` and no site lookups.
    """
    from . import pagecache

    return pagecache.memoize(
        f"live-zone:{request.get_host()}:{request.get_port()}",
        ["site"],
        lambda: timezone_for_request(request).key,
    )


def _cache_headers(response: HttpResponse, *, etag: str, poll_after: int, public: bool) -> None:
    response["ETag"] = etag
    if public:
        patch_cache_control(
            response,
            public=True,
            max_age=max(1, min(5, poll_after // 2)),
            stale_while_revalidate=poll_after,
        )
    else:
        # The request passed a privacy setting (a password, a sign-in): for it alone.
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)


def prepare_updates(updates: Sequence[LiveUpdate], page: LivePage) -> None:
    """Ready ``updates`` for ``components/live_update.html``, in a fixed number of queries.

    Each body converted on its own loads its photos with a query per update; one stream of
    every body loads them once, and their renditions come with them. Each update is given
    ``page`` so nothing asks the database for it again.
    """
    stream_block = LiveUpdate._meta.get_field("body").stream_block  # type: ignore[union-attr]
    raw: list[dict[str, Any]] = []
    spans = []
    for update in updates:
        update.page = page
        blocks = list(update.body.raw_data)
        spans.append((len(raw), len(blocks)))
        raw.extend(blocks)
    if not raw:
        return
    children = list(StreamValue(stream_block, raw, is_lazy=True))
    photos: list[Photo] = []
    for child in children:
        if child.block_type == "image" and child.value["image"] is not None:
            photos.append(child.value["image"])
        elif child.block_type == "video" and child.value.get("poster") is not None:
            photos.append(child.value["poster"])
    if photos:
        prefetch_related_objects(photos, "renditions")
    for update, (start, count) in zip(updates, spans, strict=True):
        update.body = StreamValue(stream_block, children[start : start + count])


def _update_json(update: LiveUpdate, *, since: int, page_url: str) -> dict[str, Any]:
    return {
        "id": update.pk,
        "new": update.created_sequence > since,
        "posted_at": update.posted_at.isoformat(timespec="seconds"),
        "pinned": update.is_pinned,
        "key_event": update.is_key_event,
        "html": render_to_string(
            "components/live_update.html", {"update": update, "page_url": page_url}
        ).strip(),
    }


def poll_body(
    state: PollState, *, since: int, poll_after: int, zone: zoneinfo.ZoneInfo | None = None
) -> dict[str, Any]:
    """The 200 answer: every change after ``since``, or ``reset`` when there are too many.

    An answer with nothing new (to a reader who sent no ETag) is built from ``state``
    alone; only changes load the page and render, in the site's timezone.
    """
    body: dict[str, Any] = {
        "cursor": state.cursor,
        "status": state.coverage_status,
        "updates": [],
        "removed": [],
        "reset": False,
        "poll_after": poll_after,
    }
    if since >= state.cursor:
        return body
    changed = list(
        LiveUpdate.objects.filter(page_id=state.pk, sequence__gt=since)
        .for_display()
        .newest_first()[: MAX_CHANGES + 1]
    )
    if len(changed) > MAX_CHANGES:
        body["reset"] = True
        return body
    shown = [update for update in changed if not update.is_deleted]
    body["removed"] = [update.pk for update in changed if update.is_deleted]
    if shown:
        page = _load_page(state)
        prepare_updates(shown, page)
        page_url = page.url or ""
        with timezone.override(zone):
            body["updates"] = [
                _update_json(update, since=since, page_url=page_url) for update in shown
            ]
    return body


def _load_page(state: PollState) -> LivePage:
    """The page behind ``state``, for an answer that renders updates (one more query)."""
    page = LivePage.objects.defer("body", "key_points").get(pk=state.pk)
    page.cursor = state.cursor  # as _live_pages annotates it
    return page


def _changes_json(state: PollState, *, etag: str, since: int, poll_after: int, zone: str) -> bytes:
    """The answer with changes, rendered once and shared by every reader who asks for it.

    Right after an update is posted, every open page asks the same question (the same
    ``since``) within one poll interval; rendering it for each of them made a thousand
    readers wait seconds. The key holds everything the answer depends on (the ETag's
    parts, the site's timezone among them, and ``since``, which the ETag leaves out) and the
    versions of what the updates show besides themselves, so a stored answer is never out
    of date; entries of past cursors simply stop being asked for.
    """
    from . import pagecache

    def build() -> bytes:
        # The middleware leaves polls alone; the updates' times are rendered here.
        body = poll_body(state, since=since, poll_after=poll_after, zone=zoneinfo.ZoneInfo(zone))
        return json.dumps(body, cls=DjangoJSONEncoder).encode()

    # Also under ``listing`` and ``site``: the updates show their authors and the stories
    # they were promoted to, which change without a new cursor (a story unpublished, an
    # author renamed).
    key = f"live-poll:{etag.strip(chr(34))}:{since}"
    return bytes(pagecache.memoize(key, ["listing", "site"], build, timeout=ANSWER_CACHE_SECONDS))


def live_updates(request: HttpRequest, slug: str) -> HttpResponse:
    """``GET /<slug>/updates.json?since=<N>``: what changed on a live page after ``N``."""
    response: HttpResponse
    if request.method not in ("GET", "HEAD"):
        response = MethodNotAllowedError(
            _("Only GET reads live updates."), context=_("Send a GET request to this address.")
        ).response()
        response["Allow"] = "GET, HEAD"
        return response
    try:
        since = parse_since(request.GET.getlist("since"))
    except BadCursor as bad:
        return BadRequestError(bad.message, context=bad.context).response()
    state = find_poll_state(request, slug)
    if state is None:
        return not_found()
    public = not state.restricted
    if not public and not _passes_restrictions(request, _load_page(state)):
        return not_found()
    poll_after = poll_seconds()
    zone = poll_zone(request)
    etag = poll_etag(state, poll_after=poll_after, zone=zone)
    headers = HttpResponse(content_type="application/json")
    _cache_headers(headers, etag=etag, poll_after=poll_after, public=public)
    # The 304 (or 412) is decided here, before a single update is read or rendered.
    conditional = get_conditional_response(request, etag=etag, response=headers)
    if conditional is not None and conditional is not headers:
        return conditional
    if since >= state.cursor:
        # Nothing new, for a reader who sent no ETag (a page just opened), from ``state``.
        response = JsonResponse(poll_body(state, since=since, poll_after=poll_after))
    else:
        response = HttpResponse(
            _changes_json(state, etag=etag, since=since, poll_after=poll_after, zone=zone),
            content_type="application/json",
        )
    _cache_headers(response, etag=etag, poll_after=poll_after, public=public)
    return response


# --- Feeds -------------------------------------------------------------------------------------


def update_entries(page: LivePage, updates: Sequence[LiveUpdate]) -> list[FeedEntry]:
    """One feed item per update: its words and pictures as a feed reader shows them."""
    prepare_updates(updates, page)
    references = load_references([list(update.body) for update in updates])
    entries = []
    for update in updates:
        link = absolute_url(update.permalink(page.url or "/"))
        blocks = portable_blocks(list(update.body), base=link, references=references)
        authors = (
            [
                FeedAuthor(
                    name=update.author.name, url=absolute_url(update.author.get_absolute_url())
                )
            ]
            if update.author is not None
            else []
        )
        content = render_to_string(
            "publishing/feed_entry.html",
            {
                "article": {"title": str(update)},
                "link": link,
                "lead": None,
                "excerpt": "",
                "can_read": True,
                "blocks": blocks,
                "notes": [],
            },
        ).strip()
        if update.author is not None:
            content += format_html(
                '<p>{} <a href="{}">{}</a></p>', _("By"), authors[0].url, update.author.name
            )
        changed = max(update.posted_at, update.changed_at)
        entries.append(
            FeedEntry(
                # The page's Ghost id, not its address: a renamed page keeps its items.
                guid=f"{page.ghost_id}-update-{update.pk}",
                title=str(update),
                link=link,
                summary=update.summary_text,
                content_html=content,
                published=update.posted_at,
                updated=changed,
                changed=changed,
                authors=authors,
                categories=[_("Key event")] if update.is_key_event else [],
            )
        )
    return entries


def live_channel(request: HttpRequest, page: LivePage, suffix: str) -> Channel:
    config = site_settings(request)
    updates = list(
        LiveUpdate.objects.filter(page=page).visible().for_display().newest_first()[:FEED_SIZE]
    )
    url = page.url or "/"
    return Channel(
        title=page.title,
        description=page.dek or page.title,
        home_url=absolute_url(url),
        path=url + suffix,
        page=1,
        entries=update_entries(page, updates),
        has_more=False,
        language=settings.LANGUAGE_CODE,
        publication=config.publication_name,
    )


def live_feed(kind: str) -> Callable[..., HttpResponse]:
    """One live page's feed in one format; any other page's ``<slug>/rss/`` goes to Wagtail."""

    def view(request: HttpRequest, slug: str) -> HttpResponse:
        page = find_live_page(request, slug)
        if page is None or page.restricted:
            return wagtail_views.serve(request, request.path_info.lstrip("/"))

        def build(request: HttpRequest, suffix: str) -> Channel:
            return live_channel(request, page, suffix)

        return serve_channel(request, build, kind=kind)

    return view


urlpatterns: list[URLPattern] = [
    path("<slug:slug>/updates.json", live_updates, name="live_updates"),
    path("<slug:slug>/rss/", live_feed("rss"), name="live_feed_rss"),
    path("<slug:slug>/atom/", live_feed("atom"), name="live_feed_atom"),
    path("<slug:slug>/feed.json", live_feed("json"), name="live_feed_json"),
]
