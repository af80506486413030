"""Ghost's Admin API endpoints: posts, pages, tags, members, newsletters, images and the site.

Each endpoint checks the caller's signed admin token, reads Ghost's request shape
(``{"posts": [{…}]}``), turns it into masthead terms and calls an action; the answer is
built by ``serializers`` (``member_serializers`` for members) in the Admin API's shape.
Every wrong input is answered with Ghost's status and error envelope, naming the property.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import UnidentifiedImageError
from wagtail.models import Page, Revision

from masthead.ghost_errors import (
    NotFoundError,
    RequestEntityTooLargeError,
    UnsupportedMediaTypeError,
    UpdateCollisionError,
    ValidationError,
)
from masthead.membership import actions as membership_actions
from masthead.membership.access import STAFF, Visibility
from masthead.membership.exceptions import EmailInUse
from masthead.membership.models import Label, Member, MemberStatus, Tier, normalise_email
from masthead.newsletters import actions as newsletter_actions
from masthead.newsletters.models import Newsletter, NewsletterSend, Segment
from masthead.publishing import actions as publishing_actions
from masthead.publishing.models import (
    ArticlePage,
    Author,
    Photo,
    SiteSettings,
    StandardPage,
    Tag,
)
from masthead.publishing.reading_time import reading_time_minutes

from . import filters, serializers
from .auth import admin_integration
from .html_import import (
    ImportedBody,
    LexicalError,
    import_html,
    import_lexical,
    photo_for_url,
    visibility_covers,
)
from .http import GHOST_VERSION, api_view, json_response, read_json_body
from .member_serializers import member_queryset, serialize_members
from .params import BrowseParams, parse_formats, parse_include

# --- Reading requests ------------------------------------------------------------------------


def _context(request: HttpRequest, resource: str) -> serializers.Context:
    return serializers.Context(
        api="admin",
        reader=STAFF,
        include=parse_include(request.GET.get("include"), resource=resource, api="admin"),
        formats=parse_formats(request.GET.get("formats"), api="admin"),
        fields=None,
        request=request,
    )


def _browse_context(params: BrowseParams, request: HttpRequest) -> serializers.Context:
    return serializers.Context(
        api="admin",
        reader=STAFF,
        include=params.include,
        formats=params.formats,
        fields=params.fields,
        request=request,
    )


def _one_object(body: dict[str, Any], resource: str) -> dict[str, Any]:
    """The object of ``{"posts": [{…}]}``; Ghost's 422 for any other shape."""
    items = body.get(resource)
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise ValidationError(
            _("Validation (FieldIsRequired) failed for %(resource)s") % {"resource": resource},
            context=_('Send {"%(resource)s": [{…}]}: a list holding one object.')
            % {"resource": resource},
            property=resource,
        )
    return items[0]


def _string(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationError(
                _("Validation (FieldIsRequired) failed for %(name)s") % {"name": name},
                context=_("%(name)s is required.") % {"name": name},
                property=name,
            )
        return None
    if not isinstance(value, str):
        raise ValidationError(
            _("Validation (isString) failed for %(name)s") % {"name": name},
            context=_("%(name)s must be a string.") % {"name": name},
            property=name,
        )
    return value


def _boolean(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValidationError(
            _("Validation (isBoolean) failed for %(name)s") % {"name": name},
            context=_("%(name)s must be true or false.") % {"name": name},
            property=name,
        )
    return value


def _list(data: dict[str, Any], name: str) -> list[Any] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValidationError(
            _("Validation (isArray) failed for %(name)s") % {"name": name},
            context=_("%(name)s must be a list.") % {"name": name},
            property=name,
        )
    return value


# The dates the Admin API accepts (Ghost's MySQL range, less a year at the top): every one
# of them can be shown in any timezone and counted in milliseconds without overflowing.
_EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _date(data: dict[str, Any], name: str) -> datetime | None:
    value = _string(data, name)
    if not value:
        return None
    parsed = None
    try:
        parsed = parse_datetime(value.replace(" ", "T"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(
            _("Validation (isDate) failed for %(name)s") % {"name": name},
            context=_("Give %(name)s as an ISO 8601 date, e.g. 2026-11-29T12:52:17.000Z.")
            % {"name": name},
            property=name,
        )
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    if not _EARLIEST <= parsed < _LATEST:
        raise ValidationError(
            _("Validation (isDate) failed for %(name)s") % {"name": name},
            context=_("%(name)s must fall between the years 1000 and 9998; “%(value)s” does not.")
            % {"name": name, "value": value[:40]},
            property=name,
        )
    return parsed


def _photo(data: dict[str, Any], name: str) -> Photo | None:
    url = _string(data, name)
    if not url:
        return None
    photo = photo_for_url(url)
    if photo is None:
        raise ValidationError(
            _("Only uploaded images can be used for %(name)s.") % {"name": name},
            context=_("“%(url)s” is not an image of this site.") % {"url": url[:200]},
            help=_("Upload it first with POST /ghost/api/admin/images/upload/ and use its url."),
            property=name,
        )
    return photo


def _ghost_validation(error: DjangoValidationError) -> ValidationError:
    """An action's refusal as Ghost's 422, naming the property it is about."""
    if hasattr(error, "message_dict"):
        name, messages = next(iter(error.message_dict.items()))
        prop = {
            "dek": "custom_excerpt",
            "lead_image": "feature_image",
            "seo_title": "meta_title",
            "search_description": "meta_description",
            "__all__": None,
        }.get(name, name)
        return ValidationError(" ".join(messages), property=prop)
    return ValidationError(" ".join(error.messages))


def _json_body(request: HttpRequest) -> dict[str, Any]:
    return read_json_body(request)


# --- Posts and pages -------------------------------------------------------------------------

_TEXT_FIELDS = {
    "title": "title",
    "slug": "slug",
    "custom_excerpt": "dek",
    "canonical_url": "canonical_url",
    "og_title": "og_title",
    "og_description": "og_description",
    "twitter_title": "twitter_title",
    "twitter_description": "twitter_description",
    "meta_title": "seo_title",
    "meta_description": "search_description",
    "feature_image_alt": "lead_image_alt",
}
_PAGE_TEXT_FIELDS = {
    "title": "title",
    "slug": "slug",
    "custom_excerpt": "intro",
    "meta_title": "seo_title",
    "meta_description": "search_description",
}
_LIMITS = {
    "dek": None,
    "og_title": 300,
    "og_description": 500,
    "twitter_title": 300,
    "twitter_description": 500,
    "seo_title": 255,
    "lead_image_alt": 500,
    "title": 255,
}


def _body_blocks(request: HttpRequest, data: dict[str, Any], kind: str) -> ImportedBody | None:
    """The body a client sent: ``html`` with ``?source=html``, else ``lexical``, else none.

    Ghost ignores ``html`` without ``source=html``, and so does masthead.
    """
    body_kind = "page" if kind == "pages" else "article"
    if request.GET.get("source") == "html" and data.get("html") is not None:
        return import_html(_string(data, "html") or "", body=body_kind)  # type: ignore[arg-type]
    lexical = data.get("lexical")
    if lexical is not None:
        if not isinstance(lexical, (str, dict)):
            raise ValidationError(_("Validation (isString) failed for lexical"), property="lexical")
        try:
            return import_lexical(lexical, body=body_kind)  # type: ignore[arg-type]
        except LexicalError as error:
            raise ValidationError(
                _("The lexical value is not a Lexical document."),
                context=str(error)[:200],
                help=_("Send the post as HTML with ?source=html instead."),
                property="lexical",
            ) from None
    if data.get("mobiledoc") is not None and "html" not in data:
        raise ValidationError(
            _("Mobiledoc is not accepted here."),
            help=_("Send the post as HTML with ?source=html, or as lexical."),
            property="mobiledoc",
        )
    return None


def _gate_imported_body(values: dict[str, Any], imported: ImportedBody, existing: Any) -> None:
    """Keep a body's members-only parts (Ghost's gated blocks) from becoming public.

    The import put a paywall before the first gated part; the article must keep out at least
    the readers that part kept out in Ghost, so a lower visibility is raised to it.
    """
    visibility = str(
        values.get("visibility") or getattr(existing, "visibility", None) or Visibility.PUBLIC
    )
    tiers_are_paid = (
        existing is not None
        and visibility == Visibility.TIERS
        and all(not tier.is_free for tier in existing.tiers.all())
    )
    if not visibility_covers(visibility, imported.visibility, tiers_are_paid=tiers_are_paid):
        values["visibility"] = str(imported.visibility)


def _post_values(
    request: HttpRequest, data: dict[str, Any], kind: str, existing: Any = None
) -> dict[str, Any]:
    fields = _PAGE_TEXT_FIELDS if kind == "pages" else _TEXT_FIELDS
    values: dict[str, Any] = {}
    for ghost_name, name in fields.items():
        if ghost_name in data:
            text = _string(data, ghost_name) or ""
            limit = _LIMITS.get(name)
            if limit and len(text) > limit:
                raise ValidationError(
                    _("Validation (isLength) failed for %(name)s") % {"name": ghost_name},
                    context=_("%(name)s may be at most %(limit)d characters.")
                    % {"name": ghost_name, "limit": limit},
                    property=ghost_name,
                )
            values[name] = text
    imported = _body_blocks(request, data, kind)
    if imported is not None:
        values["body"] = imported.blocks
    if kind == "pages":
        return values
    for ghost_name, name in (("featured", "is_featured"), ("email_only", "email_only")):
        flag = _boolean(data, ghost_name)
        if flag is not None:
            values[name] = flag
    if "visibility" in data:
        visibility = _string(data, "visibility")
        if visibility not in Visibility.values:
            raise ValidationError(
                _("Validation (isIn) failed for visibility"),
                context=_("visibility must be one of: %(choices)s.")
                % {"choices": ", ".join(Visibility.values)},
                property="visibility",
            )
        values["visibility"] = visibility
    for ghost_name, name in (
        ("feature_image", "lead_image"),
        ("og_image", "og_image"),
        ("twitter_image", "twitter_image"),
    ):
        if ghost_name in data:
            values[name] = _photo(data, ghost_name)
    if "feature_image_caption" in data:
        values["lead_image_caption"] = strip_tags(_string(data, "feature_image_caption") or "")[
            :500
        ]
    if imported is not None:
        _gate_imported_body(values, imported, existing)
    return values


def _updated_at(page: Any) -> datetime | None:
    """The moment the Admin API shows as ``updated_at`` (``serializers``), for collisions."""
    return serializers.updated_at(page)


def _check_collision(page: Any, data: dict[str, Any], resource: str) -> None:
    """Ghost's rule: an edit carries the ``updated_at`` it started from; another → 409.

    The 409's ``details`` say when each side is from, as Ghost's do, and ``changedFields``
    lists what changed since the version the client read, when that version is a revision
    masthead still has.
    """
    if data.get("updated_at") is None:
        raise ValidationError(
            _("Validation (FieldIsRequired) failed for updated_at"),
            context=_("Send the updated_at you last read, so no one's changes are overwritten."),
            property="updated_at",
        )
    sent = _date(data, "updated_at")
    if sent is None:
        raise ValidationError(
            _("Validation (isDate) failed for updated_at"),
            context=_("Send the updated_at you last read, so no one's changes are overwritten."),
            property="updated_at",
        )
    stored = _updated_at(page)
    if stored is None:
        return
    # The answer shows milliseconds: compare at that precision, so the value a client read
    # back is always the one the next edit is compared against.
    if _milliseconds(sent) != _milliseconds(stored):
        details: dict[str, Any] = {
            "clientUpdatedAt": data["updated_at"],
            "serverUpdatedAt": serializers.utc_date(stored),
        }
        changed = _changed_since(page, sent)
        if changed is not None:
            details["changedFields"] = changed
        raise UpdateCollisionError(
            _("Saving failed! Someone else is editing this %(kind)s.")
            % {"kind": "page" if resource == "pages" else "post"},
            context=_("It changed at %(stored)s, after the version you sent (%(sent)s).")
            % {"stored": stored.isoformat(), "sent": sent.isoformat()},
            help=_("Read it again, apply your change to the new version and send that."),
            code="UPDATE_COLLISION",
            details=details,
        )


# Revision content keys and the Ghost properties they show as, for ``changedFields``.
_GHOST_NAMES = {
    "title": "title",
    "slug": "slug",
    "body": "html",
    "dek": "custom_excerpt",
    "intro": "custom_excerpt",
    "is_featured": "featured",
    "visibility": "visibility",
    "email_only": "email_only",
    "lead_image": "feature_image",
    "lead_image_alt": "feature_image_alt",
    "lead_image_caption": "feature_image_caption",
    "canonical_url": "canonical_url",
    "og_title": "og_title",
    "og_description": "og_description",
    "og_image": "og_image",
    "twitter_title": "twitter_title",
    "twitter_description": "twitter_description",
    "twitter_image": "twitter_image",
    "seo_title": "meta_title",
    "search_description": "meta_description",
    "section": "tags",
    "tags": "tags",
    "tiers": "tiers",
    "article_authors": "authors",
    "go_live_at": "published_at",
}


def _changed_since(page: Any, sent: datetime) -> list[str] | None:
    """The Ghost properties that differ between the revision saved at ``sent`` and now.

    None when no revision was saved at that millisecond (the client's ``updated_at`` may
    predate the page's history, or be made up): Ghost's clients then get no list at all
    rather than a wrong one.
    """
    start = datetime.fromtimestamp(_milliseconds(sent) / 1000, tz=UTC)
    revisions = page.revisions.filter(
        created_at__gte=start, created_at__lt=start + timedelta(milliseconds=1)
    ).order_by("-created_at", "-pk")
    base = revisions.values_list("content", flat=True).first()
    current = (
        page.revisions.filter(pk=page.latest_revision_id).values_list("content", flat=True).first()
        if page.latest_revision_id
        else None
    )
    if base is None or current is None:
        return None
    changed = []
    for key, ghost_name in _GHOST_NAMES.items():
        if ghost_name in changed:
            continue
        if _comparable(base.get(key)) != _comparable(current.get(key)):
            changed.append(ghost_name)
    return changed


def _comparable(value: Any) -> Any:
    """A revision value with the ids of blocks and inline rows dropped (new on every save)."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items() if key not in ("pk", "id")}
    return value


def _milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _status(data: dict[str, Any]) -> str | None:
    status = _string(data, "status")
    if status is not None and status not in publishing_actions.API_STATUSES:
        raise ValidationError(
            _("Validation (isIn) failed for status"),
            context=_("status must be draft, published or scheduled."),
            property="status",
        )
    return status


def _find_page(model: type[Any], queryset: QuerySet[Any], **lookup: Any) -> Any:
    page = queryset.filter(**lookup).first()
    if page is None:
        noun = "page" if model is StandardPage else "post"
        raise NotFoundError(
            _("Resource not found error, cannot read %(noun)s.") % {"noun": noun},
            context=_("No %(noun)s matches %(lookup)s.")
            % {"noun": noun, "lookup": ", ".join(f"{k}={v}" for k, v in lookup.items())},
        )
    return page


def _serialize(resource: str, objects: list[Any], ctx: serializers.Context) -> list[Any]:
    objects = latest_versions(objects)
    if resource == "posts":
        return serializers.serialize_posts(objects, ctx)
    return serializers.serialize_pages(objects, ctx)


# --- What an edit is based on ----------------------------------------------------------------
#
# An editor may save a draft of a live article in Wagtail. An Admin API edit is applied on
# top of that latest revision (``publishing.actions``), so Admin API reads show it too: a
# client then sees what it is about to change, and ``updated_at`` is the revision's time,
# the one the collision check compares. The Content API keeps showing the live page.

# Fields that belong to the page as a whole, not to one revision: kept from the live row,
# as Wagtail's ``with_content_json`` keeps them. ``url_path`` stays the live address, so
# ``url`` is where readers find the page today, not where a draft slug would move it.
_PAGE_WIDE = (
    "id",
    "pk",
    "content_type_id",
    "path",
    "depth",
    "numchild",
    "url_path",
    "draft_title",
    "live",
    "has_unpublished_changes",
    "owner_id",
    "locked",
    "locked_by_id",
    "locked_at",
    "latest_revision_id",
    "latest_revision_created_at",
    "last_published_at",
    "translation_key",
    "locale_id",
    "alias_of_id",
    "ghost_id",
    "uuid",
    "created_at",
)
_ARTICLE_PHOTOS = ("lead_image", "og_image", "twitter_image")


def latest_versions(pages: list[Any]) -> list[Any]:
    """``pages`` with each one that has unpublished changes replaced by its latest revision.

    Wagtail's ``Revision.as_object()`` would fetch each page's parent, comments, tags and
    every foreign key one query at a time; here the revisions come in one query and what
    they point at (photos, tags, tiers, authors) in one query per kind for the whole page
    of results, so an answer costs the same number of queries however many drafts it shows.
    """
    drafts = [page for page in pages if page.has_unpublished_changes and page.latest_revision_id]
    if not drafts:
        return pages
    contents = dict(
        Revision.objects.filter(pk__in={page.latest_revision_id for page in drafts}).values_list(
            "pk", "content"
        )
    )
    versions: dict[int, Any] = {}
    links: dict[int, dict[str, list[int]]] = {}
    for page in drafts:
        content = contents.get(page.latest_revision_id)
        if content is None:
            continue
        data = dict(content)
        links[page.pk] = {name: list(data.pop(name, None) or []) for name in ("tags", "tiers")}
        version = type(page).from_serializable_data(data, check_fks=False)
        for name in _PAGE_WIDE:
            setattr(version, name, getattr(page, name))
        if version.first_published_at is None:
            version.first_published_at = page.first_published_at
        if isinstance(version, ArticlePage):
            # Counted on save, which a draft revision never had: count the draft's body.
            version.word_count, version.image_count = version._count_words_and_images()
            version.reading_time = reading_time_minutes(
                word_count=version.word_count, image_count=version.image_count
            )
        versions[page.pk] = version
    articles = [version for version in versions.values() if isinstance(version, ArticlePage)]
    if articles:
        _attach_article_relations(articles, links)
    return [versions.get(page.pk, page) for page in pages]


def _attach_article_relations(
    articles: list[ArticlePage], links: dict[int, dict[str, list[int]]]
) -> None:
    """Give revision objects the rows they point at, fetched once for all of them."""
    photo_ids = {
        getattr(article, f"{name}_id")
        for article in articles
        for name in _ARTICLE_PHOTOS
        if getattr(article, f"{name}_id")
    }
    tag_ids = {article.section_id for article in articles if article.section_id}
    tag_ids |= {pk for article in articles for pk in links[article.pk]["tags"]}
    tier_ids = {pk for article in articles for pk in links[article.pk]["tiers"]}
    credits = {article.pk: list(article.article_authors.all()) for article in articles}
    author_ids = {credit.author_id for found in credits.values() for credit in found}
    photos = Photo.objects.in_bulk(photo_ids) if photo_ids else {}
    tags = Tag.objects.select_related("feature_image").in_bulk(tag_ids) if tag_ids else {}
    tiers = Tier.objects.in_bulk(tier_ids) if tier_ids else {}
    authors = (
        Author.objects.select_related("avatar", "cover_image").in_bulk(author_ids)
        if author_ids
        else {}
    )
    for article in articles:
        for name in _ARTICLE_PHOTOS:
            setattr(article, name, photos.get(getattr(article, f"{name}_id")))
        article.section = tags.get(article.section_id) if article.section_id else None
        article.tags = [tags[pk] for pk in links[article.pk]["tags"] if pk in tags]
        article.tiers = sorted(
            (tiers[pk] for pk in links[article.pk]["tiers"] if pk in tiers),
            key=lambda tier: tier.pk,
        )
        kept = []
        for credit in sorted(credits[article.pk], key=lambda credit: credit.sort_order or 0):
            if credit.author_id in authors:
                credit.author = authors[credit.author_id]
                kept.append(credit)
        article.article_authors = kept


def _queryset(resource: str) -> QuerySet[Any]:
    if resource == "posts":
        return serializers.post_queryset("admin")
    return serializers.page_queryset("admin")


def _model(resource: str) -> type[Any]:
    return ArticlePage if resource == "posts" else StandardPage


def _filtered(queryset: QuerySet[Any], resource: str, nql: str | None) -> QuerySet[Any]:
    if not nql:
        return queryset
    return filters.filter_queryset(queryset, resource, nql, api="admin")


def _browse(
    request: HttpRequest,
    resource: str,
    queryset: QuerySet[Any],
    serialize: Callable[[list[Any], serializers.Context], list[Any]],
    default_order: list[str],
) -> HttpResponse:
    params = BrowseParams.from_request(request, resource, api="admin")
    queryset = _filtered(queryset, resource, params.filter)
    total = queryset.count()
    ordered = filters.order_queryset(queryset, resource, params.order, api="admin")
    if ordered is None:
        ordered = queryset.order_by(*(params.order_terms(default=default_order) or default_order))
    objects = list(ordered[params.offset : params.offset + params.limit])
    ctx = _browse_context(params, request)
    return json_response({resource: serialize(objects, ctx), "meta": params.pagination(total)})


def _email_segment(value: str | None) -> str:
    """Ghost's ``email_segment`` (an NQL filter on members) as a masthead segment.

    Only the filters a newsletter's segments can honour are accepted: anything else would
    otherwise reach more members than the client asked for.
    """
    parts = frozenset(part.strip() for part in (value or "all").split(","))
    segment = {
        frozenset({"all"}): Segment.ALL,
        frozenset({"status:free"}): Segment.FREE,
        frozenset({"status:-free"}): Segment.PAID,
        frozenset({"status:free", "status:-free"}): Segment.ALL,
    }.get(parts)
    if segment is None:
        raise ValidationError(
            _("Validation (isIn) failed for email_segment"),
            context=_("“%(value)s” is not a segment masthead can send to.")
            % {"value": (value or "")[:100]},
            help=_(
                "Use all, status:free (free members), status:-free (paying members) or "
                "status:free,status:-free (everyone)."
            ),
            property="email_segment",
        )
    return segment


def _send_newsletter(request: HttpRequest, article: ArticlePage) -> None:
    """``?newsletter=<slug>`` on publish: hand the article to the newsletter's send.

    An article already handed to that newsletter (sent, or waiting for its scheduled
    publication) is not sent twice: as in Ghost, the parameter is then ignored.
    """
    slug = request.GET.get("newsletter")
    if not slug:
        return
    newsletter = Newsletter.objects.filter(slug=slug).first()
    if newsletter is None:
        raise ValidationError(
            _("No newsletter has the slug “%(slug)s”.") % {"slug": slug[:100]},
            property="newsletter",
        )
    segment = _email_segment(request.GET.get("email_segment"))
    handed_over = (
        NewsletterSend.objects.filter(page=article, newsletter=newsletter)
        .exclude(status__in=[NewsletterSend.Status.CANCELLED, NewsletterSend.Status.FAILED])
        .exists()
    )
    if handed_over:
        return
    try:
        newsletter_actions.create_send(
            page=article, newsletter=newsletter, segment=segment, when_published=True
        )
    except newsletter_actions.SendRefused as refused:
        raise ValidationError(str(refused), property="newsletter") from None


def _save_post(
    request: HttpRequest, resource: str, data: dict[str, Any], existing: Any | None
) -> Any:
    values = _post_values(request, data, resource, existing)
    status = _status(data)
    published_at = _date(data, "published_at")
    # Ghost reads ``?newsletter=`` only when a post becomes published or scheduled; on any
    # other edit (a typo fixed in a post sent last week) it is ignored.
    before = "draft" if existing is None else publishing_actions.api_status(existing)
    becomes_public = status in {"published", "scheduled"} and status != before
    if existing is None and not values.get("title", "").strip():
        raise ValidationError(
            _("Validation (FieldIsRequired) failed for title"),
            context=_("Give the %(noun)s a title.")
            % {"noun": "page" if resource == "pages" else "post"},
            property="title",
        )
    try:
        with transaction.atomic():
            if resource == "pages":
                return publishing_actions.save_standard_page_from_api(
                    page=existing, values=values, status=status, published_at=published_at
                )
            tags_given = _list(data, "tags")
            authors_given = _list(data, "authors")
            article = publishing_actions.save_article_from_api(
                article=existing,
                values=values,
                status=status,
                published_at=published_at,
                tags=None if tags_given is None else publishing_actions.resolve_tags(tags_given),
                authors=None
                if authors_given is None
                else publishing_actions.resolve_authors(authors_given),
            )
            if becomes_public:
                _send_newsletter(request, article)
            return article
    except DjangoValidationError as error:
        raise _ghost_validation(error) from None


def _post_answer(
    request: HttpRequest, resource: str, page: Any, *, status: int = 200
) -> HttpResponse:
    fresh = _queryset(resource).get(pk=page.pk)
    return json_response(
        {resource: _serialize(resource, [fresh], _context(request, resource))}, status=status
    )


def _posts_collection(resource: str) -> Callable[..., HttpResponse]:
    @api_view("admin", methods=("GET", "POST"))
    def collection(request: HttpRequest) -> HttpResponse:
        admin_integration(request)
        if request.method == "POST":
            data = _one_object(_json_body(request), resource)
            page = _save_post(request, resource, data, None)
            return _post_answer(request, resource, page, status=201)
        default = ["-first_published_at", "-pk"] if resource == "posts" else ["title", "pk"]
        return _browse(
            request,
            resource,
            _queryset(resource),
            lambda objects, ctx: _serialize(resource, objects, ctx),
            default,
        )

    return collection


def _locked_page(model: type[Any], pk: int) -> Any:
    """The page ``pk`` read again inside the caller's transaction, its row locked.

    The lock is on Wagtail's page row, the one every revision and publication updates; the
    query names no other table, so PostgreSQL has no joined rows to lock with it.
    """
    Page.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).first()
    return model.objects.get(pk=pk)


def _posts_item(resource: str) -> Callable[..., HttpResponse]:
    @api_view("admin", methods=("GET", "PUT", "DELETE"))
    def item(request: HttpRequest, ghost_id: str) -> HttpResponse:
        admin_integration(request)
        page = _find_page(_model(resource), _queryset(resource), ghost_id=ghost_id)
        if request.method == "DELETE":
            publishing_actions.delete_page_from_api(page=page)
            return HttpResponse(status=204)
        if request.method == "PUT":
            data = _one_object(_json_body(request), resource)
            with transaction.atomic():
                # Compare with the page as it is once no one else can change it: two edits
                # sent from the same version then cannot both pass, the second is a 409.
                locked = _locked_page(_model(resource), page.pk)
                _check_collision(locked, data, resource)
                page = _save_post(request, resource, data, locked)
        return _post_answer(request, resource, page)

    return item


def _posts_by_slug(resource: str) -> Callable[..., HttpResponse]:
    @api_view("admin", methods=("GET",))
    def by_slug(request: HttpRequest, slug: str) -> HttpResponse:
        admin_integration(request)
        page = _find_page(_model(resource), _queryset(resource), slug=slug)
        return _post_answer(request, resource, page)

    return by_slug


posts = _posts_collection("posts")
post = _posts_item("posts")
post_by_slug = _posts_by_slug("posts")
pages = _posts_collection("pages")
page = _posts_item("pages")
page_by_slug = _posts_by_slug("pages")


# --- Tags ------------------------------------------------------------------------------------


def _tag_values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("name", "slug", "description"):
        if name in data:
            values[name] = _string(data, name) or ""
    if "accent_color" in data:
        values["accent_colour"] = _string(data, "accent_color") or ""
    if "visibility" in data:
        visibility = _string(data, "visibility")
        if visibility not in Tag.Visibility.values:
            raise ValidationError(
                _("Validation (isIn) failed for visibility"),
                context=_("visibility must be public or internal."),
                property="visibility",
            )
        values["visibility"] = visibility
    if "feature_image" in data:
        values["feature_image"] = _photo(data, "feature_image")
    return values


def _tag_answer(request: HttpRequest, tag: Tag, *, status: int = 200) -> HttpResponse:
    fresh = serializers.tag_queryset("admin").get(pk=tag.pk)
    ctx = _context(request, "tags")
    return json_response({"tags": serializers.serialize_tags([fresh], ctx)}, status=status)


def _find_tag(**lookup: Any) -> Tag:
    tag = serializers.tag_queryset("admin").filter(**lookup).first()
    if tag is None:
        raise NotFoundError(_("Resource not found error, cannot read tag."))
    return tag


@api_view("admin", methods=("GET", "POST"))
def tags(request: HttpRequest) -> HttpResponse:
    admin_integration(request)
    if request.method == "POST":
        data = _one_object(_json_body(request), "tags")
        _string(data, "name", required=True)
        values = _tag_values(data)
        try:
            tag = publishing_actions.create_tag(**values)
        except DjangoValidationError as error:
            raise _ghost_validation(error) from None
        return _tag_answer(request, tag, status=201)
    return _browse(
        request, "tags", serializers.tag_queryset("admin"), serializers.serialize_tags, ["name"]
    )


@api_view("admin", methods=("GET", "PUT", "DELETE"))
def tag(request: HttpRequest, ghost_id: str) -> HttpResponse:
    admin_integration(request)
    found = _find_tag(ghost_id=ghost_id)
    if request.method == "DELETE":
        found.delete()
        return HttpResponse(status=204)
    if request.method == "PUT":
        data = _one_object(_json_body(request), "tags")
        try:
            found = publishing_actions.update_tag(tag=found, values=_tag_values(data))
        except DjangoValidationError as error:
            raise _ghost_validation(error) from None
    return _tag_answer(request, found)


@api_view("admin", methods=("GET",))
def tag_by_slug(request: HttpRequest, slug: str) -> HttpResponse:
    admin_integration(request)
    return _tag_answer(request, _find_tag(slug=slug))


# --- Members ---------------------------------------------------------------------------------

MEMBER_EXISTS = "Member already exists. Attempting to add member with existing email address"


def _member_email(data: dict[str, Any], *, required: bool) -> str | None:
    email = _string(data, "email", required=required)
    if email is None:
        return None
    try:
        validate_email(email.strip())
    except DjangoValidationError:
        raise ValidationError(
            _("Validation (isEmail) failed for email"),
            context=_("“%(email)s” is not an email address.") % {"email": email[:200]},
            property="email",
        ) from None
    return email.strip()


def _labels(values: list[Any]) -> list[Label]:
    """The labels a client named, found by id, slug or name, new names created.

    A name also finds the label whose slug it makes, as Ghost's does: "foo-bar" and
    "Foo bar" are the label "Foo Bar", not a second label whose slug would clash with it.
    """
    labels = []
    for value in values:
        if isinstance(value, str):
            name, ghost_id, slug = value.strip(), "", ""
        elif isinstance(value, dict):
            name = str(value.get("name") or "").strip()
            ghost_id = str(value.get("id") or "")
            slug = str(value.get("slug") or "")
        else:
            raise ValidationError(
                _("Give each label as a name or an object with a name."), property="labels"
            )
        label = (
            (Label.objects.filter(ghost_id=ghost_id).first() if ghost_id else None)
            or (Label.objects.filter(slug=slug).first() if slug else None)
            or (Label.objects.filter(name__iexact=name).first() if name else None)
            or (Label.objects.filter(slug=slugify(name)).first() if slugify(name) else None)
        )
        if label is None:
            if not name:
                raise ValidationError(
                    _("No label matches %(label)s; give its name to create it.")
                    % {"label": ghost_id or slug},
                    property="labels",
                )
            label = Label.objects.create(name=name[:191], slug=_free_label_slug(name))
        if label not in labels:
            labels.append(label)
    return labels


def _free_label_slug(name: str) -> str:
    """A slug for a new label no other label has: ``name``'s, then ``-2``, ``-3``…"""
    base = slugify(name)[:180] or "label"
    taken = set(Label.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _newsletter_choice(values: list[Any]) -> list[Newsletter]:
    ids = []
    for value in values:
        ghost_id = value.get("id") if isinstance(value, dict) else value
        if not isinstance(ghost_id, str):
            raise ValidationError(
                _("Give each newsletter as an object with its id."), property="newsletters"
            )
        ids.append(ghost_id)
    found = list(Newsletter.objects.filter(ghost_id__in=ids))
    missing = set(ids) - {newsletter.ghost_id for newsletter in found}
    if missing:
        raise ValidationError(
            _("No newsletter has the id %(id)s.") % {"id": sorted(missing)[0]},
            property="newsletters",
        )
    return found


def _comp_tier() -> Tier | None:
    """The tier a complimentary membership gives: the first active paid one."""
    return next((tier for tier in Tier.objects.order_by("pk") if not tier.is_free), None)


def _set_comped(member: Member, comped: bool) -> None:
    is_comped = member.status == MemberStatus.COMPED
    if comped and not is_comped:
        tier = _comp_tier()
        if tier is None:
            raise ValidationError(
                _("There is no paid tier to give for free."),
                help=_("Create a paid tier in Membership settings first."),
                property="comped",
            )
        membership_actions.comp_member(member=member, tier=tier)
    elif not comped and is_comped:
        membership_actions.remove_comp(member=member)


def _member_answer(request: HttpRequest, member: Member, *, status: int = 200) -> HttpResponse:
    fresh = member_queryset().get(pk=member.pk)
    ctx = _context(request, "members")
    return json_response({"members": serialize_members([fresh], ctx)}, status=status)


def _find_member(ghost_id: str) -> Member:
    member = member_queryset().filter(ghost_id=ghost_id).first()
    if member is None:
        raise NotFoundError(_("Resource not found error, cannot read member."))
    return member


def _duplicate_member() -> ValidationError:
    return ValidationError(MEMBER_EXISTS, property="email")


@api_view("admin", methods=("GET", "POST"))
def members(request: HttpRequest) -> HttpResponse:
    admin_integration(request)
    if request.method == "POST":
        data = _one_object(_json_body(request), "members")
        email = _member_email(data, required=True) or ""
        name, note = _string(data, "name"), _string(data, "note")
        labels = _list(data, "labels")
        chosen = _list(data, "newsletters")
        comped = _boolean(data, "comped")
        if Member.objects.filter(email=normalise_email(email)).exists():
            raise _duplicate_member()
        newsletters = None if chosen is None else _newsletter_choice(chosen)
        try:
            with transaction.atomic():
                member = membership_actions.create_member(
                    email=email,
                    name=name or "",
                    note=note or "",
                    labels=_labels(labels or []),
                    newsletters=None
                    if newsletters is None
                    else [newsletter.pk for newsletter in newsletters],
                )
                if comped:
                    _set_comped(member, True)
        except IntegrityError:
            # Another request may have added the same address since the check above; any
            # other constraint is a fault of ours, not the client's, and stays a 500.
            if Member.objects.filter(email=normalise_email(email)).exists():
                raise _duplicate_member() from None
            raise
        return _member_answer(request, member, status=201)
    return _browse(
        request,
        "members",
        member_queryset(),
        serialize_members,
        ["-created_at", "-pk"],
    )


@api_view("admin", methods=("GET", "PUT", "DELETE"))
def member(request: HttpRequest, ghost_id: str) -> HttpResponse:
    admin_integration(request)
    found = _find_member(ghost_id)
    if request.method == "DELETE":
        membership_actions.delete_member(member=found)
        return HttpResponse(status=204)
    if request.method == "PUT":
        data = _one_object(_json_body(request), "members")
        email = _member_email(data, required=False)
        labels = _list(data, "labels")
        chosen = _list(data, "newsletters")
        comped = _boolean(data, "comped")
        with transaction.atomic():
            if email is not None:
                try:
                    membership_actions.change_email(member=found, new_email=email, actor=None)
                except (EmailInUse, IntegrityError):
                    raise _duplicate_member() from None
            membership_actions.update_member(
                member=found, name=_string(data, "name"), note=_string(data, "note")
            )
            if labels is not None:
                membership_actions.set_labels(member=found, labels=_labels(labels))
            if chosen is not None:
                newsletter_actions.set_subscriptions(
                    member=found, newsletters=_newsletter_choice(chosen)
                )
            if comped is not None:
                _set_comped(found, comped)
    return _member_answer(request, found)


# --- Newsletters -----------------------------------------------------------------------------


def _newsletter_values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("name", "description", "slug", "sender_name", "sender_email"):
        if name in data:
            values[name] = _string(data, name) or ""
    if values.get("sender_email"):
        try:
            validate_email(values["sender_email"])
        except DjangoValidationError:
            raise ValidationError(
                _("Validation (isEmail) failed for sender_email"), property="sender_email"
            ) from None
    for name, choices in (
        ("visibility", Newsletter.Visibility.values),
        ("status", Newsletter.Status.values),
    ):
        if name in data:
            value = _string(data, name)
            if value not in choices:
                raise ValidationError(
                    _("Validation (isIn) failed for %(name)s") % {"name": name},
                    context=_("%(name)s must be one of: %(choices)s.")
                    % {"name": name, "choices": ", ".join(choices)},
                    property=name,
                )
            values[name] = value
    flag = _boolean(data, "subscribe_on_signup")
    if flag is not None:
        values["subscribe_on_signup"] = flag
    if "sort_order" in data:
        order = data["sort_order"]
        if not isinstance(order, int) or isinstance(order, bool) or order < 0:
            raise ValidationError(
                _("Validation (isInt) failed for sort_order"), property="sort_order"
            )
        values["sort_order"] = order
    return values


def _save_newsletter(newsletter: Newsletter, values: dict[str, Any]) -> Newsletter:
    for name, value in values.items():
        setattr(newsletter, name, value)
    if not newsletter.slug:
        newsletter.slug = slugify(newsletter.name)[:191] or "newsletter"
    try:
        newsletter.full_clean(exclude=["ghost_id", "header_image"])
    except DjangoValidationError as error:
        raise _ghost_validation(error) from None
    newsletter.save()
    return newsletter


def _newsletter_answer(
    request: HttpRequest, newsletter: Newsletter, *, status: int = 200
) -> HttpResponse:
    ctx = _context(request, "newsletters")
    return json_response(
        {"newsletters": serializers.serialize_newsletters([newsletter], ctx)}, status=status
    )


@api_view("admin", methods=("GET", "POST"))
def newsletters(request: HttpRequest) -> HttpResponse:
    admin_integration(request)
    if request.method == "POST":
        data = _one_object(_json_body(request), "newsletters")
        _string(data, "name", required=True)
        newsletter = _save_newsletter(Newsletter(), _newsletter_values(data))
        return _newsletter_answer(request, newsletter, status=201)
    return _browse(
        request,
        "newsletters",
        serializers.newsletter_queryset("admin"),
        serializers.serialize_newsletters,
        ["sort_order", "pk"],
    )


@api_view("admin", methods=("GET", "PUT"))
def newsletter(request: HttpRequest, ghost_id: str) -> HttpResponse:
    admin_integration(request)
    found = Newsletter.objects.filter(ghost_id=ghost_id).first()
    if found is None:
        raise NotFoundError(_("Resource not found error, cannot read newsletter."))
    if request.method == "PUT":
        data = _one_object(_json_body(request), "newsletters")
        found = _save_newsletter(found, _newsletter_values(data))
    return _newsletter_answer(request, found)


# --- Users -----------------------------------------------------------------------------------
#
# Ghost's staff users are masthead's authors (``publishing.Author``), the bylines; the
# shared keys come from the author serializer, the Admin API's extra ones are added here.
# Roles come from the linked staff account:
#
# - a superuser is an Administrator;
# - the Moderators group (Wagtail's: may publish any page) is an Editor;
# - everyone else is a Contributor: Wagtail's Editors group may write but not publish,
#   as a Ghost Contributor, and a byline with no account cannot sign in at all.
#
# Ghost's Author role (publishes only their own posts) has no masthead counterpart.

ROLE_DESCRIPTIONS = {
    "Administrator": "Administrators",
    "Editor": "Editors",
    "Author": "Authors",
    "Contributor": "Contributors",
}
# Ghost's per-user notification switches. masthead sends no such notifications to
# individual staff, so every one is off.
_NOTIFICATIONS = (
    "comment_notifications",
    "free_member_signup_notification",
    "paid_subscription_started_notification",
    "paid_subscription_canceled_notification",
    "mention_notifications",
    "recommendation_notifications",
    "milestone_notifications",
    "donation_notifications",
    "gift_subscription_notifications",
)
USER_NOT_FOUND = "User not found."


def role_name(author: Author) -> str:
    """The Ghost role of an author, from the groups of the staff account behind it."""
    user = author.user
    if user is None or not user.is_active:
        return "Contributor"
    if user.is_superuser:
        return "Administrator"
    if any(group.name == "Moderators" for group in user.groups.all()):
        return "Editor"
    return "Contributor"


def _role(name: str) -> dict[str, Any]:
    """Ghost's role object. Roles are fixed names here, so their ids are derived from them."""
    return {
        "id": hashlib.sha256(f"ghost-role:{name}".encode()).hexdigest()[:24],
        "name": name,
        "description": ROLE_DESCRIPTIONS[name],
        "created_at": None,
        "updated_at": None,
    }


def user_queryset(*, with_roles: bool = False) -> QuerySet[Author]:
    authors = serializers.author_queryset("admin").select_related("user")
    return authors.prefetch_related("user__groups") if with_roles else authors


def serialize_users(authors: list[Author], ctx: serializers.Context) -> list[dict[str, Any]]:
    """Ghost's Admin API user objects, in the key order a Ghost 6 server sends them."""
    whole = dataclasses.replace(ctx, fields=None)
    shared = serializers.serialize_authors(authors, whole)
    answer = []
    for author, base in zip(authors, shared, strict=True):
        user = author.user
        obj: dict[str, Any] = {}
        for key, value in base.items():
            if key in ("count", "url"):
                continue
            obj[key] = value
            if key == "slug":
                obj["email"] = author.email or (user.email if user else "") or None
            elif key == "linkedin":
                obj["accessibility"] = None
                obj["status"] = "inactive" if user is not None and not user.is_active else "active"
            elif key == "meta_description":
                obj["tour"] = None
                obj["last_seen"] = serializers.site_date(user.last_login if user else None, ctx)
                obj.update(dict.fromkeys(_NOTIFICATIONS, False))
                obj["created_at"] = serializers.site_date(author.created_at, ctx)
                obj["updated_at"] = serializers.site_date(author.updated_at, ctx)
        if "roles" in ctx.include:
            obj["roles"] = [_role(role_name(author))]
        if "count" in base:
            obj["count"] = base["count"]
        obj["url"] = base["url"]
        answer.append(serializers.pick_fields(obj, ctx))
    return answer


def _users_answer(request: HttpRequest, author: Author | None) -> HttpResponse:
    if author is None:
        raise NotFoundError(
            USER_NOT_FOUND,
            context=_("No author has that id, slug or email."),
            help=_("List them with GET /ghost/api/admin/users/."),
        )
    ctx = _context(request, "authors")
    return json_response({"users": serialize_users([author], ctx)})


@api_view("admin", methods=("GET",))
def users(request: HttpRequest) -> HttpResponse:
    """``GET /users/``: the authors, filtered and ordered as the Content API's authors."""
    admin_integration(request)
    params = BrowseParams.from_request(request, "authors", api="admin")
    queryset = _filtered(
        user_queryset(with_roles="roles" in params.include), "authors", params.filter
    )
    total = queryset.count()
    ordered = filters.order_queryset(queryset, "authors", params.order, api="admin")
    if ordered is None:
        ordered = queryset.order_by(*(params.order_terms(default=["name", "pk"]) or ["name", "pk"]))
    found = list(ordered[params.offset : params.offset + params.limit])
    ctx = _browse_context(params, request)
    return json_response({"users": serialize_users(found, ctx), "meta": params.pagination(total)})


@api_view("admin", methods=("GET",))
def user(request: HttpRequest, ghost_id: str) -> HttpResponse:
    """``GET /users/<id>/``. ``me`` is the signed-in user in Ghost; an integration has none,
    so Ghost (and masthead) answer 404 for it."""
    admin_integration(request)
    if ghost_id == "me":
        raise NotFoundError(
            USER_NOT_FOUND,
            context=_("An integration's token is not a user: there is no “me”."),
            help=_("Read a user by id, slug or email instead."),
        )
    with_roles = "roles" in parse_include(
        request.GET.get("include"), resource="authors", api="admin"
    )
    return _users_answer(
        request, user_queryset(with_roles=with_roles).filter(ghost_id=ghost_id).first()
    )


@api_view("admin", methods=("GET",))
def user_by_slug(request: HttpRequest, slug: str) -> HttpResponse:
    admin_integration(request)
    with_roles = "roles" in parse_include(
        request.GET.get("include"), resource="authors", api="admin"
    )
    return _users_answer(request, user_queryset(with_roles=with_roles).filter(slug=slug).first())


@api_view("admin", methods=("GET",))
def user_by_email(request: HttpRequest, email: str) -> HttpResponse:
    admin_integration(request)
    with_roles = "roles" in parse_include(
        request.GET.get("include"), resource="authors", api="admin"
    )
    found = (
        user_queryset(with_roles=with_roles).filter(email__iexact=email.strip()).first()
        if email.strip()
        else None
    )
    return _users_answer(request, found)


# --- Images ----------------------------------------------------------------------------------

IMAGE_PURPOSES = ("image", "profile_image", "icon")


@api_view("admin", methods=("POST",))
def upload_image(request: HttpRequest) -> HttpResponse:
    """``POST /images/upload/``: a multipart ``file`` becomes a photo in the media library."""
    admin_integration(request)
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise UnsupportedMediaTypeError(
            _("Please select a valid image."),
            context=_("Send the image as multipart/form-data with the file in “file”."),
        )
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError(
            _("Please select an image."),
            context=_("The request has no file in the “file” field."),
            property="file",
        )
    purpose = request.POST.get("purpose") or "image"
    if purpose not in IMAGE_PURPOSES:
        raise ValidationError(
            _("Validation (isIn) failed for purpose"),
            context=_("purpose must be image, profile_image or icon."),
            property="purpose",
        )
    from wagtail.images.fields import WagtailImageField

    field = WagtailImageField()
    try:
        field.clean(upload)
    except DjangoValidationError as error:
        code = getattr(error, "code", None) or (
            error.error_list[0].code if error.error_list else ""
        )
        if code == "file_too_large" or code == "file_too_many_pixels":
            raise RequestEntityTooLargeError(
                _("Request was too big for the server to handle."),
                context=" ".join(error.messages),
            ) from None
        raise UnsupportedMediaTypeError(
            _("Please select a valid image."), context=" ".join(error.messages)
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # The file claims an image format (its name, its first bytes) but the image library
        # cannot read it: a truncated or forged file.
        raise UnsupportedMediaTypeError(
            _("Please select a valid image."),
            context=_("The file looks like an image but cannot be read; it may be damaged."),
        ) from None
    ref = request.POST.get("ref") or None
    photo = Photo(title=(ref or upload.name or "Image")[:255], file=upload)
    photo.save()
    url = photo.file.url
    if not url.startswith(("http://", "https://")):
        url = settings.MASTHEAD_SITE_URL + url
    return json_response({"images": [{"url": url, "ref": ref}]}, status=201)


# --- Site ------------------------------------------------------------------------------------


@api_view("admin", methods=("GET",))
def site(request: HttpRequest) -> HttpResponse:
    """``GET /site/``: what a client shows before it signs in, so no token is needed."""
    ctx = _context(request, "site")
    site_settings: SiteSettings = ctx.site_settings
    return json_response(
        {
            "site": {
                "title": site_settings.publication_name,
                "description": site_settings.tagline or None,
                "logo": serializers.photo_url(site_settings.logo),
                "icon": None,
                "accent_color": site_settings.accent_colour or None,
                "locale": (settings.LANGUAGE_CODE or "en").split("-")[0],
                "url": settings.MASTHEAD_SITE_URL + "/",
                "version": GHOST_VERSION,
            }
        }
    )
