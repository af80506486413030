"""Ghost's ``filter`` and ``order`` parameters, compiled to Django querysets.

Every filterable Ghost field is listed here, per resource, with the masthead column or
rule behind it; anything else is refused, so a filter can only ever ask what the API
already shows. Relations (``tag``, ``authors.slug``, ``labels`` …) compile to ``EXISTS``
subqueries, never joins, so a post with three matching tags is still listed once and
``tag:-news`` means what Ghost means: "has no tag news".

Null and negation follow Ghost's SQL: ``custom_excerpt:-foo`` leaves out posts without
an excerpt, because ``NULL != 'foo'`` is not true in SQL. masthead keeps empty text
where Ghost keeps ``NULL``, so for such columns the empty string counts as null.

Fields Ghost refuses to filter on (``html``, ``plaintext``, ``lexical``, ``mobiledoc``,
``email`` and ``password`` in the Content API …) are dropped from the filter without an
error, as Ghost's input serializers drop them.
"""

from __future__ import annotations

import calendar
import functools
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Literal

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from masthead.contentapi import nql as nql_lang
from masthead.contentapi.nql import Comparison, Op, RelativeDate, Value
from masthead.ghost_errors import BadRequestError

Api = Literal["content", "admin"]
RESOURCES = ("posts", "pages", "authors", "tags", "tiers", "newsletters", "members")
CONTEXT = "Error parsing filter"
# Both PostgreSQL and SQLite store integers in 64 bits; a larger number in a query is a
# database error (OverflowError on SQLite), so it is refused as a bad value instead.
_INT_LIMIT = 2**63 - 1
ALL = Q(pk__isnull=False)
NONE = Q(pk__isnull=True)


class Kind(Enum):
    TEXT = "text"
    INT = "number"
    BOOL = "boolean"
    DATE = "date"
    UUID = "uuid"


_EXAMPLES = {
    Kind.TEXT: "text, such as news or 'two words'",
    Kind.INT: "a whole number, such as 5",
    Kind.BOOL: "true or false",
    Kind.DATE: "a date, such as 2024-01-31, '2024-01-31 12:00:00', '2024-01-31T12:00:00+02:00' "
    "or now-7d",
    Kind.UUID: "a UUID, such as 0c8d1a4e-2f6b-4a8e-9d3c-5b7f1e2a9c40",
}


@dataclass
class _Context:
    resource: str
    api: Api
    now: datetime
    aliases: dict[str, Any] = field(default_factory=dict)


# --- Values --------------------------------------------------------------------------


def _bad_value(comparison: Comparison, value: Value, kind: Kind) -> BadRequestError:
    return BadRequestError(
        message=f"Invalid value {nql_lang.format_value(value)} for the filter field "
        f"'{comparison.field}'.",
        context=CONTEXT,
        help=f"'{comparison.field}' takes {_EXAMPLES[kind]}.",
        property="filter",
    )


def _coerce(comparison: Comparison, value: Value, kind: Kind, ctx: _Context) -> Any:
    """``value`` as the Python value the column holds, or a 400 naming field and value."""
    if value is None:
        return None
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL refuses NUL in text, which would surface as a server error.
        raise _bad_value(comparison, value, kind)
    if kind is Kind.TEXT:
        if isinstance(value, RelativeDate):
            raise _bad_value(comparison, value, kind)
        if isinstance(value, bool):
            return "true" if value else "false"
        return nql_lang.format_value(value) if isinstance(value, Decimal) else str(value)
    if kind is Kind.INT:
        return _number(comparison, value)
    if kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        text = nql_lang.format_value(value).strip("'").lower()
        if text in ("true", "false", "1", "0"):
            return text in ("true", "1")
        raise _bad_value(comparison, value, kind)
    if kind is Kind.DATE:
        if isinstance(value, RelativeDate):
            try:
                return _resolve(value, ctx.now)
            except (OverflowError, ValueError):
                raise _bad_value(comparison, value, kind) from None
        if not isinstance(value, str):
            raise _bad_value(comparison, value, kind)
        return _parse_date(comparison, value)
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise _bad_value(comparison, value, kind) from None
    raise _bad_value(comparison, value, kind)


def _number(comparison: Comparison, value: Value) -> int | Decimal:
    """An integer or decimal within 64 bits; quoted digits count too."""
    if isinstance(value, bool | RelativeDate) or value is None:
        raise _bad_value(comparison, value, Kind.INT)
    number: int | Decimal
    if isinstance(value, str):
        try:
            number = Decimal(value.strip()) if "." in value else int(value.strip())
        except (ValueError, InvalidOperation):
            raise _bad_value(comparison, value, Kind.INT) from None
    elif isinstance(value, int | Decimal):
        number = value
    else:
        raise _bad_value(comparison, value, Kind.INT)
    if isinstance(number, Decimal) and not number.is_finite():
        raise _bad_value(comparison, value, Kind.INT)
    if not -_INT_LIMIT <= number <= _INT_LIMIT:
        raise _bad_value(comparison, value, Kind.INT)
    return number


def _parse_date(comparison: Comparison, text: str) -> datetime:
    """Ghost's date forms: a day, a SQL timestamp or ISO 8601; without a zone it is UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _bad_value(comparison, text, Kind.DATE) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise _bad_value(comparison, text, Kind.DATE) from None


def _resolve(value: RelativeDate, now: datetime) -> datetime:
    """``now-1d`` at ``now``. Months and years move the calendar (31 Jan - 1M is 31 Dec)."""
    amount = value.amount if value.sign == "+" else -value.amount
    unit = nql_lang.UNITS[value.unit]
    if unit in ("months", "years"):
        months = amount * (12 if unit == "years" else 1)
        index = now.year * 12 + now.month - 1 + months
        year, month = divmod(index, 12)
        month += 1
        if not 1 <= year <= 9999:
            raise OverflowError(f"year {year} is out of range")
        day = min(now.day, calendar.monthrange(year, month)[1])
        return now.replace(year=year, month=month, day=day)
    return now + timedelta(**{unit: amount})


def _values(comparison: Comparison) -> tuple[Value, ...]:
    value = comparison.value
    return value if isinstance(value, tuple) else (value,)


def _lookup(path: str, op: Op, value: Any) -> Q:
    """The positive lookup for ``op`` on ``path``: ``IN`` takes a list."""
    suffix = {
        Op.EQ: "",
        Op.IN: "__in",
        Op.GT: "__gt",
        Op.GTE: "__gte",
        Op.LT: "__lt",
        Op.LTE: "__lte",
        Op.CONTAINS: "__icontains",
        Op.STARTS_WITH: "__istartswith",
        Op.ENDS_WITH: "__iendswith",
    }[op.positive]
    return Q(**{path + suffix: value})


_PATTERN_OPS = {Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH}
_MILLISECOND = timedelta(milliseconds=1)


def _date_lookup(path: str, op: Op, value: Any) -> Q:
    """A date compared as the millisecond it names, the precision the APIs print.

    Stored times carry microseconds; a client that filters on a date it was given
    (``published_at:>'…12.345+00:00'``, to fetch what is newer than the last post it saw)
    must not get that same post back, and ``published_at:'…'`` must find it.
    """
    if op is Op.IN:
        matched = NONE
        for each in value:
            matched |= _date_lookup(path, Op.EQ, each)
        return matched
    start = value.replace(microsecond=value.microsecond // 1000 * 1000)
    try:
        after: tuple[str, datetime] | None = ("__lt", start + _MILLISECOND)
    except OverflowError:
        # The last millisecond of year 9999: nothing comes after it.
        after = None
    below = after or ("__lte", start.replace(microsecond=999_999))
    if op is Op.GT:
        return NONE if after is None else Q(**{path + "__gte": after[1]})
    bounds = {
        Op.EQ: [("__gte", start), below],
        Op.GTE: [("__gte", start)],
        Op.LT: [("__lt", start)],
        Op.LTE: [below],
    }[op]
    return Q(**{path + suffix: bound for suffix, bound in bounds})


def _pattern_needs_text(comparison: Comparison, kind: Kind) -> None:
    if comparison.op.positive in _PATTERN_OPS and kind is not Kind.TEXT:
        raise BadRequestError(
            message=f"The filter field '{comparison.field}' cannot be searched with ~, ~^ or ~$.",
            context=CONTEXT,
            help=f"'{comparison.field}' takes {_EXAMPLES[kind]}; compare it with :, -, >, >=, "
            "< or <= instead.",
            property="filter",
        )


# --- Field rules -----------------------------------------------------------------------


class Field(ABC):
    """One filterable Ghost field: how a comparison on it becomes a ``Q``."""

    def sort_path(self) -> str | None:
        """The ``order_by`` path for this field, ``None`` when it cannot be sorted on."""
        return None

    @abstractmethod
    def compile(self, comparison: Comparison, ctx: _Context) -> Q:
        """The condition ``comparison`` puts on a row, as a ``Q``."""


@dataclass(frozen=True)
class Column(Field):
    """A column (or a path through foreign keys) holding the Ghost field's value."""

    path: str
    kind: Kind = Kind.TEXT
    blank_is_null: bool = False

    def sort_path(self) -> str | None:
        return self.path

    def null(self, ctx: _Context) -> Q:
        q = Q(**{f"{self.path}__isnull": True})
        return q | Q(**{self.path: ""}) if self.blank_is_null else q

    def target(self, ctx: _Context) -> str:
        return self.path

    def compile(self, comparison: Comparison, ctx: _Context) -> Q:
        _pattern_needs_text(comparison, self.kind)
        values = [_coerce(comparison, value, self.kind, ctx) for value in _values(comparison)]
        present = [value for value in values if value is not None]
        path = self.target(ctx)
        positive = comparison.op.positive
        matched = NONE
        if present:
            argument = present if positive is Op.IN else present[0]
            compare = _date_lookup if self.kind is Kind.DATE else _lookup
            matched = compare(path, positive, argument)
        null = self.null(ctx)
        if comparison.op.negated:
            # "-null" means "has a value"; "-x" also leaves out nulls, as SQL's != does.
            return ~matched & ~null
        if len(present) < len(values):
            return (matched & ~null) | null if present else null
        return matched & ~null


@dataclass(frozen=True)
class Computed(Column):
    """A value computed in SQL (Ghost's ``updated_at``), filtered through a query alias."""

    expression: Callable[[], Any] = lambda: None
    order_by: str | None = None

    def sort_path(self) -> str | None:
        return self.order_by

    def null(self, ctx: _Context) -> Q:
        return Q(**{f"{self.target(ctx)}__isnull": True})

    def target(self, ctx: _Context) -> str:
        ctx.aliases[self.path] = self.expression()
        return self.path


@dataclass(frozen=True)
class Choice(Field):
    """A field with a few known values, each standing for a condition on the row.

    ``status`` on posts (published / draft / scheduled), ``visibility`` on tiers and
    values masthead does not store but Ghost always reports the same way (a page is
    never featured) are decided in Python per value, then OR-ed together.
    """

    options: Callable[[_Context], Mapping[Any, Q]]
    kind: Kind = Kind.TEXT

    def compile(self, comparison: Comparison, ctx: _Context) -> Q:
        _pattern_needs_text(comparison, self.kind)
        options = self.options(ctx)
        values = [_coerce(comparison, value, self.kind, ctx) for value in _values(comparison)]
        result = NONE
        for actual, condition in options.items():
            if _matches(comparison.op, actual, values):
                result = result | condition
        if None in values and not options and comparison.op in (Op.EQ, Op.IN):
            return ALL
        return result


def _matches(op: Op, actual: Any, values: list[Any]) -> bool:
    """``op`` applied in Python to a known, non-null value, with SQL's null rules."""
    present = [value for value in values if value is not None]
    positive = op.positive
    if positive in (Op.EQ, Op.IN):
        hit = actual in present
    elif positive in _PATTERN_OPS:
        needle, text = str(present[0]).lower() if present else "", str(actual).lower()
        hit = (
            bool(present)
            and {
                Op.CONTAINS: needle in text,
                Op.STARTS_WITH: text.startswith(needle),
                Op.ENDS_WITH: text.endswith(needle),
            }[positive]
        )
    else:
        if not present:
            return False
        try:
            hit = {
                Op.GT: actual > present[0],
                Op.GTE: actual >= present[0],
                Op.LT: actual < present[0],
                Op.LTE: actual <= present[0],
            }[positive]
        except TypeError:
            return False
    if op.negated:
        # field:-null is "has a value": true for every known value.
        return not hit if present else True
    return hit


def _constant(value: Any, kind: Kind = Kind.TEXT) -> Choice:
    """A Ghost field masthead does not store; ``None`` means Ghost's value is always null."""
    options: dict[Any, Q] = {} if value is None else {value: ALL}
    return Choice(lambda ctx: options, kind)


NULL = _constant(None)


@dataclass(frozen=True)
class Presence(Field):
    """An image Ghost gives as a URL: masthead can tell only whether there is one."""

    path: str

    def compile(self, comparison: Comparison, ctx: _Context) -> Q:
        has = Q(**{f"{self.path}__isnull": False})
        values = _values(comparison)
        if comparison.op is Op.EQ and values == (None,):
            return ~has
        if comparison.op is Op.NE and values == (None,):
            return has
        # A URL never matches a stored image exactly; a "not this URL" keeps those with one.
        return has if comparison.op.negated else (~has if None in values else NONE)


@dataclass(frozen=True)
class Source:
    """Rows related to the outer row, and the path from them to the related object."""

    rows: Callable[[_Context], QuerySet[Any]]
    prefix: str
    guard: Q | None = None


@dataclass(frozen=True)
class Related(Field):
    """A to-many relation (``tags``, ``authors``, ``labels``): "has one whose <attr> …"."""

    sources: tuple[Source, ...]
    attr: str
    kind: Kind = Kind.TEXT

    def _exists(self, ctx: _Context, op: Op | None = None, argument: Any = None) -> Q:
        """Has a related row at all, or (with ``op``) one whose ``attr`` matches."""
        result = NONE
        for source in self.sources:
            rows = source.rows(ctx)
            if op is not None:
                rows = rows.filter(_lookup(source.prefix + self.attr, op, argument))
            clause = Q(Exists(rows))
            result = result | (clause & source.guard if source.guard is not None else clause)
        return result

    def compile(self, comparison: Comparison, ctx: _Context) -> Q:
        _pattern_needs_text(comparison, self.kind)
        values = [_coerce(comparison, value, self.kind, ctx) for value in _values(comparison)]
        present = [value for value in values if value is not None]
        positive = comparison.op.positive
        matched = NONE
        if present:
            argument = present if positive is Op.IN else present[0]
            matched = self._exists(ctx, positive, argument)
        if len(present) < len(values):
            matched = matched | ~self._exists(ctx)
        return ~matched if comparison.op.negated else matched


# --- Resources --------------------------------------------------------------------------


def _restricted(api: Api) -> frozenset[str]:
    hidden = {"html", "plaintext", "lexical", "mobiledoc", "password", "password_hash"}
    if api == "content":
        hidden |= {
            "email",
            "email_only",
            "newsletter_id",
            "email_recipient_filter",
            "email_segment",
            "sender_email",
            "sender_reply_to",
        }
    return frozenset(hidden)


def _page_status(api: Api) -> Callable[[_Context], Mapping[Any, Q]]:
    if api == "content":
        # The Content API lists published posts only.
        return lambda ctx: {"published": ALL}
    return lambda ctx: {
        "published": Q(live=True),
        "draft": Q(live=False, go_live_at__isnull=True),
        "scheduled": Q(live=False, go_live_at__isnull=False),
    }


def _ghost_updated_at() -> Any:
    return Coalesce(
        "latest_revision_created_at",
        "last_published_at",
        "created_at",
        output_field=models.DateTimeField(),
    )


def _common_page_fields(api: Api) -> dict[str, Field]:
    return {
        "id": Column("ghost_id"),
        "comment_id": Column("ghost_id"),
        "uuid": Column("uuid", Kind.UUID),
        "title": Column("title"),
        "slug": Column("slug"),
        "status": Choice(_page_status(api)),
        "created_at": Column("created_at", Kind.DATE),
        "updated_at": Computed(
            "ghost_updated_at",
            Kind.DATE,
            expression=_ghost_updated_at,
            # Sorting goes by the column that decides the value for any published page,
            # so that order_by needs no alias the caller would have to add.
            order_by="latest_revision_created_at",
        ),
        "meta_title": Column("seo_title", blank_is_null=True),
        "meta_description": Column("search_description", blank_is_null=True),
        "locale": NULL,
        "custom_template": NULL,
        "codeinjection_head": NULL,
        "codeinjection_foot": NULL,
        "frontmatter": NULL,
        "email_subject": NULL,
    }


def _post_fields(api: Api) -> dict[str, Field]:
    from masthead.publishing.models import ArticleAuthor, ArticlePage, Tag

    through = ArticlePage.tags.through

    def section(ctx: _Context) -> QuerySet[Any]:
        return Tag.objects.filter(pk=OuterRef("section_id"))

    def tagged(ctx: _Context) -> QuerySet[Any]:
        return through.objects.filter(articlepage_id=OuterRef("pk"))

    def credited(ctx: _Context) -> QuerySet[Any]:
        return ArticleAuthor.objects.filter(page_id=OuterRef("pk"))

    def first_credit(ctx: _Context) -> QuerySet[Any]:
        first = (
            ArticleAuthor.objects.filter(page_id=OuterRef(OuterRef("pk")))
            .order_by("sort_order", "pk")
            .values("pk")[:1]
        )
        return ArticleAuthor.objects.filter(page_id=OuterRef("pk"), pk=Subquery(first))

    def primary(ctx: _Context) -> QuerySet[Any]:
        # The tag the serializers show as primary_tag: the section when it is public,
        # else the first public tag by name; none when the post has no public tag.
        public = Tag.Visibility.PUBLIC
        public_section = Tag.objects.filter(pk=OuterRef(OuterRef("section_id")), visibility=public)
        first_public = through.objects.filter(
            articlepage_id=OuterRef(OuterRef("pk")), tag__visibility=public
        ).order_by(Lower("tag__name"), "tag__name", "tag_id")
        return Tag.objects.filter(
            pk=Coalesce(
                Subquery(public_section.values("pk")[:1]),
                Subquery(first_public.values("tag_id")[:1]),
            )
        )

    tags = (Source(section, ""), Source(tagged, "tag__"))
    primary_tag = (Source(primary, ""),)
    authors = (Source(credited, "author__"),)
    primary_author = (Source(first_credit, "author__"),)
    fields: dict[str, Field] = {
        **_common_page_fields(api),
        "type": _constant("post"),
        "featured": Column("is_featured", Kind.BOOL),
        "visibility": Column("visibility"),
        "published_at": Column("published_at", Kind.DATE),
        "custom_excerpt": Column("dek", blank_is_null=True),
        "feature_image": Presence("lead_image"),
        "feature_image_alt": Column("lead_image_alt", blank_is_null=True),
        "feature_image_caption": Column("lead_image_caption", blank_is_null=True),
        "canonical_url": Column("canonical_url", blank_is_null=True),
        "og_image": Presence("og_image"),
        "og_title": Column("og_title", blank_is_null=True),
        "og_description": Column("og_description", blank_is_null=True),
        "twitter_image": Presence("twitter_image"),
        "twitter_title": Column("twitter_title", blank_is_null=True),
        "twitter_description": Column("twitter_description", blank_is_null=True),
        "reading_time": Column("reading_time", Kind.INT),
        "email_only": Column("email_only", Kind.BOOL),
        "tag": Related(tags, "slug"),
        "tags": Related(tags, "slug"),
        "tags.slug": Related(tags, "slug"),
        "tags.name": Related(tags, "name"),
        "tags.id": Related(tags, "ghost_id"),
        "primary_tag": Related(primary_tag, "slug"),
        "primary_tag.slug": Related(primary_tag, "slug"),
        "primary_tag.name": Related(primary_tag, "name"),
        "primary_tag.id": Related(primary_tag, "ghost_id"),
        "author": Related(authors, "slug"),
        "authors": Related(authors, "slug"),
        "authors.slug": Related(authors, "slug"),
        "authors.name": Related(authors, "name"),
        "authors.id": Related(authors, "ghost_id"),
        "primary_author": Related(primary_author, "slug"),
        "primary_author.slug": Related(primary_author, "slug"),
        "primary_author.name": Related(primary_author, "name"),
        "primary_author.id": Related(primary_author, "ghost_id"),
    }
    return fields


def _page_fields(api: Api) -> dict[str, Field]:
    no_relation = Related((), "slug")
    fields: dict[str, Field] = {
        **_common_page_fields(api),
        "type": _constant("page"),
        "featured": _constant(False, Kind.BOOL),
        "visibility": _constant("public"),
        "show_title_and_feature_image": _constant(True, Kind.BOOL),
        "published_at": Column("first_published_at", Kind.DATE),
        "custom_excerpt": Column("intro", blank_is_null=True),
        "reading_time": NULL,
    }
    for name in (
        "feature_image",
        "feature_image_alt",
        "feature_image_caption",
        "canonical_url",
        "og_image",
        "og_title",
        "og_description",
        "twitter_image",
        "twitter_title",
        "twitter_description",
    ):
        fields[name] = NULL
    for name in (
        "tag",
        "tags",
        "tags.slug",
        "tags.name",
        "tags.id",
        "primary_tag",
        "author",
        "authors",
        "authors.slug",
        "authors.name",
        "authors.id",
        "primary_author",
    ):
        fields[name] = no_relation
    return fields


def _author_fields(api: Api) -> dict[str, Field]:
    fields: dict[str, Field] = {
        "id": Column("ghost_id"),
        "slug": Column("slug"),
        "name": Column("name"),
        "bio": Column("bio", blank_is_null=True),
        "location": Column("location", blank_is_null=True),
        "website": Column("website", blank_is_null=True),
        "profile_image": Presence("avatar"),
        "cover_image": Presence("cover_image"),
        "facebook": Column("facebook", blank_is_null=True),
        "twitter": Column("x_handle", blank_is_null=True),
        "bluesky": Column("bluesky_handle", blank_is_null=True),
        "instagram": Column("instagram", blank_is_null=True),
        "linkedin": Column("linkedin", blank_is_null=True),
        "mastodon": Column("mastodon", blank_is_null=True),
        "meta_title": NULL,
        "meta_description": NULL,
        "created_at": Column("created_at", Kind.DATE),
        "updated_at": Column("updated_at", Kind.DATE),
    }
    if api == "admin":
        fields["email"] = Column("email", blank_is_null=True)
    return fields


def _tag_fields(api: Api) -> dict[str, Field]:
    fields: dict[str, Field] = {
        "id": Column("ghost_id"),
        "slug": Column("slug"),
        "name": Column("name"),
        "description": Column("description", blank_is_null=True),
        "visibility": Column("visibility"),
        "feature_image": Presence("feature_image"),
        "accent_color": Column("accent_colour", blank_is_null=True),
        "created_at": Column("created_at", Kind.DATE),
        "updated_at": Column("updated_at", Kind.DATE),
        "parent_id": NULL,
    }
    for name in (
        "og_image",
        "og_title",
        "og_description",
        "twitter_image",
        "twitter_title",
        "twitter_description",
        "meta_title",
        "meta_description",
        "codeinjection_head",
        "codeinjection_foot",
        "canonical_url",
    ):
        fields[name] = NULL
    return fields


def _tier_fields(api: Api) -> dict[str, Field]:
    return {
        "id": Column("ghost_id"),
        "slug": Column("slug"),
        "name": Column("name"),
        "description": Column("description", blank_is_null=True),
        "type": Column("kind"),
        "active": Column("is_active", Kind.BOOL),
        "visibility": Choice(lambda ctx: {"public": Q(is_public=True), "none": Q(is_public=False)}),
        "monthly_price": Column("monthly_price", Kind.INT),
        "yearly_price": Column("yearly_price", Kind.INT),
        "currency": Column("currency", blank_is_null=True),
        "trial_days": Column("trial_days", Kind.INT),
        "welcome_page_url": Column("welcome_page_url", blank_is_null=True),
        "created_at": Column("created_at", Kind.DATE),
        "updated_at": Column("updated_at", Kind.DATE),
    }


def _newsletter_fields(api: Api) -> dict[str, Field]:
    fields: dict[str, Field] = {
        "id": Column("ghost_id"),
        "uuid": Column("uuid", Kind.UUID),
        "slug": Column("slug"),
        "name": Column("name"),
        "description": Column("description", blank_is_null=True),
        "status": Column("status"),
        "visibility": Column("visibility"),
        "sort_order": Column("sort_order", Kind.INT),
        "subscribe_on_signup": Column("subscribe_on_signup", Kind.BOOL),
        "sender_name": Column("sender_name", blank_is_null=True),
        "show_feature_image": Column("show_feature_image", Kind.BOOL),
        "show_excerpt": Column("show_excerpt", Kind.BOOL),
        "created_at": Column("created_at", Kind.DATE),
        "updated_at": Column("updated_at", Kind.DATE),
    }
    if api == "admin":
        fields["sender_email"] = Column("sender_email", blank_is_null=True)
        fields["sender_reply_to"] = Column("reply_to", blank_is_null=True)
    return fields


def _member_fields(api: Api) -> dict[str, Field]:
    from masthead.membership.models import Member, Membership
    from masthead.newsletters.models import NewsletterSubscription

    if api != "admin":
        return {}
    through = Member.labels.through

    def labelled(ctx: _Context) -> QuerySet[Any]:
        return through.objects.filter(member_id=OuterRef("pk"))

    def subscribed(ctx: _Context) -> QuerySet[Any]:
        return NewsletterSubscription.objects.subscribed().filter(member_id=OuterRef("pk"))

    def tiered(ctx: _Context) -> QuerySet[Any]:
        return Membership.objects.active(at=ctx.now).filter(member_id=OuterRef("pk"))

    labels = (Source(labelled, "label__"),)
    newsletters = (Source(subscribed, "newsletter__"),)
    tiers = (Source(tiered, "tier__"),)

    def subscription_options(ctx: _Context) -> Mapping[Any, Q]:
        has_any = Q(Exists(subscribed(ctx)))
        return {True: has_any, False: ~has_any}

    return {
        "id": Column("ghost_id"),
        "uuid": Column("uuid", Kind.UUID),
        "email": Column("email"),
        "name": Column("name", blank_is_null=True),
        "note": Column("note", blank_is_null=True),
        "status": Column("status"),
        "created_at": Column("created_at", Kind.DATE),
        "updated_at": Column("updated_at", Kind.DATE),
        "last_seen_at": Column("last_seen_at", Kind.DATE),
        "label": Related(labels, "slug"),
        "labels": Related(labels, "slug"),
        "labels.slug": Related(labels, "slug"),
        "labels.name": Related(labels, "name"),
        "labels.id": Related(labels, "ghost_id"),
        "newsletters": Related(newsletters, "slug"),
        "newsletters.slug": Related(newsletters, "slug"),
        "newsletters.name": Related(newsletters, "name"),
        "newsletters.id": Related(newsletters, "ghost_id"),
        "subscribed": Choice(subscription_options, Kind.BOOL),
        "tier": Related(tiers, "slug"),
        "tiers": Related(tiers, "slug"),
        "tiers.slug": Related(tiers, "slug"),
        "tiers.name": Related(tiers, "name"),
        "tiers.id": Related(tiers, "ghost_id"),
    }


_BUILDERS: dict[str, Callable[[Api], dict[str, Field]]] = {
    "posts": _post_fields,
    "pages": _page_fields,
    "authors": _author_fields,
    "tags": _tag_fields,
    "tiers": _tier_fields,
    "newsletters": _newsletter_fields,
    "members": _member_fields,
}


@functools.cache
def allowed_fields(resource: str, api: Api = "content") -> Mapping[str, Field]:
    """The filterable fields of ``resource`` in ``api``; restricted ones are absent."""
    if resource not in _BUILDERS:
        raise ValueError(f"Unknown Ghost resource {resource!r}; expected one of {RESOURCES}.")
    restricted = _restricted(api)
    return {name: rule for name, rule in _BUILDERS[resource](api).items() if name not in restricted}


def _is_dropped(resource: str, api: Api, name: str) -> bool:
    """Fields Ghost silently removes from filters instead of refusing them."""
    return name in _restricted(api) or (resource == "members" and api != "admin")


# --- Compilation ------------------------------------------------------------------------


def _compile(node: nql_lang.Node, fields: Mapping[str, Field], ctx: _Context) -> Q | None:
    """``node`` as a ``Q``; ``None`` when everything in it was a dropped field."""
    if isinstance(node, Comparison):
        rule = fields.get(node.field)
        if rule is None:
            if _is_dropped(ctx.resource, ctx.api, node.field):
                return None
            raise BadRequestError(
                message=f"The filter field '{node.field}' is not supported for {ctx.resource}.",
                context=CONTEXT,
                help=f"Filter {ctx.resource} by one of: {', '.join(sorted(fields))}.",
                property="filter",
            )
        return rule.compile(node, ctx)
    parts = [
        q for q in (_compile(operand, fields, ctx) for operand in node.operands) if q is not None
    ]
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if isinstance(node, nql_lang.And) else combined | part
    return combined


def parse_filter(text: str) -> nql_lang.Node:
    """``nql.parse`` with Ghost's 400 for a filter that cannot be read."""
    try:
        return nql_lang.parse(text)
    except nql_lang.NQLSyntaxError as error:
        raise BadRequestError(
            message=error.message, context=CONTEXT, help=error.help, property="filter"
        ) from None


def compile_filter(
    resource: str,
    text: str,
    *,
    api: Api = "content",
    now: datetime | None = None,
) -> tuple[Q | None, dict[str, Any]]:
    """The ``Q`` for a filter on ``resource`` and the query aliases it refers to."""
    fields = allowed_fields(resource, api)
    ctx = _Context(resource, api, now or timezone.now())
    return _compile(parse_filter(text), fields, ctx), ctx.aliases


def filter_queryset(
    queryset: QuerySet[Any],
    resource: str,
    nql: str | None,
    *,
    now: datetime | None = None,
    api: Api = "content",
) -> QuerySet[Any]:
    """``queryset`` narrowed by a Ghost filter; an empty filter leaves it as it is.

    Raises ``BadRequestError`` (Ghost's 400, context "Error parsing filter") for text
    that is not NQL, an unknown field or a value the field cannot hold.
    """
    if nql is None or not nql.strip():
        return queryset
    condition, aliases = compile_filter(resource, nql, api=api, now=now)
    if condition is None:
        return queryset
    if aliases:
        queryset = queryset.alias(**aliases)
    return queryset.filter(condition)


# --- Order -----------------------------------------------------------------------------


def order_terms(resource: str, order: str | None, *, api: Api = "content") -> list[str] | None:
    """Ghost's ``order`` ("published_at desc, title") as ``order_by`` terms.

    Fields that cannot be sorted on (relations, restricted or unknown fields, values
    masthead does not store) and malformed parts are dropped, as Ghost drops them;
    ``None`` when nothing usable is left, so the caller keeps its default order.
    """
    if not order:
        return None
    fields = allowed_fields(resource, api)
    terms: list[str] = []
    for name, descending in _order_parts(order):
        rule = fields.get(name)
        path = rule.sort_path() if rule is not None else None
        if path is not None:
            _add_term(terms, path, descending)
    return terms or None


def _order_parts(order: str) -> Iterable[tuple[str, bool]]:
    """Each well-formed ``field [asc|desc]`` of ``order``, as (field, descending)."""
    for part in order.split(","):
        words = part.split()
        if not words or len(words) > 2:
            continue
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction in ("asc", "desc"):
            yield words[0], direction == "desc"


def _add_term(terms: list[str], path: str, descending: bool) -> None:
    # A field given twice sorts by its first mention, as SQL would.
    if path not in (existing.lstrip("-") for existing in terms):
        terms.append(f"-{path}" if descending else path)


# ``count.posts`` sorts tags and authors by what ``include=count.posts`` shows; themes ask
# for it (``{{#get "tags" include="count.posts" order="count.posts desc"}}``).
COUNT_POSTS_ALIAS = "ghost_count_posts"


class _CountDistinct(models.Func):
    """``COUNT(DISTINCT x)`` without a GROUP BY: one count for the whole subquery."""

    template = "COUNT(DISTINCT %(expressions)s)"
    output_field = models.IntegerField()


def _count_posts(resource: str) -> Any:
    """Published posts per tag or author, counted as the serializers' ``count.posts``."""
    from masthead.publishing.models import ArticleAuthor

    from .serializers import published_posts

    if resource == "tags":
        matching = published_posts().filter(Q(section_id=OuterRef("pk")) | Q(tags=OuterRef("pk")))
        counted = matching.order_by().annotate(n=_CountDistinct(models.F("pk"))).values("n")
    else:
        credits = ArticleAuthor.objects.filter(author_id=OuterRef("pk"), page__in=published_posts())
        counted = credits.order_by().annotate(n=_CountDistinct(models.F("page_id"))).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def order_queryset(
    queryset: QuerySet[Any], resource: str, order: str | None, *, api: Api = "content"
) -> QuerySet[Any] | None:
    """``queryset`` sorted by Ghost's ``order``, ``pk`` breaking ties; None when nothing usable.

    The same terms as ``order_terms``, plus ``count.posts`` on tags and authors, which
    needs a counted alias on the queryset (so ``order_terms`` alone cannot express it).
    """
    if not order:
        return None
    fields = allowed_fields(resource, api)
    terms: list[str] = []
    counts = False
    for name, descending in _order_parts(order):
        if name == "count.posts" and resource in ("tags", "authors"):
            counts = True
            _add_term(terms, COUNT_POSTS_ALIAS, descending)
            continue
        rule = fields.get(name)
        path = rule.sort_path() if rule is not None else None
        if path is not None:
            _add_term(terms, path, descending)
    if not terms:
        return None
    if counts:
        queryset = queryset.alias(**{COUNT_POSTS_ALIAS: _count_posts(resource)})
    return queryset.order_by(*terms, "pk")


def slug_order(nql: str | None) -> list[str] | None:
    """The slugs of a top-level ``slug:[a,b,c]`` filter, for Ghost's "keep that order"."""
    if not nql or not nql.strip():
        return None
    try:
        node = nql_lang.parse(nql)
    except nql_lang.NQLSyntaxError:
        return None
    if isinstance(node, Comparison) and node.field == "slug" and node.op is Op.IN:
        return [str(value) for value in _as_iterable(node.value) if value is not None]
    return None


def _as_iterable(value: Value | tuple[Value, ...]) -> Iterable[Value]:
    return value if isinstance(value, tuple) else (value,)
