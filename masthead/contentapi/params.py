"""The query parameters every Ghost browse endpoint shares, read the way Ghost reads them.

``limit``, ``page``, ``include``, ``fields``, ``formats``, ``filter`` and ``order`` have the
same meaning on every resource; only the allowed includes, formats and the default order
differ. Reading them in one place keeps the endpoints, and their error messages, alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _

from masthead.ghost_errors import ValidationError

Api = Literal["content", "admin"]

DEFAULT_LIMIT = 15
# Ghost 6 caps every limit, ``all`` included, at 100 (``max-limit-cap.js``): a single
# request must not be able to make the server load the whole archive.
MAX_LIMIT = 100

# What ``include`` may ask for, per resource; anything else is ignored, as Ghost does.
INCLUDES: dict[str, dict[Api, frozenset[str]]] = {
    "posts": {
        "content": frozenset({"tags", "authors", "tiers", "sentiment"}),
        "admin": frozenset(
            {"tags", "authors", "tiers", "email", "newsletter", "count.clicks", "count.signups"}
        ),
    },
    "pages": {
        "content": frozenset({"tags", "authors", "tiers"}),
        "admin": frozenset({"tags", "authors", "tiers"}),
    },
    "authors": {
        "content": frozenset({"count.posts"}),
        "admin": frozenset({"count.posts", "roles"}),
    },
    "tags": {"content": frozenset({"count.posts"}), "admin": frozenset({"count.posts"})},
    "tiers": {
        "content": frozenset({"monthly_price", "yearly_price", "benefits"}),
        "admin": frozenset({"monthly_price", "yearly_price", "benefits"}),
    },
    "newsletters": {"content": frozenset(), "admin": frozenset({"count.posts", "count.members"})},
}

# The body formats a client may ask for. The Content API never returns the editor's
# source formats (Ghost strips them); the Admin API answers them (as null: see serializers).
FORMATS: dict[Api, frozenset[str]] = {
    "content": frozenset({"html", "plaintext"}),
    "admin": frozenset({"html", "plaintext", "mobiledoc", "lexical"}),
}
SOURCE_FORMATS = frozenset({"mobiledoc", "lexical"})

# Ghost's defaults (``core/server/models/{post,tag,user}.js`` ``orderDefaultOptions``).
DEFAULT_ORDER: dict[str, str] = {
    "posts": "published_at desc, id desc",
    "pages": "title asc",
    "tags": "name asc",
    "authors": "name asc",
    "tiers": "monthly_price asc",
    "newsletters": "sort_order asc",
}

_PAGE = re.compile(r"^\d+$")


@dataclass(frozen=True)
class BrowseParams:
    """One browse request's parameters, checked; ``filter`` and ``order`` still as given."""

    resource: str
    api: Api
    limit: int
    page: int
    include: frozenset[str]
    fields: tuple[str, ...] | None
    formats: frozenset[str]
    filter: str | None
    order: str | None

    @classmethod
    def from_request(
        cls, request: HttpRequest, resource: str, api: Api = "content"
    ) -> BrowseParams:
        query = request.GET
        return cls(
            resource=resource,
            api=api,
            limit=parse_limit(query.get("limit")),
            page=parse_page(query.get("page")),
            include=parse_include(query.get("include"), resource=resource, api=api),
            fields=parse_fields(query.get("fields")),
            formats=parse_formats(query.get("formats"), api=api),
            filter=query.get("filter") or None,
            order=query.get("order") or None,
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def pagination(self, total: int) -> dict[str, Any]:
        """Ghost's ``meta`` for a browse answer holding page ``page`` of ``total`` items."""
        pages = max(1, math.ceil(total / self.limit)) if self.limit else 1
        return {
            "pagination": {
                "page": self.page,
                "limit": self.limit,
                "pages": pages,
                "total": total,
                "next": self.page + 1 if self.page < pages else None,
                "prev": self.page - 1 if self.page > 1 else None,
            }
        }

    def order_terms(self, *, default: list[str] | None = None) -> list[str] | None:
        """Django ``order_by`` terms for ``order``, else the slug order of ``filter``, else None.

        None means "use the resource's default order". ``slug:[a,b]`` without an ``order``
        answers in the order the slugs were given, as Ghost does.
        """
        from . import filters

        terms = filters.order_terms(self.resource, self.order, api=self.api)
        if terms:
            return terms
        return default

    def slug_order(self) -> list[str] | None:
        from . import filters

        if self.order:
            return None
        return filters.slug_order(self.filter)


def parse_limit(value: str | None) -> int:
    """``limit`` as Ghost 6 reads it: default 15, ``all`` and anything unreadable is 100."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    if value.isdigit() and value.isascii():
        number = int(value)
        return MAX_LIMIT if number == 0 else min(number, MAX_LIMIT)
    return MAX_LIMIT


def parse_page(value: str | None) -> int:
    """``page``, 1-based. Not a whole number: Ghost's 422 for its ``page`` validator."""
    if value is None or value == "":
        return 1
    if not (_PAGE.match(value) and value.isascii()) or len(value) > 9:
        raise ValidationError(
            _("Validation (matches) failed for page"),
            context=_("page must be a whole number from 1, not “%(value)s”.")
            % {"value": value[:50]},
            property="page",
        )
    return max(1, int(value))


def _comma_list(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_include(value: str | None, *, resource: str, api: Api) -> frozenset[str]:
    allowed = INCLUDES.get(resource, {}).get(api, frozenset())
    return frozenset(name for name in _comma_list(value) if name in allowed)


def parse_fields(value: str | None) -> tuple[str, ...] | None:
    """The ``fields`` subset, or None for every field. Unknown names are dropped later."""
    names = tuple(dict.fromkeys(_comma_list(value)))
    return names or None


def parse_formats(value: str | None, *, api: Api) -> frozenset[str]:
    """``formats``, or the API's default; an unknown one is Ghost's 422."""
    names = _comma_list(value)
    if not names:
        # Ghost's defaults: the Content API sends html; the Admin API sends the editor's
        # formats, which masthead answers as null (see ``serializers``).
        return frozenset({"html"}) if api == "content" else frozenset({"mobiledoc", "lexical"})
    allowed = FORMATS[api]
    unknown = [name for name in names if name not in FORMATS["admin"]]
    if unknown:
        raise ValidationError(
            _("Validation (isIn) failed for formats"),
            context=_("Unknown format “%(name)s”. Ask for html, plaintext or both.")
            % {"name": unknown[0][:50]},
            property="formats",
        )
    # The editor's source formats are stripped from the Content API, not refused.
    return frozenset(name for name in names if name in allowed)
