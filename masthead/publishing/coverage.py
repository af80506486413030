"""What a live page shows its readers: key events, pinned updates and the stream.

Every part is one query whatever the number of updates, so a page with thousands of
updates costs what a page with five does. The stream pages by keyset over
(``posted_at``, ``pk``), like the other listings (decision 0004): an update posted while
a reader pages back never shifts what "Show older updates" brings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F, Max, Q

from .models import LIVE_LATEST_UPDATES, LiveUpdate
from .paging import Batch, Cursor, after, batch_of_rows, paginate

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import LivePage

# The top of the stream is the page's ``latest_updates``, which its structured data reads.
STREAM_SIZE = LIVE_LATEST_UPDATES
KEY_EVENTS_SIZE = 10
PINNED_SIZE = 5
_MAX_ID = 2**63 - 1


def poll_seconds() -> int:
    return int(settings.MASTHEAD_LIVE_POLL_SECONDS)


def displayed_updates(page: LivePage) -> Any:
    """The page's visible updates with what ``components/live_update.html`` shows.

    ``published_at`` is the update's time under the name ``paging.paginate`` walks.
    """
    return (
        LiveUpdate.objects.filter(page=page)
        .visible()
        .for_display()
        .annotate(published_at=F("posted_at"))
    )


def _requested_update(page: LivePage, raw: str | None) -> LiveUpdate | None:
    """The visible update of ``page`` a permalink names; anything else means "the latest"."""
    raw = (raw or "").strip()
    # isdigit() alone lets "²" through to int(), which refuses it.
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 19 or int(raw) > _MAX_ID:
        return None
    return (
        LiveUpdate.objects.filter(page=page, pk=int(raw)).visible().only("pk", "posted_at").first()
    )


@dataclass
class Stream:
    batch: Batch[LiveUpdate]
    # The update a permalink opened the page at, or None for the latest updates.
    anchor: LiveUpdate | None
    # Paging back from an older batch (``?before=``): not the top of the stream either.
    paged: bool

    @property
    def at_latest(self) -> bool:
        return self.anchor is None and not self.paged


def _position(page: LivePage, request: HttpRequest) -> tuple[LiveUpdate | None, Cursor | None]:
    """Where the stream starts: a permalink's update and older, ``before``, or the latest."""
    anchor = _requested_update(page, request.GET.get("update"))
    if anchor is not None:
        # Keyset paging starts strictly after its cursor; one past the update's id
        # makes the update itself the first row.
        return anchor, Cursor(published_at=anchor.posted_at, pk=anchor.pk + 1)
    return None, Cursor.decode(request.GET.get("before"))


def _stream_of(
    page: LivePage, batch: Batch[LiveUpdate], anchor: LiveUpdate | None, cursor: Cursor | None
) -> Stream:
    if cursor is None:
        # The same rows ``LivePage.latest_updates`` would fetch again for the structured data.
        page.__dict__["latest_updates"] = batch.items
    return Stream(batch=batch, anchor=anchor, paged=cursor is not None and anchor is None)


def stream(page: LivePage, request: HttpRequest) -> Stream:
    """One batch of the stream: the latest, a permalink's update and older, or ``before``."""
    anchor, cursor = _position(page, request)
    batch = paginate(displayed_updates(page), cursor=cursor, size=STREAM_SIZE)
    return _stream_of(page, batch, anchor, cursor)


@dataclass
class Progress:
    cursor: int
    last_posted_at: datetime | None


def progress(page: LivePage) -> Progress:
    """The poll cursor (latest sequence, deleted rows included) and the latest update's time."""
    row = LiveUpdate.objects.filter(page=page).aggregate(
        cursor=Max("sequence"), last=Max("posted_at", filter=Q(deleted_at__isnull=True))
    )
    return Progress(cursor=row["cursor"] or 0, last_posted_at=row["last"])


def live_page_context(page: LivePage, request: HttpRequest) -> dict[str, Any]:
    """Everything ``publishing/live_page.html`` adds to the article page's context.

    One query, whatever the number of updates: the key events, the pinned updates and the
    stream's batch each walk the index for the few rows they show, and the query reads the
    union of those walks. The poll cursor is read before them (with the page itself, by
    ``ArticlePageQuerySet.for_page``): a change committed in between is then sent again by
    the first poll (live.js replaces what it shows), never skipped for good.
    """
    known = getattr(page, "known_progress", None)
    started = Progress(*known) if known is not None else progress(page)
    anchor, cursor = _position(page, request)
    newest = LiveUpdate.objects.filter(page_id=page.pk).visible().newest_first()
    shown = displayed_updates(page)
    walks = (
        Q(pk__in=newest.filter(is_key_event=True).values("pk")[:KEY_EVENTS_SIZE])
        | Q(pk__in=newest.filter(is_pinned=True).values("pk")[:PINNED_SIZE])
        | Q(pk__in=after(shown, cursor).values("pk")[: STREAM_SIZE + 1])
    )
    rows = list(shown.filter(walks).order_by("-posted_at", "-pk"))
    in_stream = [
        row
        for row in rows
        if cursor is None or (row.posted_at, row.pk) < (cursor.published_at, cursor.pk)
    ]
    batch = batch_of_rows(in_stream[: STREAM_SIZE + 1], STREAM_SIZE)
    return {
        "page_url": page.get_url(request),
        "stream": _stream_of(page, batch, anchor, cursor),
        "key_events": [row for row in rows if row.is_key_event][:KEY_EVENTS_SIZE],
        "pinned_updates": [row for row in rows if row.is_pinned][:PINNED_SIZE],
        "progress": started,
        "poll_seconds": poll_seconds(),
    }


def stream_batch_context(page: LivePage, request: HttpRequest) -> dict[str, Any]:
    """What "Show older updates" loads in place (``partial=1``): the next batch alone."""
    return {"page": page, "page_url": page.get_url(request), "stream": stream(page, request)}
