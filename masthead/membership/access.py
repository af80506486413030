"""THE content-gating policy: who may read what. Every surface asks ``can_read``.

Pages, listings, search, feeds, the Content API, emails, meta tags and structured data
all decide with this one function, so a rule changes in one place. It takes plain
values, not articles: membership sits below publishing and knows nothing about pages.

A page's HTML must depend only on ``Reader.variant`` (never on who the member is), so
that pages can be cached per variant; personal bits come from ``/members/api/reader/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    """Who may read an article, with Ghost's names for the same four choices."""

    PUBLIC = "public", _("Public: everyone")
    MEMBERS = "members", _("Members: anyone signed in, free or paid")
    PAID = "paid", _("Paid: members with paid access")
    TIERS = "tiers", _("Chosen tiers only")


class ReaderKind(StrEnum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    STAFF = "staff"


@dataclass(frozen=True)
class Reader:
    """Who is reading, reduced to what access depends on.

    ``tier_ids`` holds every tier the member has access to right now, the free tier
    included; ``has_paid_access`` is true for paid, comped and gift members alike.
    """

    kind: ReaderKind = ReaderKind.ANONYMOUS
    tier_ids: frozenset[int] = field(default_factory=frozenset)
    has_paid_access: bool = False
    member_id: int | None = field(default=None, compare=False)

    @property
    def is_member(self) -> bool:
        return self.kind == ReaderKind.MEMBER

    @property
    def is_anonymous(self) -> bool:
        return self.kind == ReaderKind.ANONYMOUS

    @property
    def variant(self) -> str:
        """The cache key part for this reader: identical for readers with equal access."""
        if self.kind != ReaderKind.MEMBER:
            return str(self.kind)
        if not self.has_paid_access:
            return "free"
        return "paid:" + ".".join(str(tier_id) for tier_id in sorted(self.tier_ids))


ANONYMOUS = Reader()
STAFF = Reader(kind=ReaderKind.STAFF)


def can_read(reader: Reader, *, visibility: str, tier_ids: Iterable[int] = ()) -> bool:
    """Whether ``reader`` may read content with this visibility (and tiers, for TIERS)."""
    if visibility == Visibility.PUBLIC or reader.kind == ReaderKind.STAFF:
        return True
    if reader.kind != ReaderKind.MEMBER:
        return False
    if visibility == Visibility.MEMBERS:
        return True
    if visibility == Visibility.PAID:
        return reader.has_paid_access
    if visibility == Visibility.TIERS:
        return not reader.tier_ids.isdisjoint(tier_ids)
    # An unknown value (a bad import, a typo in an API filter) gates rather than leaks.
    return False


def is_gated(visibility: str) -> bool:
    return visibility != Visibility.PUBLIC
