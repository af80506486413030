"""Integrations (API keys) and webhooks, in Ghost's shapes.

An integration is what a newsroom creates for each outside tool (a static-site build, a
Zapier flow, a writing app): it holds one Content API key and one Admin API key, in Ghost's
formats so Ghost's own client libraries accept them, and the webhooks that tool registered.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.identifiers import ghost_id_field, new_object_id


def new_content_key() -> str:
    """26 hex characters: the official Content API client refuses any other shape."""
    return secrets.token_hex(13)


def new_admin_secret() -> str:
    """64 hex characters (32 bytes): the HS256 secret of an admin key, shown as ``id:secret``."""
    return secrets.token_hex(32)


class IntegrationQuerySet(models.QuerySet["Integration"]):
    def active(self) -> IntegrationQuerySet:
        return self.filter(revoked_at__isnull=True)


class Integration(models.Model):
    """An outside tool's access to the APIs: a content key and an admin key.

    Revoking keeps the row (and its history) but no key of it works any more;
    regenerating replaces a key, so the old one stops working at once.
    """

    name = models.CharField(_("name"), max_length=191)
    description = models.CharField(_("description"), max_length=2000, blank=True)
    content_key = models.CharField(
        max_length=26, unique=True, default=new_content_key, editable=False
    )
    admin_key_id = models.CharField(
        max_length=24, unique=True, default=new_object_id, editable=False
    )
    admin_secret = models.CharField(max_length=64, default=new_admin_secret, editable=False)
    ghost_id = ghost_id_field()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "pk"]
        verbose_name = _("integration")

    def __str__(self) -> str:
        return self.name

    @property
    def admin_key(self) -> str:
        """The admin key as Ghost shows it and its clients expect it: ``{id}:{secret}``."""
        return f"{self.admin_key_id}:{self.admin_secret}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookEvent(models.TextChoices):
    """Ghost's webhook event names (``core/server/services/webhooks/listen.js``)."""

    SITE_CHANGED = "site.changed", "site.changed"
    POST_ADDED = "post.added", "post.added"
    POST_DELETED = "post.deleted", "post.deleted"
    POST_EDITED = "post.edited", "post.edited"
    POST_PUBLISHED = "post.published", "post.published"
    POST_PUBLISHED_EDITED = "post.published.edited", "post.published.edited"
    POST_UNPUBLISHED = "post.unpublished", "post.unpublished"
    POST_SCHEDULED = "post.scheduled", "post.scheduled"
    POST_UNSCHEDULED = "post.unscheduled", "post.unscheduled"
    POST_RESCHEDULED = "post.rescheduled", "post.rescheduled"
    PAGE_ADDED = "page.added", "page.added"
    PAGE_DELETED = "page.deleted", "page.deleted"
    PAGE_EDITED = "page.edited", "page.edited"
    PAGE_PUBLISHED = "page.published", "page.published"
    PAGE_PUBLISHED_EDITED = "page.published.edited", "page.published.edited"
    PAGE_UNPUBLISHED = "page.unpublished", "page.unpublished"
    PAGE_SCHEDULED = "page.scheduled", "page.scheduled"
    PAGE_UNSCHEDULED = "page.unscheduled", "page.unscheduled"
    PAGE_RESCHEDULED = "page.rescheduled", "page.rescheduled"
    TAG_ADDED = "tag.added", "tag.added"
    TAG_EDITED = "tag.edited", "tag.edited"
    TAG_DELETED = "tag.deleted", "tag.deleted"
    POST_TAG_ATTACHED = "post.tag.attached", "post.tag.attached"
    POST_TAG_DETACHED = "post.tag.detached", "post.tag.detached"
    PAGE_TAG_ATTACHED = "page.tag.attached", "page.tag.attached"
    PAGE_TAG_DETACHED = "page.tag.detached", "page.tag.detached"
    MEMBER_ADDED = "member.added", "member.added"
    MEMBER_EDITED = "member.edited", "member.edited"
    MEMBER_DELETED = "member.deleted", "member.deleted"


class Webhook(models.Model):
    """A URL an integration wants called, with Ghost's payload, when ``event`` happens."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="webhooks")
    event = models.CharField(max_length=50, choices=WebhookEvent.choices)
    target_url = models.URLField(max_length=2000)
    name = models.CharField(max_length=191, blank=True)
    secret = models.CharField(
        max_length=191,
        blank=True,
        help_text=_("When set, each delivery is signed with it (X-Ghost-Signature)."),
    )
    api_version = models.CharField(max_length=50, default="v6")
    ghost_id = ghost_id_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    last_triggered_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_triggered_status = models.CharField(max_length=50, blank=True, editable=False)
    last_triggered_error = models.CharField(max_length=2000, blank=True, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["event", "pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["event"], name="webhook_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.target_url}"


class WebhookDelivery(models.Model):
    """One payload on its way to one webhook, recorded before it is sent.

    The row is written in the same transaction as the change that caused it, so a crash
    between the change and the HTTP call loses nothing: the task (or the scheduler's
    sweep) sends whatever is still pending, and retries with growing waits.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50, choices=WebhookEvent.choices)
    # The exact JSON text to send, not a JSON column: PostgreSQL's jsonb would reorder the
    # keys, and Ghost's payloads have an order clients may rely on when they read them.
    payload = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=2000, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"
