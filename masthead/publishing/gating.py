"""What of an article a reader gets: the whole body, or the free preview and a paywall.

The decision itself is ``membership.access.can_read`` (through ``ArticlePage.can_be_read_by``);
this module adds the meter and the body split, and is what the article page, the search
page and the structured data use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.http import HttpRequest

from masthead.membership.access import ANONYMOUS, Reader
from masthead.membership.metering import MeterDecision, use_meter
from masthead.membership.middleware import current_reader

from .models import ArticlePage


@dataclass
class ArticleAccess:
    can_read: bool
    reader: Reader
    meter: MeterDecision | None = None
    # What ``blocks`` is made from, asked only when something shows the body: a story
    # whose HTML is kept (``card_tags.article_story``) never does, and parsing a body
    # looks up the photos and pages its blocks point at.
    body: Callable[[], list[Any]] = field(default=list, repr=False)

    @cached_property
    def blocks(self) -> list[Any]:
        """The blocks this reader may read: the whole body, or the free preview."""
        return self.body()

    @property
    def via_meter(self) -> bool:
        return self.meter is not None and self.meter.granted

    @property
    def variant(self) -> str:
        """The cache key part: the reader's variant, plus whether the meter opened it."""
        return f"{self.reader.variant}+meter" if self.via_meter else self.reader.variant


def article_access(request: HttpRequest | None, article: ArticlePage) -> ArticleAccess:
    """Decide, once per request, what ``article`` shows to the reader of ``request``.

    Spends one article of the meter when that is what opens it, so call this only when
    the article is actually being shown.
    """
    reader = current_reader(request) if request is not None else ANONYMOUS
    if article.can_be_read_by(reader):
        return ArticleAccess(can_read=True, reader=reader, body=lambda: list(article.body))
    meter = use_meter(request, reader, page_id=article.pk) if request is not None else None
    if meter is not None and meter.granted:
        return ArticleAccess(
            can_read=True, reader=reader, meter=meter, body=lambda: list(article.body)
        )
    return ArticleAccess(
        can_read=False, reader=reader, meter=meter, body=lambda: article.free_preview
    )
