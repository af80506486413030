"""Keyset ("Show More") paging for listings, stable while new articles are published.

Offset paging shifts every item down when a story is published, so a reader who
clicks "Show More" sees repeats. A cursor names the last item shown (its publication
time and id) and the next page starts strictly after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db.models import Q, QuerySet

_CURSOR = re.compile(r"^(\d{1,17})-(\d{1,19})$")
_MAX_PK = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    published_at: datetime
    pk: int

    def encode(self) -> str:
        # Integer arithmetic: a float timestamp would lose the microseconds.
        micros = (self.published_at - _EPOCH) // _MICROSECOND
        return f"{micros}-{self.pk}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """Parse a cursor from a query string; anything malformed means "first page"."""
        if not raw:
            return None
        match = _CURSOR.match(raw.strip())
        if not match:
            return None
        micros, pk = int(match[1]), int(match[2])
        if pk > _MAX_PK:
            return None
        try:
            when = _EPOCH + micros * _MICROSECOND
        except OverflowError:
            return None
        return cls(published_at=when, pk=pk)


@dataclass
class Batch(Generic[T]):
    items: list[T]
    next_cursor: Cursor | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def after(queryset: QuerySet, cursor: Cursor | None) -> QuerySet:
    """``queryset`` newest first (``published_at``, then ``pk``), strictly after ``cursor``."""
    qs = queryset.order_by("-published_at", "-pk")
    if cursor is not None:
        qs = qs.filter(
            Q(published_at__lt=cursor.published_at)
            | Q(published_at=cursor.published_at, pk__lt=cursor.pk)
        )
    return qs


def batch_of_rows(rows: list[T], size: int) -> Batch[T]:
    """A batch from up to ``size + 1`` rows newest first; the extra one says there is more."""
    items = rows[:size]
    next_cursor = None
    if len(rows) > size and items:
        last: Any = items[-1]
        next_cursor = Cursor(published_at=last.published_at, pk=last.pk)
    return Batch(items=items, next_cursor=next_cursor)


def paginate(
    queryset: QuerySet,
    *,
    cursor: Cursor | None,
    size: int,
    any_of: list[Q] | None = None,
) -> Batch:
    """Return up to ``size`` items newest first, starting after ``cursor``.

    With ``any_of``, the items match at least one of the conditions, in one query: each
    condition walks its own index for ``size + 1`` keys (a short, limited subquery) and the
    query loads the newest of those. A plain ``OR`` of the conditions would make the
    database collect and sort every match instead.
    """
    if any_of:
        walks = Q()
        for condition in any_of:
            keys = after(queryset.filter(condition), cursor).values("pk")[: size + 1]
            walks |= Q(pk__in=keys)
        rows = list(queryset.filter(walks).order_by("-published_at", "-pk")[: size + 1])
    else:
        rows = list(after(queryset, cursor)[: size + 1])
    return batch_of_rows(rows, size)
