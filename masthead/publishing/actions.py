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

from .models import (
    RESERVED_SLUGS,
    ArticleAuthor,
    ArticleFormat,
    ArticlePage,
    Author,
    CoverageStatus,
    LivePage,
    LiveUpdate,
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
