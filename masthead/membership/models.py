"""Readers who sign up or pay: members, tiers, memberships, labels and campaigns.

Members are not staff: they have no password and never see the admin. A member's
``status`` is stored for filtering and counting, and is always derived from their
memberships by ``actions.refresh_status``; nothing else writes it.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from calendar import monthrange
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField

from masthead.identifiers import ghost_id_field, new_object_id


def normalise_email(address: str) -> str:
    """One spelling per mailbox, so ``Ann@Example.org`` cannot sign up twice."""
    return address.strip().lower()


# --- Tiers ------------------------------------------------------------------------


class TierQuerySet(models.QuerySet["Tier"]):
    def active(self) -> TierQuerySet:
        return self.filter(is_active=True)

    def paid(self) -> TierQuerySet:
        return self.filter(kind=Tier.Kind.PAID)

    def offered(self) -> TierQuerySet:
        """Tiers a reader can choose on the public site, cheapest first."""
        return self.active().filter(is_public=True).order_by("kind", "monthly_price", "name")


class Tier(models.Model):
    """A level of membership: the free tier or a paid one with monthly and yearly prices.

    Prices are in minor units (cents), as Ghost and Stripe store them, so no price is
    ever rounded. Archived tiers keep their members but are no longer offered.
    """

    class Kind(models.TextChoices):
        FREE = "free", _("Free")
        PAID = "paid", _("Paid")

    name = models.CharField(max_length=191)
    slug = models.SlugField(max_length=191, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAID)
    description = models.CharField(max_length=500, blank=True)
    benefits = models.TextField(
        blank=True, help_text=_("One benefit per line, shown as a list on the join page.")
    )
    currency = models.CharField(
        max_length=3, blank=True, default="EUR", help_text=_("ISO 4217 code, e.g. EUR or USD.")
    )
    monthly_price = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("In cents: 500 is 5.00.")
    )
    yearly_price = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("In cents: 5000 is 50.00.")
    )
    trial_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Archived tiers keep their members.")
    )
    is_public = models.BooleanField(
        _("shown on the join page"), default=True, help_text=_("Hidden tiers can still be comped.")
    )
    welcome_page_url = models.CharField(max_length=2000, blank=True)
    # The payment provider's product and prices for this tier, kept in step by
    # ``payments.sync_tier`` (prices cannot change at Stripe: a new price replaces one).
    provider_product_id = models.CharField(max_length=255, blank=True, editable=False)
    provider_monthly_price_id = models.CharField(max_length=255, blank=True, editable=False)
    provider_yearly_price_id = models.CharField(max_length=255, blank=True, editable=False)
    ghost_id = ghost_id_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TierQuerySet.as_manager()

    panels: ClassVar[list[Any]] = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
        FieldPanel("kind"),
        FieldPanel("description"),
        FieldPanel("benefits"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("currency"),
                        FieldPanel("monthly_price"),
                        FieldPanel("yearly_price"),
                    ]
                ),
                FieldPanel("trial_days"),
            ],
            heading=_("Prices"),
        ),
        FieldRowPanel([FieldPanel("is_active"), FieldPanel("is_public")]),
        FieldPanel("welcome_page_url"),
    ]

    class Meta:
        ordering = ["kind", "monthly_price", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="free"), name="tier_single_free"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.kind == self.Kind.FREE

    @property
    def is_hidden_from_switch(self) -> bool:
        """Tiers not on the join page (pay what you want, staff-only) are not offered."""
        return not self.is_public

    @property
    def benefit_list(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]

    def clean(self) -> None:
        super().clean()
        if not self.slug:
            self.slug = slugify(self.name)[:191]
        if self.kind == self.Kind.PAID:
            errors = {}
            if not self.monthly_price and not self.yearly_price:
                errors["monthly_price"] = _("A paid tier needs a monthly or a yearly price.")
            if not self.currency or len(self.currency) != 3 or not self.currency.isalpha():
                errors["currency"] = _("Use a three-letter currency code such as EUR.")
            if errors:
                raise ValidationError(errors)
            self.currency = self.currency.upper()
        else:
            self.monthly_price = self.yearly_price = None
            self.trial_days = 0


# --- Members ----------------------------------------------------------------------


class Label(models.Model):
    """A staff-chosen tag on members ("press", "event 2026") for filtering and segments."""

    name = models.CharField(max_length=191, unique=True)
    slug = models.SlugField(max_length=191, unique=True)
    ghost_id = ghost_id_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:191] or new_object_id()
        super().save(*args, **kwargs)


class MemberStatus(models.TextChoices):
    FREE = "free", _("Free")
    PAID = "paid", _("Paid")
    COMPED = "comped", _("Complimentary")
    GIFT = "gift", _("Gift")


class SignupSource(models.TextChoices):
    DIRECT = "direct", _("Join page")
    PAYWALL = "paywall", _("Paywall")
    CAMPAIGN = "campaign", _("Membership drive")
    IMPORT = "import", _("Import")
    ADMIN = "admin", _("Added by staff")
    API = "api", _("API")
    NEWSLETTER = "newsletter", _("Newsletter sign-up form")


class MemberQuerySet(models.QuerySet["Member"]):
    def paying(self) -> MemberQuerySet:
        return self.filter(status=MemberStatus.PAID)

    def with_paid_access(self) -> MemberQuerySet:
        return self.exclude(status=MemberStatus.FREE)

    def joined_between(self, start: datetime, end: datetime) -> MemberQuerySet:
        return self.filter(created_at__gte=start, created_at__lt=end)


class Member(models.Model):
    """A reader with an email address we can write to, paying or not."""

    email = models.EmailField(max_length=191, unique=True)
    name = models.CharField(max_length=191, blank=True)
    status = models.CharField(
        max_length=10, choices=MemberStatus.choices, default=MemberStatus.FREE, editable=False
    )
    note = models.TextField(blank=True, help_text=_("Only staff see this."))
    labels = models.ManyToManyField(Label, blank=True, related_name="members")
    signup_source = models.CharField(
        max_length=20, choices=SignupSource.choices, default=SignupSource.DIRECT
    )
    # A Wagtail page, not publishing's ArticlePage: membership sits below publishing
    # and must not import it (docs/architecture.md).
    signup_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The article the reader signed up from."),
    )
    signup_campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Signing out everywhere, deleting an account or changing the email bumps this,
    # which invalidates every member cookie issued before.
    session_version = models.PositiveIntegerField(default=1, editable=False)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ghost_id = ghost_id_field()
    # The member as the payment provider knows them (a Stripe customer id).
    provider_customer_id = models.CharField(max_length=255, blank=True, db_index=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="member_status_created"),
            models.Index(fields=["signup_source", "created_at"], name="member_source_created"),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]

    @property
    def has_paid_access(self) -> bool:
        return self.status != MemberStatus.FREE


# --- Memberships ----------------------------------------------------------------------


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, at: datetime | None = None) -> MembershipQuerySet:
        at = at or timezone.now()
        return self.filter(starts_at__lte=at).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))


class Membership(models.Model):
    """A member's access to one tier for a period: comped by staff, a gift, or paid for.

    History is kept: ending a membership sets ``ends_at`` instead of deleting the row,
    so the admin timeline and the growth charts can tell what happened when.
    """

    class Source(models.TextChoices):
        COMP = "comp", _("Complimentary")
        GIFT = "gift", _("Gift")
        PAYMENT = "payment", _("Payment")
        IMPORT = "import", _("Import")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="memberships")
    source = models.CharField(max_length=10, choices=Source.choices)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Empty means until further notice.")
    )
    note = models.CharField(max_length=500, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["member", "ends_at"], name="membership_member_ends")]

    def __str__(self) -> str:
        return f"{self.member} · {self.tier}"

    def is_active_on(self, when: datetime) -> bool:
        return self.starts_at <= when and (self.ends_at is None or self.ends_at > when)


class MemberEvent(models.Model):
    """One line of a member's timeline in the admin, kept for as long as the member."""

    class Kind(models.TextChoices):
        SIGNED_UP = "signed_up", _("Signed up")
        SIGNED_IN = "signed_in", _("Signed in")
        EMAIL_CHANGED = "email_changed", _("Changed email")
        NAME_CHANGED = "name_changed", _("Changed name")
        STATUS_CHANGED = "status_changed", _("Status changed")
        COMPED = "comped", _("Given a complimentary membership")
        COMP_REMOVED = "comp_removed", _("Complimentary membership removed")
        LABELS_CHANGED = "labels_changed", _("Labels changed")
        NOTE_CHANGED = "note_changed", _("Note changed")
        IMPORTED = "imported", _("Imported")
        EXPORTED = "exported", _("Downloaded their data")
        METERED_READ = "metered_read", _("Read a metered article")
        NEWSLETTER_SUBSCRIBED = "newsletter_subscribed", _("Subscribed to a newsletter")
        NEWSLETTER_UNSUBSCRIBED = "newsletter_unsubscribed", _("Unsubscribed from a newsletter")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


# --- Sign-in links and codes --------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SignInRequest(models.Model):
    """One emailed magic link with its 6-digit code, for signing up, in, or changing email.

    Neither the link's token nor the code is stored: both are derived from ``public_id``
    with the secret key (see ``auth.py``) and only their hashes are kept, so a copy of
    the database cannot be used to sign in as anyone.
    """

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("Sign in")
        SIGN_UP = "sign_up", _("Sign up")
        CHANGE_EMAIL = "change_email", _("Change email")

    public_id = models.CharField(max_length=32, unique=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    email = models.EmailField(max_length=191)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    # What the reader chose on the form (name, where they signed up, where to go next).
    signup = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_code_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="signin_expires")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.expires_at > now


class MeteredRead(models.Model):
    """A gated article a free member read on their monthly allowance."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="metered_reads")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text=_("The first day of the month the read counts in."))
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "page", "month"], name="metered_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.page_id} · {self.month:%Y-%m}"


# --- Membership drive -----------------------------------------------------------------


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def running(self, at: datetime | None = None) -> CampaignQuerySet:
        at = at or timezone.now()
        return self.filter(is_enabled=True, starts_at__lte=at, ends_at__gt=at)

    def for_banner(self, at: datetime | None = None) -> CampaignQuerySet:
        return self.running(at).filter(show_banner=True).order_by("-starts_at")


class Campaign(models.Model):
    """A membership drive: a goal of new members between two dates, shown with a live count.

    Headlines and copy may use ``{count}``, ``{goal}`` and ``{remaining}``; each state
    (running, goal reached, stretch goal reached, ended) has its own headline so the
    banner says the right thing without an editor watching the counter.
    """

    class Goal(models.TextChoices):
        NEW_MEMBERS = "new_members", _("New members (free or paid)")
        NEW_PAID_MEMBERS = "new_paid_members", _("New paying members")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        GOAL_REACHED = "goal_reached", _("Goal reached")
        STRETCH_REACHED = "stretch_reached", _("Stretch goal reached")
        ENDED = "ended", _("Ended")

    name = models.CharField(max_length=191, help_text=_("For staff, e.g. “Winter drive 2026”."))
    goal_kind = models.CharField(max_length=20, choices=Goal.choices, default=Goal.NEW_MEMBERS)
    goal = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    stretch_goal = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Optional: a second goal once the first is reached.")
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    headline = models.CharField(
        max_length=255,
        default="Goal: {goal} new members",
        help_text=_("Placeholders: {count}, {goal}, {remaining}."),
    )
    body = models.TextField(
        blank=True,
        default="{count} members on board. Help us reach {goal} — {remaining} to go.",
        help_text=_("Placeholders: {count}, {goal}, {remaining}."),
    )
    goal_reached_headline = models.CharField(
        max_length=255, blank=True, default="We reached our goal of {goal} new members. Thank you!"
    )
    stretch_headline = models.CharField(
        max_length=255,
        blank=True,
        default="Stretch goal: {goal} new members",
        help_text=_("Shown once the first goal is reached and a stretch goal is set."),
    )
    ended_headline = models.CharField(
        max_length=255, blank=True, default="Thank you: {count} people joined during our drive."
    )
    show_banner = models.BooleanField(
        default=True, help_text=_("Show a banner at the top of every page while it runs.")
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CampaignQuerySet.as_manager()

    panels: ClassVar[list[Any]] = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("goal_kind"), FieldPanel("goal"), FieldPanel("stretch_goal")]),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        MultiFieldPanel(
            [
                FieldPanel("headline"),
                FieldPanel("body"),
                FieldPanel("goal_reached_headline"),
                FieldPanel("stretch_headline"),
                FieldPanel("ended_headline"),
            ],
            heading=_("Copy"),
        ),
        FieldRowPanel([FieldPanel("show_banner"), FieldPanel("is_enabled")]),
    ]

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._forget_cached_drives()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        self._forget_cached_drives()
        return deleted

    @staticmethod
    def _forget_cached_drives() -> None:
        # After commit: forgetting earlier lets a page refill the cache with the old
        # row before the new one is visible. The import is local because counters.py
        # imports this module.
        from django.db import transaction

        from .counters import forget_running_campaigns

        transaction.on_commit(forget_running_campaigns)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The drive must end after it starts.")
        if self.stretch_goal is not None and self.goal and self.stretch_goal <= self.goal:
            errors["stretch_goal"] = _("The stretch goal must be larger than the goal.")
        for field in (
            "headline",
            "body",
            "goal_reached_headline",
            "stretch_headline",
            "ended_headline",
        ):
            if not self.uses_only_placeholders(getattr(self, field) or ""):
                errors[field] = _(
                    "Use only {count}, {goal} and {remaining} in braces, exactly as written "
                    "here. To show a brace itself, type it twice: {{ or }}."
                )
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def uses_only_placeholders(
        text: str, names: tuple[str, ...] = ("count", "goal", "remaining")
    ) -> bool:
        """True when every ``{…}`` in ``text`` is one of ``names``, bare, or an escaped brace."""
        # A plain text.format() check would accept "{count.real}" or "{count:d}", which
        # then fail, or leak attributes, once real values are filled in.
        from string import Formatter

        allowed = set(names)
        try:
            fields = list(Formatter().parse(text))
        except ValueError:
            return False
        return all(
            name is None or (name in allowed and not spec and conversion is None)
            for _literal, name, spec, conversion in fields
        )

    @property
    def has_stretch_goal(self) -> bool:
        return self.stretch_goal is not None and self.stretch_goal > self.goal

    def goal_for(self, count: int) -> int:
        """The goal readers see: the stretch goal once the first goal is reached."""
        if self.stretch_goal is not None and self.stretch_goal > self.goal and count >= self.goal:
            return self.stretch_goal
        return self.goal

    def state_at(self, now: datetime, count: int) -> Campaign.State:
        """Where the drive stands at ``now`` with ``count`` new members so far."""
        if now < self.starts_at:
            return self.State.SCHEDULED
        if now >= self.ends_at:
            return self.State.ENDED
        if self.stretch_goal is not None and self.goal < self.stretch_goal <= count:
            return self.State.STRETCH_REACHED
        if count >= self.goal:
            return self.State.GOAL_REACHED
        return self.State.RUNNING

    def headline_for(self, state: Campaign.State) -> str:
        """The headline written for ``state``, or the main headline when that one is empty."""
        if state == self.State.GOAL_REACHED and self.has_stretch_goal:
            text = self.stretch_headline
        elif state in (self.State.GOAL_REACHED, self.State.STRETCH_REACHED):
            text = self.goal_reached_headline
        elif state == self.State.ENDED:
            text = self.ended_headline
        else:
            text = self.headline
        return text or self.headline


# --- Settings -------------------------------------------------------------------------

# Stripe refuses charges below about 0.50 in most currencies.
MINIMUM_CHARGE = 50
# Larger sums are better arranged by bank transfer; a typo of three zeros stops here.
MAXIMUM_SUPPORT_AMOUNT = 10_000_000


def parse_amounts(text: str) -> list[int]:
    """``"1000, 2500"`` → ``[1000, 2500]``, sorted and without repeats; ValueError otherwise."""
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValueError(text)
    return sorted({int(part) for part in parts})


@register_setting(icon="group")
class MembershipSettings(BaseSiteSetting):
    """How the site asks readers to join, and how generous the paywall is."""

    class CounterBasis(models.TextChoices):
        ALL_MEMBERS = "all", _("All members")
        PAID_MEMBERS = "paid", _("Members with paid access")

    allow_signup = models.BooleanField(
        default=True, help_text=_("Turn off to make membership invitation-only.")
    )
    paywall_heading = models.CharField(
        max_length=255, default="This story is for members", blank=True
    )
    paywall_text = RichTextField(
        blank=True,
        features=["bold", "italic", "link"],
        default="<p>Our journalism is funded by readers. Join to keep reading.</p>",
    )
    metering_enabled = models.BooleanField(
        _("metering"),
        default=False,
        help_text=_("Let readers open some gated articles each month before the paywall shows."),
    )
    anonymous_monthly_limit = models.PositiveSmallIntegerField(
        _("articles a month for anonymous readers"), default=2
    )
    free_member_monthly_limit = models.PositiveSmallIntegerField(
        _("articles a month for free members"), default=5
    )
    counter_basis = models.CharField(
        _("community counter counts"),
        max_length=10,
        choices=CounterBasis.choices,
        default=CounterBasis.ALL_MEMBERS,
    )
    counter_text = models.CharField(
        max_length=255,
        default="{count} people chose to be part of our community — thank you",
        help_text=_("Placeholder: {count}."),
    )
    support_currency = models.CharField(
        _("currency of one-time support"),
        max_length=3,
        default="EUR",
        help_text=_("ISO 4217 code, e.g. EUR or USD."),
    )
    support_preset_amounts = models.CharField(
        _("suggested amounts"),
        max_length=200,
        default="1000,2500,5000,10000",
        help_text=_("In cents, separated by commas: 1000,2500 offers 10.00 and 25.00."),
    )
    support_minimum_amount = models.PositiveIntegerField(
        _("smallest amount"),
        default=500,
        help_text=_("In cents: 500 is 5.00. Readers cannot give less than this."),
    )

    panels: ClassVar[list[Any]] = [
        FieldPanel("allow_signup"),
        MultiFieldPanel(
            [FieldPanel("paywall_heading"), FieldPanel("paywall_text")], heading=_("Paywall")
        ),
        MultiFieldPanel(
            [
                FieldPanel("metering_enabled"),
                FieldRowPanel(
                    [FieldPanel("anonymous_monthly_limit"), FieldPanel("free_member_monthly_limit")]
                ),
            ],
            heading=_("Metering"),
        ),
        MultiFieldPanel(
            [FieldPanel("counter_basis"), FieldPanel("counter_text")],
            heading=_("Community counter"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("support_currency"),
                FieldPanel("support_preset_amounts"),
                FieldPanel("support_minimum_amount"),
            ],
            heading=_("One-time support"),
        ),
    ]

    class Meta:
        verbose_name = _("membership settings")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if not Campaign.uses_only_placeholders(self.counter_text, ("count",)):
            errors["counter_text"] = _("Only {count} can be used in braces.")
        currency = (self.support_currency or "").strip()
        if len(currency) != 3 or not currency.isalpha():
            errors["support_currency"] = _("Use a three-letter currency code such as EUR.")
        else:
            self.support_currency = currency.upper()
        if self.support_minimum_amount is not None and not (
            MINIMUM_CHARGE <= self.support_minimum_amount <= MAXIMUM_SUPPORT_AMOUNT
        ):
            errors["support_minimum_amount"] = _(
                "Choose a smallest amount between %(low)s and %(high)s cents: payment "
                "providers refuse smaller charges."
            ) % {"low": MINIMUM_CHARGE, "high": MAXIMUM_SUPPORT_AMOUNT}
        try:
            presets = parse_amounts(self.support_preset_amounts)
        except ValueError:
            errors["support_preset_amounts"] = _(
                "Write whole numbers of cents separated by commas, like 1000,2500,5000."
            )
        else:
            minimum = self.support_minimum_amount or MINIMUM_CHARGE
            if not 1 <= len(presets) <= 6:
                errors["support_preset_amounts"] = _("Suggest between one and six amounts.")
            elif any(not minimum <= amount <= MAXIMUM_SUPPORT_AMOUNT for amount in presets):
                errors["support_preset_amounts"] = _(
                    "Each suggested amount must be at least the smallest amount and at most "
                    "%(high)s cents."
                ) % {"high": MAXIMUM_SUPPORT_AMOUNT}
            else:
                self.support_preset_amounts = ",".join(str(amount) for amount in presets)
        if errors:
            raise ValidationError(errors)

    @property
    def support_presets(self) -> list[int]:
        """The suggested amounts in cents; stored text that slipped past validation gives none."""
        try:
            return parse_amounts(self.support_preset_amounts)
        except ValueError:
            return []


# --- Payments -----------------------------------------------------------------------------


class Cadence(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class Subscription(models.Model):
    """A recurring payment at the provider, mirrored from the provider's own current state.

    Never edited from events' contents: each event makes masthead re-read the
    subscription from the provider, so events arriving twice or out of order end in the
    same state (``payments.sync.sync_subscription``).
    """

    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Payment failed, retrying")
        UNPAID = "unpaid", _("Unpaid")
        CANCELED = "canceled", _("Cancelled")
        INCOMPLETE = "incomplete", _("Incomplete")
        INCOMPLETE_EXPIRED = "incomplete_expired", _("Expired before payment")
        PAUSED = "paused", _("Paused")

    provider_id = models.CharField(max_length=255, unique=True)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="subscriptions")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="subscriptions")
    cadence = models.CharField(max_length=5, choices=Cadence.choices, default=Cadence.MONTH)
    status = models.CharField(max_length=20, choices=Status.choices)
    amount = models.PositiveIntegerField(default=0, help_text=_("Per period, in cents."))
    currency = models.CharField(max_length=3, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    trial_end = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The access this subscription grants; history stays in Membership rows.
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscription"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider_id} · {self.get_status_display()}"

    @property
    def is_in_grace(self) -> bool:
        return self.status == self.Status.PAST_DUE


class ProviderEvent(models.Model):
    """A webhook event, stored once by its id before it is handled."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["processed_at"], name="providerevent_processed")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Payment(models.Model):
    """Money received: a subscription invoice, a one-time contribution or a gift."""

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Membership")
        ONE_TIME = "one_time", _("One-time support")
        GIFT = "gift", _("Gift")

    provider_id = models.CharField(
        max_length=255, unique=True, help_text=_("The invoice or payment id at the provider.")
    )
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    amount = models.PositiveIntegerField(help_text=_("In cents."))
    currency = models.CharField(max_length=3)
    refunded_amount = models.PositiveIntegerField(default=0)
    paid_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class CheckoutReturn(models.Model):
    """A completed checkout whose return page has signed the buyer in (once)."""

    session_id = models.CharField(max_length=255, unique=True)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.session_id


# --- Gifts -------------------------------------------------------------------------------

_GIFT_CODE_SALT = "masthead.membership.gift"
# Letters that readers mistype for the digits base32 leaves out.
_GIFT_CODE_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
_BASE32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def gift_code_for(public_id: str) -> str:
    """The redeem code of the gift with ``public_id``: 26 base32 letters, 128 bits.

    Derived with the secret key, as sign-in links are, so the task that emails it on the
    chosen day needs only the gift's id, and a copy of the database redeems nothing.
    Changing ``MASTHEAD_SECRET_KEY`` changes the code of gifts not yet emailed.
    """
    digest = salted_hmac(_GIFT_CODE_SALT, public_id, algorithm="sha256").digest()
    return base64.b32encode(digest[:16]).decode().rstrip("=")


def normalise_gift_code(text: str) -> str:
    """A code as typed or pasted (grouped, lower case, or the whole link) → its 26 letters."""
    text = (text or "").strip()
    if "code=" in text:
        text = text.split("code=", 1)[1].split("&", 1)[0]
    text = text.upper().translate(_GIFT_CODE_LOOKALIKES)
    return "".join(char for char in text if char in _BASE32_ALPHABET)[:64]


def format_gift_code(code: str) -> str:
    """``ABCDEFGH…`` → ``ABCD-EFGH-…``, easier to read out and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def add_months(when: datetime, months: int) -> datetime:
    """The same time ``months`` later; the 31st becomes the last day of a shorter month."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, monthrange(year, month)[1]))


def gift_price(tier: Tier, months: int) -> int | None:
    """What a gift of ``tier`` for ``months`` costs, in cents; None if it has no price.

    Twelve months cost the yearly price when the tier has one; other lengths cost the
    monthly price that many times, or a share of the yearly price for a tier sold only
    yearly (rounded up to the cent).
    """
    if months == 12 and tier.yearly_price:
        return tier.yearly_price
    if tier.monthly_price:
        return tier.monthly_price * months
    if tier.yearly_price:
        return -(-tier.yearly_price * months // 12)
    return None


class GiftQuerySet(models.QuerySet["Gift"]):
    def due(self, at: datetime | None = None) -> GiftQuerySet:
        """Paid gifts whose recipient should be emailed by ``at``."""
        at = at or timezone.now()
        return self.filter(status=Gift.Status.PAID, send_at__lte=at).exclude(recipient_email="")


class Gift(models.Model):
    """A paid membership bought for someone else, redeemed with a code.

    The code is never stored: ``code_hash`` finds the gift when a reader types it, and
    ``code_prefix`` (its first four letters, too short to guess the rest from) lets staff
    find a gift a reader asks about. ``reveal_code`` derives it again for the emails.
    """

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
        PAID = "paid", _("Paid")
        SENT = "sent", _("Emailed to the recipient")
        REDEEMED = "redeemed", _("Redeemed")
        REFUNDED = "refunded", _("Refunded")

    class Months(models.IntegerChoices):
        ONE = 1, _("1 month")
        THREE = 3, _("3 months")
        SIX = 6, _("6 months")
        TWELVE = 12, _("12 months")

    public_id = models.CharField(max_length=32, unique=True, editable=False)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="gifts")
    months = models.PositiveSmallIntegerField(choices=Months.choices)
    amount = models.PositiveIntegerField(help_text=_("The price paid, in cents."))
    currency = models.CharField(max_length=3)
    buyer_email = models.EmailField(max_length=191)
    buyer_name = models.CharField(max_length=191, blank=True)
    buyer = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="gifts_bought"
    )
    recipient_email = models.EmailField(max_length=191, blank=True)
    recipient_name = models.CharField(max_length=191, blank=True)
    message = models.CharField(max_length=500, blank=True)
    send_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When to email the recipient; empty: the buyer passes the link on."),
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_prefix = models.CharField(max_length=8, db_index=True, editable=False)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, editable=False
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="gifts"
    )
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="gift"
    )
    redeemed_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="gifts_redeemed"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    # The return page shows the code once; emails already sent are noted so a retried
    # task does not send them again.
    code_shown_at = models.DateTimeField(null=True, blank=True, editable=False)
    receipt_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    recipient_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = GiftQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "send_at"], name="gift_status_send_at")]

    def __str__(self) -> str:
        return f"{self.tier} · {self.months} · {self.code_prefix}…"

    def reveal_code(self) -> str:
        """The full redeem code; only for the buyer's return page and the gift's emails."""
        return gift_code_for(self.public_id)

    @property
    def is_handed_over_by_buyer(self) -> bool:
        return self.send_at is None or not self.recipient_email

    @property
    def is_redeemable(self) -> bool:
        """Paid for, not used, and not paid back (a refund may not have moved the status)."""
        if self.status not in (self.Status.PAID, self.Status.SENT):
            return False
        payment = self.payment
        return payment is None or payment.refunded_amount < payment.amount
