"""Writes on live coverage that happen outside Wagtail's page editor.

The admin's live desk, the ``masthead live`` command and any future API call these, so
an update posted from anywhere is numbered, validated and announced the same way.

Every change to an update takes the page's next sequence number while it holds a lock
on the live page's row: numbers are given out in commit order, so a reader's page that
asks for "everything after N" never skips a change committed late (see ``LiveUpdate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _
from wagtail.models import Page

from .models import (
    RESERVED_SLUGS,
    ArticleAuthor,
    ArticleFormat,
    ArticlePage,
    Author,
    CoverageStatus,
    LivePage,
    LiveUpdate,
    StandardPage,
    Tag,
)
from .signals import live_update_changed

HEADLINE_MAX_LENGTH = LiveUpdate._meta.get_field("headline").max_length or 255


def body_has_content(raw_blocks: Iterable[dict[str, Any]]) -> bool:
    """Whether the blocks say anything: an empty paragraph or an image-less image is nothing."""
    for block in raw_blocks:
        kind, value = block.get("type"), block.get("value")
        if kind == "paragraph" and strip_tags(value or "").replace("&nbsp;", " ").strip():
            return True
        if isinstance(value, dict):
            if kind == "image" and value.get("image"):
                return True
            if kind == "embed" and (value.get("embed") or "").strip():
                return True
            if kind == "pull_quote" and (value.get("quote") or "").strip():
                return True
            if kind == "video" and (value.get("url") or "").strip():
                return True
    return False


def _raw(body: Any) -> list[dict[str, Any]]:
    """Raw block dicts from a StreamValue (admin form) or a list of dicts (code, CLI)."""
    if hasattr(body, "raw_data"):
        return list(body.raw_data)
    return list(body or [])


def check_live_update(*, headline: str, body: Any) -> None:
    """Refuse what no update may be, with messages for the form field each one is about.

    Public so the admin's form shows the same words for an empty body as the command line.
    """
    errors: dict[str, str] = {}
    if len(headline) > HEADLINE_MAX_LENGTH:
        errors["headline"] = _("Keep the headline under %(limit)d characters.") % {
            "limit": HEADLINE_MAX_LENGTH
        }
    if not body_has_content(_raw(body)):
        errors["body"] = _(
            "Write something in the update: a paragraph, an image, an embed, a quote or a video."
        )
    if errors:
        raise ValidationError(errors)


def _lock_and_number(page_id: int) -> int:
    """Lock the live page's row and return its next sequence number (inside a transaction)."""
    # SQLite takes its write lock when the transaction starts (IMMEDIATE mode); on
    # PostgreSQL the row lock orders writers to the same page.
    list(LivePage.objects.select_for_update(of=("self",)).filter(pk=page_id).values_list("pk"))
    latest = LiveUpdate.objects.filter(page_id=page_id).aggregate(latest=Max("sequence"))
    return (latest["latest"] or 0) + 1


def _saved_user(user: Any) -> Any:
    """The staff user to record, or ``None`` for scripts (no user) and anonymous users."""
    return user if getattr(user, "pk", None) else None


def _announce(update: LiveUpdate, change: str) -> None:
    page_id, update_id = update.page_id, update.pk
    transaction.on_commit(
        lambda: live_update_changed.send(
            sender=LiveUpdate, page_id=page_id, update_id=update_id, change=change
        )
    )


def post_live_update(
    *,
    page: LivePage,
    body: Any,
    headline: str = "",
    author: Author | None = None,
    is_pinned: bool = False,
    is_key_event: bool = False,
    posted_at: datetime | None = None,
    user: Any = None,
) -> LiveUpdate:
    """Publish a new update on ``page`` at once. Raises ``ValidationError`` for an empty body."""
    headline = (headline or "").strip()
    check_live_update(headline=headline, body=body)
    with transaction.atomic():
        number = _lock_and_number(page.pk)
        update = LiveUpdate(
            page=page,
            headline=headline,
            body=_raw(body),
            author=author,
            is_pinned=is_pinned,
            is_key_event=is_key_event,
            posted_at=posted_at or timezone.now(),
            posted_by=_saved_user(user),
            created_sequence=number,
            sequence=number,
        )
        update.save()
        _announce(update, "posted")
    return update


def edit_live_update(
    *,
    update: LiveUpdate,
    body: Any,
    headline: str = "",
    author: Author | None = None,
    is_pinned: bool = False,
    is_key_event: bool = False,
    posted_at: datetime | None = None,
) -> LiveUpdate:
    """Change an update in place; open pages replace it where it stands."""
    if update.is_deleted:
        raise ValidationError(_("This update was deleted; it can no longer be edited."))
    headline = (headline or "").strip()
    check_live_update(headline=headline, body=body)
    with transaction.atomic():
        update.sequence = _lock_and_number(update.page_id)
        update.headline = headline
        update.body = _raw(body)
        update.author = author
        update.is_pinned = is_pinned
        update.is_key_event = is_key_event
        if posted_at is not None:
            update.posted_at = posted_at
        update.save()
        _announce(update, "edited")
    return update


def set_live_update_pinned(*, update: LiveUpdate, pinned: bool) -> LiveUpdate:
    if update.is_deleted:
        raise ValidationError(_("This update was deleted; it can no longer be pinned."))
    with transaction.atomic():
        update.sequence = _lock_and_number(update.page_id)
        update.is_pinned = pinned
        update.save(update_fields=["sequence", "is_pinned", "changed_at"])
        _announce(update, "edited")
    return update


def delete_live_update(*, update: LiveUpdate) -> None:
    """Take an update off the page. The row stays as a tombstone so open pages remove it."""
    if update.is_deleted:
        return
    with transaction.atomic():
        update.sequence = _lock_and_number(update.page_id)
        update.deleted_at = timezone.now()
        update.is_pinned = False
        update.is_key_event = False
        update.save(
            update_fields=["sequence", "deleted_at", "is_pinned", "is_key_event", "changed_at"]
        )
        _announce(update, "deleted")


def touch_live_update(*, update: LiveUpdate) -> None:
    """Renumber an update whose rendering changed from outside (its promoted article went live)."""
    if update.is_deleted:
        return
    with transaction.atomic():
        update.sequence = _lock_and_number(update.page_id)
        update.save(update_fields=["sequence", "changed_at"])
        _announce(update, "edited")


def promote_live_update(*, update: LiveUpdate, user: Any = None) -> ArticlePage:
    """Turn an update into a draft article for an editor to expand and publish.

    The draft takes the update's headline, blocks and author, and the live page's section
    and tags. The update links to the article once it is published. Promoting twice
    returns the article made the first time.
    """
    if update.is_deleted:
        raise ValidationError(_("This update was deleted; it can no longer be promoted."))
    if update.promoted_to_id:
        return update.promoted_to  # type: ignore[return-value]  # set just above
    page = update.page
    parent = page.get_parent()
    title = update.headline or Truncator(update.summary_text).words(12, truncate="…")
    if not title.strip():
        title = _("Update from “%(page)s”") % {"page": page.title}
    with transaction.atomic():
        article = ArticlePage(
            title=title[:255],
            slug=_promoted_slug(title, update),
            format=ArticleFormat.ARTICLE,
            section_id=page.section_id,
            body=_raw(update.body),
            owner=_saved_user(user),
            live=False,
            # Parental many-to-many values given to the constructor are saved with the
            # page; set() afterwards would stay in memory until the next full save.
            tags=list(page.tags.all()),
        )
        parent.add_child(instance=article)
        if update.author_id:
            ArticleAuthor.objects.create(page=article, author_id=update.author_id, sort_order=0)
        article.save_revision(user=_saved_user(user), log_action=True)
        update.promoted_to = article
        update.sequence = _lock_and_number(update.page_id)
        update.save(update_fields=["promoted_to", "sequence", "changed_at"])
        _announce(update, "edited")
    return article


def _promoted_slug(title: str, update: LiveUpdate) -> str:
    """Wagtail's slug from ``title`` (empty: Wagtail makes it), unless the site routes it.

    A headline such as "Search" or "!!!" would give the draft a slug the page's validation
    refuses ("search") or none at all; the update's id then makes one of its own.
    """
    allow_unicode = getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True)
    base = slugify(title, allow_unicode=allow_unicode)[:200]
    if base and base not in RESERVED_SLUGS:
        return ""
    return f"{base or 'update'}-{update.pk}"


def set_coverage_status(*, page: LivePage, status: str, user: Any = None) -> LivePage:
    """End (or resume) live coverage by publishing a new revision of the page.

    A revision, not a field update: Wagtail copies the revision into the page on every
    publish, and a status written beside it would be undone by the next one. The revision
    published is the page as readers see it, so ending coverage never publishes an editor's
    unfinished draft; the draft gets the new status too and stays the latest revision.
    An unpublished page only gets a draft revision: ending coverage does not publish it.
    """
    if status not in CoverageStatus.values:
        raise ValidationError(
            _("Unknown status “%(status)s”; use one of: %(choices)s.")
            % {"status": status, "choices": ", ".join(CoverageStatus.values)}
        )
    by = _saved_user(user)
    with transaction.atomic():
        current = LivePage.objects.get(pk=page.pk)
        ended_at = None
        if status == CoverageStatus.ENDED:
            ended_at = current.coverage_ended_at or timezone.now()

        def with_status(version: LivePage) -> LivePage:
            version.coverage_status = status
            version.coverage_ended_at = ended_at
            return version

        draft = (
            current.get_latest_revision_as_object()
            if current.has_unpublished_changes or not current.live
            else None
        )
        if current.live:
            with_status(current).save_revision(user=by).publish(user=by)
        else:
            LivePage.objects.filter(pk=page.pk).update(
                coverage_status=status, coverage_ended_at=ended_at
            )
        if draft is not None:
            with_status(draft).save_revision(user=by)
    page.refresh_from_db()
    return page


def touch_updates_promoted_to(*, article: ArticlePage) -> int:
    """Renumber the updates promoted to ``article``, so open pages redraw their links to it."""
    updates = list(LiveUpdate.objects.visible().filter(promoted_to=article))
    for update in updates:
        touch_live_update(update=update)
    return len(updates)


def touch_updates_after_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``page_published`` and ``page_unpublished`` receiver: a promoted article going live
    (or being taken down) adds (or removes) its update's "Read the full story" link."""
    if isinstance(instance, ArticlePage):
        touch_updates_promoted_to(article=instance)


# --- API writes ------------------------------------------------------------------------------
#
# Articles and standard pages written through the Ghost-compatible Admin API. Every change is
# a Wagtail revision, as in the page editor, so the page's history shows what an outside tool
# did and an editor can roll it back. Refusals are ``ValidationError``s keyed by the Ghost
# property they are about, so the API can name it.

ApiStatus = str  # "draft", "published" or "scheduled", Ghost's post statuses
API_STATUSES = ("draft", "published", "scheduled")

# Fields of ArticlePage an API client may set, by their masthead names.
API_ARTICLE_FIELDS = frozenset(
    {
        "title",
        "slug",
        "dek",
        "body",
        "is_featured",
        "email_only",
        "visibility",
        "lead_image",
        "lead_image_alt",
        "lead_image_caption",
        "canonical_url",
        "og_title",
        "og_description",
        "og_image",
        "twitter_title",
        "twitter_description",
        "twitter_image",
        "seo_title",
        "search_description",
    }
)
API_PAGE_FIELDS = frozenset({"title", "slug", "intro", "body", "seo_title", "search_description"})


def api_home_page() -> Page:
    """The page new articles and pages go under: the root of the default site."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        site = Site.objects.select_related("root_page").order_by("pk").first()
    if site is None:
        raise ValidationError(
            {"site": _("The site has no home page yet. Create the site in the admin first.")}
        )
    return site.root_page.specific


def unique_page_slug(parent: Page, wanted: str, *, exclude: Page | None = None) -> str:
    """``wanted`` if no sibling has it and the site does not route it, else ``wanted-2``, ``-3``…

    Ghost's rule for a slug already in use; the site's own routes (``search``, ``tag`` …)
    count as in use.
    """
    allow_unicode = getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True)
    base = slugify(wanted, allow_unicode=allow_unicode)[:240] or "untitled"
    siblings = parent.get_children()
    if exclude is not None and exclude.pk:
        siblings = siblings.exclude(pk=exclude.pk)
    taken = set(siblings.filter(slug__startswith=base).values_list("slug", flat=True))
    candidate, number = base, 1
    while candidate in taken or candidate in RESERVED_SLUGS:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def unique_tag_slug(wanted: str, *, exclude: Tag | None = None) -> str:
    base = slugify(wanted, allow_unicode=True)[:180] or "tag"
    taken = Tag.objects.filter(slug__startswith=base)
    if exclude is not None and exclude.pk:
        taken = taken.exclude(pk=exclude.pk)
    slugs = set(taken.values_list("slug", flat=True))
    candidate, number = base, 1
    while candidate in slugs:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def tag_slug_for_name(name: str) -> str:
    """Ghost's slug for a tag name: ``#internal`` becomes ``hash-internal``."""
    if name.startswith("#"):
        return "hash-" + (slugify(name[1:], allow_unicode=True) or "tag")
    return slugify(name, allow_unicode=True) or "tag"


def create_tag(
    *, name: str, slug: str = "", description: str = "", accent_colour: str = "", **extra: Any
) -> Tag:
    """A new tag; a name starting with "#" makes it internal, as in Ghost."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the tag a name.")})
    tag = Tag(
        name=name[:191],
        slug=unique_tag_slug(slug or tag_slug_for_name(name)),
        description=description,
        accent_colour=accent_colour,
        **extra,
    )
    tag.clean()
    tag.full_clean(exclude=["ghost_id"])
    tag.save()
    return tag


def update_tag(*, tag: Tag, values: dict[str, Any]) -> Tag:
    for name, value in values.items():
        setattr(tag, name, value)
    if "slug" in values:
        tag.slug = unique_tag_slug(values["slug"] or tag_slug_for_name(tag.name), exclude=tag)
    tag.clean()
    tag.full_clean(exclude=["ghost_id"])
    tag.save()
    return tag


def _ref_fields(value: Any) -> dict[str, str]:
    """The identifying fields of a tag or author as a client sent it: a string or an object."""
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, dict):
        return {
            key: str(value[key]).strip()
            for key in ("id", "slug", "name", "email")
            if isinstance(value.get(key), str) and str(value[key]).strip()
        }
    return {}


def resolve_tags(values: Iterable[Any]) -> list[Tag]:
    """Tags named by id, slug or name (strings are names or slugs); unknown names are created.

    Order is kept (the first is Ghost's primary tag) and repeats are dropped.
    """
    tags: list[Tag] = []
    for value in values:
        ref = {key: text for key, text in _ref_fields(value).items() if key != "email"}
        if not ref:
            raise ValidationError(
                {"tags": _("Give each tag as a name, or an object with an id, slug or name.")}
            )
        tag = None
        if "id" in ref:
            tag = Tag.objects.filter(ghost_id=ref["id"]).first()
        if tag is None and "slug" in ref:
            tag = Tag.objects.filter(slug=ref["slug"]).first()
        if tag is None and "name" in ref:
            name = ref["name"]
            tag = (
                Tag.objects.filter(name__iexact=name).first()
                or Tag.objects.filter(slug=tag_slug_for_name(name)).first()
            )
            if tag is None:
                tag = create_tag(name=name, slug=ref.get("slug", ""))
        if tag is None:
            # Only an id or a slug reaches here (a name creates the tag): name what was sent.
            raise ValidationError(
                {
                    "tags": _("No tag has the %(key)s “%(value)s”. Give its name to create it.")
                    % {
                        "key": "id" if "id" in ref else "slug",
                        "value": ref.get("id") or ref["slug"],
                    }
                }
            )
        if tag not in tags:
            tags.append(tag)
    return tags


def resolve_authors(values: Iterable[Any]) -> list[Author]:
    """Authors named by email, slug or id (strings may be any of them), in byline order.

    Authors are not created from the API: an unknown one is refused by name, so a typo
    never adds a stranger to the team page.
    """
    authors: list[Author] = []
    for value in values:
        ref = _ref_fields(value)
        if not ref:
            raise ValidationError(
                {
                    "authors": _(
                        "Give each author as an email, or an object with an id, email or slug."
                    )
                }
            )
        wanted = ref.get("email") or ref.get("slug") or ref.get("id") or ref.get("name") or ""
        author = None
        if isinstance(value, str):
            author = (
                Author.objects.filter(email__iexact=value.strip()).first()
                or Author.objects.filter(slug=value.strip()).first()
                or Author.objects.filter(ghost_id=value.strip()).first()
            )
        else:
            if "id" in ref:
                author = Author.objects.filter(ghost_id=ref["id"]).first()
            if author is None and "email" in ref:
                author = Author.objects.filter(email__iexact=ref["email"]).first()
            if author is None and "slug" in ref:
                author = Author.objects.filter(slug=ref["slug"]).first()
        if author is None:
            raise ValidationError(
                {
                    "authors": _(
                        "No author is known as “%(author)s”. Use an author's email, slug or "
                        "id; authors are added in the admin under Authors."
                    )
                    % {"author": wanted}
                }
            )
        if author not in authors:
            authors.append(author)
    return authors


def _check_status(status: str | None, published_at: datetime | None) -> None:
    if status is not None and status not in API_STATUSES:
        raise ValidationError(
            {
                "status": _("Unknown status “%(status)s”; use draft, published or scheduled.")
                % {"status": status}
            }
        )
    if status == "scheduled" and (published_at is None or published_at <= timezone.now()):
        raise ValidationError(
            {
                "published_at": _(
                    "A scheduled post needs a published_at in the future: the time to publish it."
                )
            }
        )


def _apply(version: Page, values: dict[str, Any], allowed: frozenset[str]) -> None:
    for name, value in values.items():
        if name not in allowed:
            raise ValidationError({name: _("This field cannot be set through the API.")})
        setattr(version, name, value)
    title = (getattr(version, "title", "") or "").strip()
    if not title:
        raise ValidationError({"title": _("Give it a title.")})
    version.title = title[:255]


def api_status(page: Page) -> str:
    """The Ghost status of an article or page: published, scheduled or draft."""
    if page.live:
        return "published"
    if page.revisions.filter(approved_go_live_at__isnull=False).exists():
        return "scheduled"
    return "draft"


def _unschedule(page: Page) -> None:
    page.revisions.filter(approved_go_live_at__isnull=False).update(approved_go_live_at=None)
    type(page).objects.filter(pk=page.pk).update(go_live_at=None)


def _save_api_version(
    *,
    page: Page,
    version: Page,
    status: str,
    published_at: datetime | None,
    user: Any,
) -> None:
    """Save ``version`` as a revision of ``page`` and bring the page to ``status``."""
    by = _saved_user(user)
    if status == "scheduled":
        version.go_live_at = published_at
    else:
        version.go_live_at = None
        if published_at is not None and status == "published":
            version.first_published_at = published_at
    revision = version.save_revision(user=by, log_action=True, clean=True)
    if status == "draft":
        _unschedule(page)
        if page.live:
            page.refresh_from_db()
            page.unpublish(user=by, log_action=True)
        else:
            # No reader sees a page that was never published, so its row can hold the
            # draft: lists and the API then show what the newsroom last wrote.
            version.go_live_at = None
            version.save(clean=False)
    else:
        revision.publish(user=by, log_action=True)


def save_article_from_api(
    *,
    article: ArticlePage | None,
    values: dict[str, Any],
    status: str | None = None,
    published_at: datetime | None = None,
    tags: list[Tag] | None = None,
    authors: list[Author] | None = None,
    user: Any = None,
) -> ArticlePage:
    """Create (``article=None``) or change an article, as a new revision, then publish,
    schedule or unpublish it as ``status`` asks (None keeps the current status).

    The first tag becomes the section when it is a section. A change to a live article
    with ``status`` "published" publishes at once, as Ghost's editor does.
    """
    _check_status(status, published_at)
    with transaction.atomic():
        if article is None:
            parent = api_home_page()
            version = ArticlePage(live=False)
            _apply(version, values, API_ARTICLE_FIELDS)
            version.slug = unique_page_slug(parent, values.get("slug") or version.title)
            if tags is not None:
                version.tags = tags
            if tags:
                version.section = tags[0] if tags[0].is_section else None
            parent.add_child(instance=version)
            page = version
            if authors:
                for order, author in enumerate(authors):
                    ArticleAuthor.objects.create(page=page, author=author, sort_order=order)
            version = ArticlePage.objects.get(pk=page.pk)
            current = "draft"
        else:
            page = article
            current = api_status(page)
            version = page.get_latest_revision_as_object()
            _apply(version, values, API_ARTICLE_FIELDS)
            if "slug" in values:
                version.slug = unique_page_slug(
                    page.get_parent(), values["slug"] or version.title, exclude=page
                )
            if tags is not None:
                version.tags = tags
                version.section = tags[0] if tags and tags[0].is_section else None
            if authors is not None:
                version.article_authors = [
                    ArticleAuthor(author=author, sort_order=order)
                    for order, author in enumerate(authors)
                ]
        _save_api_version(
            page=page,
            version=version,
            status=status or current,
            published_at=published_at,
            user=user,
        )
    return ArticlePage.objects.get(pk=page.pk)


def save_standard_page_from_api(
    *,
    page: StandardPage | None,
    values: dict[str, Any],
    status: str | None = None,
    published_at: datetime | None = None,
    user: Any = None,
) -> StandardPage:
    """Create (``page=None``) or change a standard page; statuses as for articles."""
    _check_status(status, published_at)
    with transaction.atomic():
        if page is None:
            parent = api_home_page()
            version = StandardPage(live=False)
            _apply(version, values, API_PAGE_FIELDS)
            version.slug = unique_page_slug(parent, values.get("slug") or version.title)
            parent.add_child(instance=version)
            target: StandardPage = version
            version = StandardPage.objects.get(pk=target.pk)
            current = "draft"
        else:
            target = page
            current = api_status(page)
            version = page.get_latest_revision_as_object()
            _apply(version, values, API_PAGE_FIELDS)
            if "slug" in values:
                version.slug = unique_page_slug(
                    page.get_parent(), values["slug"] or version.title, exclude=page
                )
        _save_api_version(
            page=target,
            version=version,
            status=status or current,
            published_at=published_at,
            user=user,
        )
    return StandardPage.objects.get(pk=target.pk)


def delete_page_from_api(*, page: Page, user: Any = None) -> None:
    """Delete an article or page as the admin does (logged, children included)."""
    from wagtail.actions.delete_page import DeletePageAction

    with transaction.atomic():
        DeletePageAction(page, user=_saved_user(user)).execute(skip_permission_checks=True)
