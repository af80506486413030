"""Newsletters, who subscribes to them, and every email a send delivers.

A send is durable: the recipients of a ``NewsletterSend`` are written as ``Delivery`` rows
(one per send and member, enforced by the database) before any message leaves, and each row
records whether its message was handed over. A worker that dies mid-send is replaced by
one that finds the rows still queued and delivers those, and only those.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.identifiers import ghost_id_field
from masthead.membership.models import Member, MemberStatus, Tier, normalise_email


class NewsletterQuerySet(models.QuerySet["Newsletter"]):
    def active(self) -> NewsletterQuerySet:
        return self.filter(status=Newsletter.Status.ACTIVE)

    def open_to(self, member: Member | None) -> NewsletterQuerySet:
        """The active newsletters this reader may subscribe to (paid-only ones need a paid member)."""
        newsletters = self.active()
        if member is None or member.status == MemberStatus.FREE:
            newsletters = newsletters.filter(visibility=Newsletter.Visibility.MEMBERS)
        return newsletters


class Newsletter(models.Model):
    """A list readers subscribe to ("Ukraine Daily", "The Weekly"), with its sender and look."""

    class Visibility(models.TextChoices):
        MEMBERS = "members", _("Everyone (free and paid members)")
        PAID = "paid", _("Paid members only")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(max_length=191)
    slug = models.SlugField(max_length=191, unique=True)
    description = models.CharField(max_length=2000, blank=True)
    sender_name = models.CharField(
        max_length=191, blank=True, help_text=_("Blank: the site's name.")
    )
    sender_email = models.EmailField(
        max_length=191,
        blank=True,
        help_text=_(
            "Blank: the site's default address. Must be an address your mail service may send from."
        ),
    )
    reply_to = models.EmailField(
        max_length=191, blank=True, help_text=_("Where replies go. Blank: the sender address.")
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    subscribe_on_signup = models.BooleanField(
        _("subscribe new members"),
        default=True,
        help_text=_("Ticked on the sign-up form, so new members receive it unless they untick it."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    sort_order = models.PositiveIntegerField(default=0)
    header_image = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    show_feature_image = models.BooleanField(
        default=True, help_text=_("Show the article's lead image at the top of the email.")
    )
    show_excerpt = models.BooleanField(
        default=False, help_text=_("Show the article's standfirst under its headline.")
    )
    footer = models.TextField(
        blank=True, help_text=_("A short note at the bottom of every email, e.g. your address.")
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ghost_id = ghost_id_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NewsletterQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def is_open_to(self, member: Member) -> bool:
        return self.status == self.Status.ACTIVE and (
            self.visibility == self.Visibility.MEMBERS or member.status != MemberStatus.FREE
        )


class SubscriptionQuerySet(models.QuerySet["NewsletterSubscription"]):
    def subscribed(self) -> SubscriptionQuerySet:
        return self.filter(status=NewsletterSubscription.Status.SUBSCRIBED)


class NewsletterSubscription(models.Model):
    """A member on a newsletter's list. Unsubscribing keeps the row, for the statistics."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Sign-up form")
        ACCOUNT = "account", _("Account page")
        PUBLIC_FORM = "public_form", _("Newsletter sign-up form")
        IMPORT = "import", _("Import")
        STAFF = "staff", _("Staff")

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="newsletter_subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.SUBSCRIBED)
    source = models.CharField(max_length=15, choices=Source.choices, default=Source.SIGNUP)
    subscribed_at = models.DateTimeField(default=timezone.now)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # The email whose link was used, so a send's statistics count its unsubscribes.
    unsubscribed_from = models.ForeignKey(
        "NewsletterSend", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "newsletter"], name="one_subscription")
        ]
        indexes = [models.Index(fields=["newsletter", "status"], name="subscription_list")]

    def __str__(self) -> str:
        return f"{self.newsletter} · {self.get_status_display()}"


class Suppression(models.Model):
    """An address that is never mailed again: it bounced, complained or was blocked by staff."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        REJECTED = "rejected", _("Rejected by the mail server")
        STAFF = "staff", _("Added by staff")

    email = models.EmailField(max_length=191, unique=True)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    detail = models.CharField(max_length=1000, blank=True)
    send = models.ForeignKey(
        "NewsletterSend", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.created_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class Segment(models.TextChoices):
    ALL = "all", _("All subscribers")
    FREE = "free", _("Free members")
    PAID = "paid", _("Paying members (paid, comped and gift)")
    TIERS = "tiers", _("Members of chosen tiers")


class NewsletterSend(models.Model):
    """One article sent to one newsletter's subscribers in one segment.

    The rendered email is kept on the send when recipients are chosen, so every
    recipient gets the same text even if the article is edited while it goes out.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the article to be published")
        QUEUED = "queued", _("Queued")
        PREPARING = "preparing", _("Choosing recipients")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, on_delete=models.SET_NULL, related_name="newsletter_sends"
    )
    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="sends")
    segment = models.CharField(max_length=10, choices=Segment.choices, default=Segment.ALL)
    tiers = models.ManyToManyField(Tier, blank=True, related_name="+")
    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Touched while a worker makes progress; a send whose heartbeat stops is resumed.
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    recipient_count = models.PositiveIntegerField(default=0)
    batch_count = models.PositiveIntegerField(default=0)
    # The email as rendered when the recipients were chosen: the full article, and the
    # free preview with a call to action for recipients who may not read it all.
    html_full = models.TextField(blank=True, editable=False)
    text_full = models.TextField(blank=True, editable=False)
    html_preview = models.TextField(blank=True, editable=False)
    text_preview = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # An article goes to a newsletter once; a cancelled or failed send can be redone.
            models.UniqueConstraint(
                fields=["page", "newsletter"],
                condition=~Q(status__in=["cancelled", "failed"]),
                name="one_live_send_per_page_and_newsletter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.newsletter}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SENT, self.Status.CANCELLED, self.Status.FAILED}


class Delivery(models.Model):
    """One recipient of one send, written before any message leaves.

    Over SMTP, ``sent`` is committed after the message's content and before the line
    that tells the server it is complete: a worker killed before that line leaves a
    queued row and a message the server discards; killed after it, a sent row. Either
    way a restarted worker sends each recipient exactly one message. A mail service's
    HTTP API has no such line, so its batches are marked ``sending`` first; a batch a
    dead worker left in ``sending`` is reported, not sent again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Handed to the mail service, not yet confirmed")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent: address suppressed")
        CANCELLED = "cancelled", _("Not sent: send cancelled")

    class Variant(models.TextChoices):
        FULL = "full", _("Full article")
        PREVIEW = "preview", _("Free preview")

    send = models.ForeignKey(NewsletterSend, on_delete=models.CASCADE, related_name="deliveries")
    member = models.ForeignKey(
        Member, null=True, on_delete=models.SET_NULL, related_name="newsletter_deliveries"
    )
    email = models.EmailField(max_length=191)
    name = models.CharField(max_length=191, blank=True)
    variant = models.CharField(max_length=10, choices=Variant.choices, default=Variant.FULL)
    batch = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["send", "member"], name="one_delivery_per_member")
        ]
        indexes = [
            models.Index(fields=["send", "batch", "status"], name="delivery_batch"),
            models.Index(fields=["send", "status"], name="delivery_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.send_id} · {self.get_status_display()}"
