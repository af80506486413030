"""What the answer being rendered depends on: cache tags and the moment it goes stale.

Below every app (like ``identifiers``), so any code that reads content — a listing, a
counter in membership, a memoized part — can name what it showed, and the page cache
(``publishing.pagecache``) keeps the answer exactly as long as that holds. Outside a
render being collected, every call here does nothing.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Collector:
    """What the response being rendered depends on."""

    tags: set[str] = field(default_factory=set)
    valid_until: float | None = None

    def add(self, tags: Iterable[str], valid_until: float | None) -> None:
        self.tags.update(tags)
        if valid_until is not None and (self.valid_until is None or valid_until < self.valid_until):
            self.valid_until = valid_until


_collector: contextvars.ContextVar[Collector | None] = contextvars.ContextVar(
    "masthead_pagecache_collector", default=None
)


def depends_on(*tags: str) -> None:
    """Note that the response being rendered shows content named by ``tags``.

    Outside a cacheable request this does nothing, so model and listing code may call it
    freely.
    """
    collector = _collector.get()
    if collector is not None:
        collector.tags.update(tags)


def valid_until(moment: datetime | float | None) -> None:
    """The response being rendered must not be served after ``moment``.

    For changes that happen by the clock rather than by an edit: a breaking banner's
    expiry, a membership drive's start or end, a scheduled page going live.
    """
    if moment is None:
        return
    collector = _collector.get()
    if collector is not None:
        stamp = moment.timestamp() if isinstance(moment, datetime) else float(moment)
        collector.add((), stamp)


@contextmanager
def collecting() -> Iterator[Collector]:
    """Collect the tags of whatever renders inside; they also count for any outer render."""
    outer = _collector.get()
    inner = Collector()
    token = _collector.set(inner)
    try:
        yield inner
    finally:
        _collector.reset(token)
        if outer is not None:
            outer.add(inner.tags, inner.valid_until)


def note(tags: Iterable[str], until: float | None) -> None:
    """Add tags and an expiry at once (a memoized part served from the cache)."""
    collector = _collector.get()
    if collector is not None:
        collector.add(tags, until)
