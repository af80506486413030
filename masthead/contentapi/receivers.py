"""What masthead does, told as Ghost's webhook events.

Ghost fires its events from its models (``core/server/models/post.js``); masthead's
changes arrive through Wagtail's and Django's signals instead:

- an article (Ghost post) or standard page (Ghost page) created: ``post_save`` → ``added``;
- a draft saved (Wagtail's ``save_revision``, whose page save names ``latest_revision``):
  ``edited``;
- published: ``page_published`` → ``published``, or ``published.edited`` when it was
  already live, with ``post.tag.attached``/``detached`` for tags that came or went since
  the live version, and ``site.changed``;
- unpublished: ``page_unpublished`` → ``unpublished`` and ``site.changed``;
- a revision given, moved or cleared a go-live time → ``scheduled``, ``rescheduled``,
  ``unscheduled``;
- deleted: ``pre_delete``, while the row can still be read → ``deleted``;
- tags: ``added``/``edited``/``deleted`` and ``site.changed``;
- members: ``membership.signals.member_created`` (sent after the commit, with labels and
  newsletters in place) → ``member.added``; ``post_save`` → ``member.edited``;
  ``pre_delete`` → ``member.deleted``.

Every receiver first asks ``webhooks.wants`` and does nothing more when nobody listens,
so publishing with no webhook registered costs one cached lookup. The state before a
change ("previous") is read in ``pre_save`` from the stored row, which for a live page
is its live version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from wagtail.models import Revision
from wagtail.signals import page_published, page_unpublished

from masthead.membership.models import Member
from masthead.publishing.models import ArticlePage, StandardPage, Tag

from . import webhooks
from .models import Integration, Webhook
from .models import WebhookEvent as E

BEFORE = "_ghost_webhook_before"
SCHEDULE_BEFORE = "_ghost_webhook_schedule_before"

# Member saves that only record activity are no edit anyone subscribed to.
MEMBER_ACTIVITY_FIELDS = frozenset({"last_seen_at", "session_version", "updated_at"})


@dataclass(frozen=True)
class Before:
    """A row as it was stored before a save: live or not, and its Ghost object."""

    live: bool
    snapshot: dict[str, Any]
    had_revision: bool = True


PostOrPage = ArticlePage | StandardPage


def _kind(instance: object) -> str | None:
    """``post`` for an article (live pages included), ``page`` for a standard page."""
    if isinstance(instance, ArticlePage):
        return "post"
    if isinstance(instance, StandardPage):
        return "page"
    return None


def _events(kind: str, *names: str) -> list[str]:
    return [f"{kind}.{name}" for name in names]


# --- Articles and pages -------------------------------------------------------------


def remember_page_before_save(
    sender: type[Model], instance: Any, raw: bool = False, **_: Any
) -> None:
    kind = _kind(instance)
    if raw or kind is None or instance.pk is None:
        return
    interesting = _events(
        kind,
        "edited",
        "published",
        "published.edited",
        "unpublished",
        "tag.attached",
        "tag.detached",
    )
    if not webhooks.wants(*interesting, E.SITE_CHANGED):
        return
    stored = (
        type(instance)
        ._default_manager.filter(pk=instance.pk)
        .values_list("live", "latest_revision_id")
        .first()
    )
    if stored is None:
        return
    live, latest_revision = stored
    snapshot = webhooks.fresh_post(instance) if webhooks.wants(*interesting) else {}
    setattr(
        instance,
        BEFORE,
        Before(live=bool(live), snapshot=snapshot, had_revision=latest_revision is not None),
    )


def page_saved(
    sender: type[Model],
    instance: Any,
    created: bool = False,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    kind = _kind(instance)
    if raw or kind is None:
        return
    if created:
        webhooks.trigger(
            f"{kind}.added",
            lambda: webhooks.payload(f"{kind}.added", current=webhooks.serialize_post(instance)),
        )
        return
    if update_fields is None or "latest_revision" not in update_fields:
        # A publish or unpublish: their own signals say which, after this save.
        return
    event = f"{kind}.edited"
    before: Before | None = getattr(instance, BEFORE, None)
    if before is not None and not before.had_revision:
        # The editor's first save of a page it just created: Ghost tells a creation
        # as post.added alone.
        return
    webhooks.trigger(
        event,
        lambda: webhooks.payload(
            event,
            current=webhooks.serialize_post(instance),
            previous=before.snapshot if before else None,
        ),
    )


def page_was_published(sender: type[Model], instance: Any, **_: Any) -> None:
    kind = _kind(instance)
    if kind is None:
        return
    if not instance.live:
        # Wagtail sends page_published for a revision scheduled to go live later too;
        # the revision's receiver tells that as post.scheduled.
        _forget_before(instance)
        return
    before: Before | None = getattr(instance, BEFORE, None)
    was_live = bool(before and before.live)
    event = f"{kind}.published.edited" if was_live else f"{kind}.published"
    attach_events = _events(kind, "tag.attached", "tag.detached")
    if not webhooks.wants(event, *attach_events, E.SITE_CHANGED):
        return
    previous = before.snapshot if before else None
    built: dict[str, Any] = {}

    def current() -> dict[str, Any]:
        if "current" not in built:
            built["current"] = webhooks.serialize_post(instance)
        return built["current"]

    webhooks.trigger(event, lambda: webhooks.payload(event, current=current(), previous=previous))
    if webhooks.wants(*attach_events):
        old_tags = {tag.get("id") for tag in (previous or {}).get("tags") or []}
        new_tags = {tag.get("id") for tag in current().get("tags") or []}
        for tag_event, changed in (
            (f"{kind}.tag.attached", new_tags - old_tags),
            (f"{kind}.tag.detached", old_tags - new_tags),
        ):
            # Ghost fires one event per tag, each carrying the whole post.
            for _tag in sorted(str(tag) for tag in changed):
                webhooks.trigger(tag_event, _payload_of(tag_event, current, previous))
    webhooks.trigger(E.SITE_CHANGED, {})
    _forget_before(instance)


def _payload_of(
    event: str, current: Callable[[], dict[str, Any]], previous: dict[str, Any] | None
) -> Callable[[], dict[str, Any]]:
    return lambda: webhooks.payload(event, current=current(), previous=previous)


def page_was_unpublished(sender: type[Model], instance: Any, **_: Any) -> None:
    kind = _kind(instance)
    if kind is None:
        return
    event = f"{kind}.unpublished"
    before: Before | None = getattr(instance, BEFORE, None)
    webhooks.trigger(
        event,
        lambda: webhooks.payload(
            event,
            current=webhooks.serialize_post(instance),
            previous=before.snapshot if before else None,
        ),
    )
    webhooks.trigger(E.SITE_CHANGED, {})
    _forget_before(instance)


def page_deleting(sender: type[Model], instance: Any, **_: Any) -> None:
    kind = _kind(instance)
    if kind is None:
        return
    event = f"{kind}.deleted"
    if not webhooks.wants(event, E.SITE_CHANGED):
        return
    # Built now: once the row is gone there is nothing left to serialize.
    webhooks.trigger(event, lambda: webhooks.payload(event, previous=webhooks.fresh_post(instance)))
    if getattr(instance, "live", False):
        webhooks.trigger(E.SITE_CHANGED, {})


def _forget_before(instance: Any) -> None:
    if hasattr(instance, BEFORE):
        delattr(instance, BEFORE)


# --- Scheduling (Wagtail keeps it on the revision) ------------------------------------


@dataclass(frozen=True)
class ScheduleBefore:
    go_live_at: datetime | None


def _revision_kind(revision: Revision) -> str | None:
    model = revision.content_type.model_class() if revision.content_type_id else None
    if model is None:
        return None
    if issubclass(model, ArticlePage):
        return "post"
    if issubclass(model, StandardPage):
        return "page"
    return None


def remember_schedule_before_save(
    sender: type[Model], instance: Revision, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    kind = _revision_kind(instance)
    if kind is None or not webhooks.wants(
        *_events(kind, "scheduled", "unscheduled", "rescheduled")
    ):
        return
    # Wagtail clears the other revisions' times with update(), which sends no signal, so
    # the page's schedule before this save is whichever revision of it held one.
    scheduled = (
        Revision.objects.filter(
            content_type_id=instance.content_type_id,
            object_id=instance.object_id,
            approved_go_live_at__isnull=False,
        )
        .order_by("-pk")
        .values_list("approved_go_live_at", flat=True)
        .first()
    )
    setattr(instance, SCHEDULE_BEFORE, ScheduleBefore(go_live_at=scheduled))


def revision_saved(sender: type[Model], instance: Revision, raw: bool = False, **_: Any) -> None:
    before: ScheduleBefore | None = getattr(instance, SCHEDULE_BEFORE, None)
    if raw or before is None:
        return
    delattr(instance, SCHEDULE_BEFORE)
    kind = _revision_kind(instance)
    if kind is None:
        return
    old, new = before.go_live_at, instance.approved_go_live_at
    if new is not None and old is None:
        name = "scheduled"
    elif new is not None and old != new:
        name = "rescheduled"
    elif new is None and old is not None and instance.approved_go_live_at is None:
        if (
            Revision.objects.filter(
                content_type_id=instance.content_type_id,
                object_id=instance.object_id,
                approved_go_live_at__isnull=False,
            )
            .exclude(pk=instance.pk)
            .exists()
        ):
            return
        name = "unscheduled"
    else:
        return
    event = f"{kind}.{name}"
    webhooks.trigger(
        event,
        lambda: webhooks.payload(event, current=webhooks.serialize_post(instance.as_object())),
    )


# --- Tags -----------------------------------------------------------------------------


def remember_tag_before_save(sender: type[Tag], instance: Tag, raw: bool = False, **_: Any) -> None:
    if raw or instance.pk is None or not webhooks.wants(E.TAG_EDITED):
        return
    stored = Tag.objects.filter(pk=instance.pk).first()
    if stored is not None:
        setattr(instance, BEFORE, Before(live=True, snapshot=webhooks.serialize_tag(stored)))


def tag_saved(
    sender: type[Tag], instance: Tag, created: bool = False, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    event = E.TAG_ADDED if created else E.TAG_EDITED
    before: Before | None = getattr(instance, BEFORE, None)
    webhooks.trigger(
        event,
        lambda: webhooks.payload(
            event,
            current=webhooks.serialize_tag(instance),
            previous=before.snapshot if before else None,
        ),
    )
    _forget_before(instance)
    webhooks.trigger(E.SITE_CHANGED, {})


def tag_deleting(sender: type[Tag], instance: Tag, **_: Any) -> None:
    webhooks.trigger(
        E.TAG_DELETED,
        lambda: webhooks.payload(E.TAG_DELETED, previous=webhooks.serialize_tag(instance)),
    )
    webhooks.trigger(E.SITE_CHANGED, {})


# --- Members --------------------------------------------------------------------------


def member_created(sender: Any, member: Member, **_: Any) -> None:
    def build() -> dict[str, Any]:
        stored = Member.objects.filter(pk=member.pk).first()
        return webhooks.payload(E.MEMBER_ADDED, current=webhooks.serialize_member(stored or member))

    webhooks.trigger(E.MEMBER_ADDED, build)


def remember_member_before_save(
    sender: type[Member], instance: Member, raw: bool = False, **_: Any
) -> None:
    if raw or instance.pk is None or not webhooks.wants(E.MEMBER_EDITED):
        return
    stored = Member.objects.filter(pk=instance.pk).first()
    if stored is not None:
        setattr(instance, BEFORE, Before(live=True, snapshot=webhooks.serialize_member(stored)))


def member_saved(
    sender: type[Member],
    instance: Member,
    created: bool = False,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    before: Before | None = getattr(instance, BEFORE, None)
    _forget_before(instance)
    if raw or created or before is None:
        return
    if update_fields is not None and set(update_fields) <= MEMBER_ACTIVITY_FIELDS:
        return
    current = webhooks.serialize_member(instance)
    changed = webhooks.changed_fields(before.snapshot, current)
    changed.pop("updated_at", None)
    if not changed:
        return
    webhooks.trigger(
        E.MEMBER_EDITED,
        webhooks.payload(E.MEMBER_EDITED, current=current, previous=before.snapshot),
    )


def member_deleting(sender: type[Member], instance: Member, **_: Any) -> None:
    webhooks.trigger(
        E.MEMBER_DELETED,
        lambda: webhooks.payload(E.MEMBER_DELETED, previous=webhooks.serialize_member(instance)),
    )


# --- Wiring ---------------------------------------------------------------------------


def connect() -> None:
    """Connect every receiver; called once from ``ContentApiConfig.ready``."""
    from django.core.signals import request_started
    from django_tasks.signals import task_started

    from masthead.membership import signals as membership_signals

    uid = "masthead.contentapi.webhooks"
    # Pages: any model, since live pages are their own model below ArticlePage.
    pre_save.connect(remember_page_before_save, dispatch_uid=f"{uid}.page_before")
    post_save.connect(page_saved, dispatch_uid=f"{uid}.page_saved")
    pre_delete.connect(page_deleting, dispatch_uid=f"{uid}.page_deleting")
    page_published.connect(page_was_published, dispatch_uid=f"{uid}.published")
    page_unpublished.connect(page_was_unpublished, dispatch_uid=f"{uid}.unpublished")
    pre_save.connect(
        remember_schedule_before_save, sender=Revision, dispatch_uid=f"{uid}.rev_before"
    )
    post_save.connect(revision_saved, sender=Revision, dispatch_uid=f"{uid}.rev_saved")

    pre_save.connect(remember_tag_before_save, sender=Tag, dispatch_uid=f"{uid}.tag_before")
    post_save.connect(tag_saved, sender=Tag, dispatch_uid=f"{uid}.tag_saved")
    pre_delete.connect(tag_deleting, sender=Tag, dispatch_uid=f"{uid}.tag_deleting")

    membership_signals.member_created.connect(member_created, dispatch_uid=f"{uid}.member_added")
    pre_save.connect(
        remember_member_before_save, sender=Member, dispatch_uid=f"{uid}.member_before"
    )
    post_save.connect(member_saved, sender=Member, dispatch_uid=f"{uid}.member_saved")
    pre_delete.connect(member_deleting, sender=Member, dispatch_uid=f"{uid}.member_deleting")

    for model in (Webhook, Integration):
        post_save.connect(
            webhooks.forget_listened_events,
            sender=model,
            dispatch_uid=f"{uid}.forget_s_{model.__name__}",
        )
        post_delete.connect(
            webhooks.forget_listened_events,
            sender=model,
            dispatch_uid=f"{uid}.forget_d_{model.__name__}",
        )
    request_started.connect(webhooks.forget_local_events, dispatch_uid=f"{uid}.forget_request")
    task_started.connect(webhooks.forget_local_events, dispatch_uid=f"{uid}.forget_task")
