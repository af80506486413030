"""Every write in the membership domain. Views, the admin, importers and tasks call these.

Actions take keyword arguments, run in a transaction and return the main object. They
assume validated input (forms and importers check shapes) and raise the domain errors
in ``exceptions.py`` for rules that need the database.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import ngettext

from masthead.staff.models import User

from . import auth, ratelimit, signals
from .exceptions import (
    CodeRejected,
    EmailInUse,
    GiftAlreadyRedeemed,
    GiftNotFound,
    GiftNotRedeemable,
    LinkExpired,
    MembershipError,
    TooManyRequests,
)
from .models import (
    Cadence,
    Campaign,
    Gift,
    Label,
    Member,
    MemberEvent,
    Membership,
    MemberStatus,
    MeteredRead,
    Payment,
    ProviderEvent,
    SignInRequest,
    SignupSource,
    Subscription,
    Tier,
    add_months,
    gift_code_for,
    gift_price,
    hash_secret,
    normalise_email,
    normalise_gift_code,
)
from .payments import PaymentProvider, SubscriptionState

logger = logging.getLogger(__name__)

MAX_CODE_ATTEMPTS = 5
# The staff member behind a change; None (or anonymous) for readers and tasks.
Actor = User | AnonymousUser | None


def _staff(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def record_event(
    member: Member,
    kind: MemberEvent.Kind,
    *,
    actor: Actor = None,
    at: datetime | None = None,
    **detail: Any,
) -> MemberEvent:
    return MemberEvent.objects.create(
        member=member,
        kind=kind,
        detail=detail,
        actor=_staff(actor),
        created_at=at or timezone.now(),
    )


# --- Signing up and in ----------------------------------------------------------------


def request_sign_in_link(
    *,
    email: str,
    client_ip: str,
    name: str = "",
    source: str = SignupSource.DIRECT,
    page_id: int | None = None,
    campaign_id: int | None = None,
    next_url: str = "",
    signup_allowed: bool = True,
    newsletters: list[int] | None = None,
) -> SignInRequest | None:
    """Email a magic link and code to ``email``: to sign in, or to finish joining.

    The caller shows the same page whatever happens here, so nobody can learn from it
    whether an address has an account. Returns None when nothing was sent (an unknown
    address while sign-up is closed).
    """
    email = normalise_email(email)
    if not ratelimit.allow(
        "signin-ip", client_ip, limit=settings.MASTHEAD_SIGNIN_PER_IP_HOUR, window_seconds=3600
    ) or not ratelimit.allow(
        "signin-email", email, limit=settings.MASTHEAD_SIGNIN_PER_EMAIL_HOUR, window_seconds=3600
    ):
        raise TooManyRequests
    member = Member.objects.filter(email=email).first()
    purpose = SignInRequest.Purpose.SIGN_IN if member else SignInRequest.Purpose.SIGN_UP
    signup = {
        "name": name.strip()[:191],
        "source": source,
        "page_id": page_id,
        "campaign_id": campaign_id,
        "next": next_url,
        "newsletters": newsletters,  # see signals.member_created
    }
    if member is None and not signup_allowed:
        # Sign-up is closed: record a request that is never emailed and can never
        # complete, so that everything after this (the code form, its attempts, the
        # time taken) looks the same as for an address with an account.
        signup["closed"] = True
        return _create_sign_in_request(
            email=email, purpose=purpose, member=None, signup=signup, deliver=False
        )
    return _create_sign_in_request(email=email, purpose=purpose, member=member, signup=signup)


def request_email_change(*, member: Member, new_email: str, client_ip: str) -> SignInRequest:
    """Send a confirmation link to the new address; the change happens when it is opened."""
    new_email = normalise_email(new_email)
    if not ratelimit.allow(
        "signin-ip", client_ip, limit=settings.MASTHEAD_SIGNIN_PER_IP_HOUR, window_seconds=3600
    ) or not ratelimit.allow(
        "signin-email",
        new_email,
        limit=settings.MASTHEAD_SIGNIN_PER_EMAIL_HOUR,
        window_seconds=3600,
    ):
        raise TooManyRequests
    # Whether another member has the address is checked when the link is opened, by the
    # owner of that mailbox: answering here would tell any member who else has an account.
    return _create_sign_in_request(
        email=new_email,
        purpose=SignInRequest.Purpose.CHANGE_EMAIL,
        member=member,
        signup={"next": ""},
    )


def _create_sign_in_request(
    *,
    email: str,
    purpose: str,
    member: Member | None,
    signup: dict[str, Any],
    deliver: bool = True,
) -> SignInRequest:
    from .tasks import send_sign_in_email

    public_id = secrets.token_hex(16)
    now = timezone.now()
    with transaction.atomic():
        sign_in = SignInRequest.objects.create(
            public_id=public_id,
            purpose=purpose,
            email=email,
            member=member,
            token_hash=auth.token_hash(auth.link_token(public_id)),
            code_hash=auth.code_hash(public_id, auth.one_time_code(public_id)),
            signup=signup,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.MASTHEAD_SIGNIN_LINK_MINUTES),
        )
        if deliver:
            transaction.on_commit(lambda: send_sign_in_email.enqueue(sign_in_id=sign_in.pk))
    return sign_in


def redeem_link(*, token: str) -> tuple[Member, SignInRequest]:
    """Open a member session from an emailed link. Each link works once."""
    with transaction.atomic():
        sign_in = (
            SignInRequest.objects.select_for_update()
            .filter(token_hash=auth.token_hash(token))
            .first()
        )
        if sign_in is None or not sign_in.is_usable():
            raise LinkExpired
        return _complete(sign_in), sign_in


def redeem_code(*, public_id: str, code: str, client_ip: str) -> tuple[Member, SignInRequest]:
    """Open a member session from the 6-digit code, for a reader on another device."""
    if not ratelimit.allow(
        "code-ip", client_ip, limit=settings.MASTHEAD_CODE_ATTEMPTS_PER_IP_HOUR, window_seconds=3600
    ):
        raise TooManyRequests
    with transaction.atomic():
        sign_in = SignInRequest.objects.select_for_update().filter(public_id=public_id).first()
        if sign_in is None or not sign_in.is_usable():
            raise LinkExpired
        if auth.code_matches(sign_in, code):
            return _complete(sign_in), sign_in
        sign_in.failed_code_attempts = F("failed_code_attempts") + 1
        sign_in.save(update_fields=["failed_code_attempts"])
        sign_in.refresh_from_db(fields=["failed_code_attempts"])
        attempts_left = MAX_CODE_ATTEMPTS - sign_in.failed_code_attempts
        if attempts_left <= 0:
            # Guessing stops here: the request is spent and a new email is needed.
            sign_in.used_at = timezone.now()
            sign_in.save(update_fields=["used_at"])
    raise CodeRejected(attempts_left=attempts_left)


def _complete(sign_in: SignInRequest) -> Member:
    now = timezone.now()
    sign_in.used_at = now
    sign_in.save(update_fields=["used_at"])
    if sign_in.signup.get("closed"):
        raise LinkExpired
    if sign_in.purpose == SignInRequest.Purpose.CHANGE_EMAIL:
        if sign_in.member is None:  # the member was deleted after asking
            raise LinkExpired
        return change_email(member=sign_in.member, new_email=sign_in.email)

    member = sign_in.member or Member.objects.filter(email=sign_in.email).first()
    if member is None:
        member = _create_member_from_signup(sign_in, now=now)
    else:
        record_event(member, MemberEvent.Kind.SIGNED_IN, at=now)
        signup = sign_in.signup or {}
        _announce(
            signals.member_signed_in,
            member=member,
            newsletters=signup.get("newsletters"),
            source=signup.get("source") or "",
        )
    if member.email_verified_at is None:
        member.email_verified_at = now
    member.last_seen_at = now
    member.save(update_fields=["email_verified_at", "last_seen_at", "updated_at"])
    return member


def _create_member_from_signup(sign_in: SignInRequest, *, now: datetime) -> Member:
    signup = sign_in.signup or {}
    source = signup.get("source") or SignupSource.DIRECT
    if source not in SignupSource.values:
        source = SignupSource.DIRECT
    campaign_id = signup.get("campaign_id")
    if campaign_id and not Campaign.objects.filter(pk=campaign_id).exists():
        campaign_id = None
    page_id = signup.get("page_id")
    if page_id:
        from wagtail.models import Page

        if not Page.objects.filter(pk=page_id).exists():
            page_id = None
    try:
        with transaction.atomic():
            member = Member.objects.create(
                email=sign_in.email,
                name=str(signup.get("name") or "")[:191],
                signup_source=source,
                signup_page_id=page_id,
                signup_campaign_id=campaign_id,
                created_at=now,
                email_verified_at=now,
            )
    except IntegrityError:
        # Two links for one new address opened at once: the first made the member.
        member = Member.objects.get(email=sign_in.email)
        record_event(member, MemberEvent.Kind.SIGNED_IN, at=now)
        return member
    record_event(member, MemberEvent.Kind.SIGNED_UP, at=now, source=source, page_id=page_id)
    _announce(signals.member_created, member=member, newsletters=signup.get("newsletters"))
    return member


def _announce(signal: Any, **kwargs: Any) -> None:
    # After the commit and robustly, as signals.py promises its receivers.
    transaction.on_commit(lambda: signal.send_robust(sender=Member, **kwargs))


# --- Member details ----------------------------------------------------------------------


@transaction.atomic
def create_member(
    *,
    email: str,
    name: str = "",
    note: str = "",
    source: str = SignupSource.ADMIN,
    labels: Iterable[Label] = (),
    created_at: datetime | None = None,
    actor: Actor = None,
    newsletters: list[int] | None = None,
) -> Member:
    """A new member; ``newsletters`` as in ``signals.member_created`` (None: the defaults)."""
    member = Member.objects.create(
        email=normalise_email(email),
        name=name,
        note=note,
        signup_source=source,
        created_at=created_at or timezone.now(),
    )
    if labels:
        member.labels.set(labels)
    record_event(member, MemberEvent.Kind.SIGNED_UP, actor=actor, source=source)
    _announce(signals.member_created, member=member, newsletters=newsletters)
    return member


@transaction.atomic
def change_email(*, member: Member, new_email: str, actor: Actor = None) -> Member:
    new_email = normalise_email(new_email)
    if new_email == member.email:
        return member
    if Member.objects.filter(email=new_email).exclude(pk=member.pk).exists():
        raise EmailInUse
    old_email = member.email
    member.email = new_email
    # Opened by the member from the new mailbox, the address is verified; typed in by
    # staff, it is not until the member next signs in with it.
    member.email_verified_at = timezone.now() if actor is None else None
    _spend_pending_sign_ins(member=member, email=old_email)
    # Sessions on other devices end: they were opened for the old address.
    member.session_version = F("session_version") + 1
    member.save(update_fields=["email", "email_verified_at", "session_version", "updated_at"])
    member.refresh_from_db(fields=["session_version"])
    record_event(member, MemberEvent.Kind.EMAIL_CHANGED, actor=actor, old=old_email, new=new_email)
    return member


@transaction.atomic
def update_member(
    *, member: Member, name: str | None = None, note: str | None = None, actor: Actor = None
) -> Member:
    changed = []
    if name is not None and name != member.name:
        record_event(member, MemberEvent.Kind.NAME_CHANGED, actor=actor, old=member.name, new=name)
        member.name = name
        changed.append("name")
    if note is not None and note != member.note:
        record_event(member, MemberEvent.Kind.NOTE_CHANGED, actor=actor)
        member.note = note
        changed.append("note")
    if changed:
        member.save(update_fields=[*changed, "updated_at"])
    return member


@transaction.atomic
def set_labels(*, member: Member, labels: Iterable[Label], actor: Actor = None) -> Member:
    new = {label.pk: label for label in labels}
    old = set(member.labels.values_list("pk", flat=True))
    if set(new) != old:
        member.labels.set(new.values())
        record_event(
            member,
            MemberEvent.Kind.LABELS_CHANGED,
            actor=actor,
            labels=sorted(label.name for label in new.values()),
        )
    return member


def _spend_pending_sign_ins(*, member: Member, email: str) -> None:
    """Links and codes already emailed stop working (sent to an old address, or stolen)."""
    SignInRequest.objects.filter(Q(member=member) | Q(email=email), used_at__isnull=True).update(
        used_at=timezone.now()
    )


@transaction.atomic
def sign_out_everywhere(*, member: Member) -> Member:
    _spend_pending_sign_ins(member=member, email=member.email)
    Member.objects.filter(pk=member.pk).update(session_version=F("session_version") + 1)
    member.refresh_from_db(fields=["session_version"])
    from .variants import forget_member

    # A cached page must not answer the old cookies any more.
    forget_member(member.pk)
    return member


@transaction.atomic
def delete_member(*, member: Member) -> None:
    """Erase a member and everything recorded about them (their right to be forgotten)."""
    SignInRequest.objects.filter(email=member.email).delete()
    member.delete()


def touch_last_seen(*, member: Member, now: datetime | None = None) -> None:
    """Note that the member was here; at most once an hour, so reading stays write-free."""
    now = now or timezone.now()
    if member.last_seen_at is None or now - member.last_seen_at > timedelta(hours=1):
        Member.objects.filter(pk=member.pk).update(last_seen_at=now)
        member.last_seen_at = now


# --- Memberships and status ----------------------------------------------------------------


def status_from_memberships(memberships: Iterable[Membership]) -> str:
    sources = {m.source for m in memberships if not m.tier.is_free}
    if Membership.Source.PAYMENT in sources:
        return MemberStatus.PAID
    if Membership.Source.GIFT in sources:
        return MemberStatus.GIFT
    if sources:
        return MemberStatus.COMPED
    return MemberStatus.FREE


@transaction.atomic
def refresh_status(*, member: Member, actor: Actor = None, at: datetime | None = None) -> Member:
    """Set the stored status from the member's memberships active now.

    Every change of memberships ends here, including those made with ``update()`` (which
    sends no signal), so the member's cached access variant is forgotten here too.
    """
    from .variants import forget_member

    forget_member(member.pk)
    at = at or timezone.now()
    active = list(member.memberships.active(at).select_related("tier"))
    status = status_from_memberships(active)
    if status != member.status:
        record_event(
            member,
            MemberEvent.Kind.STATUS_CHANGED,
            actor=actor,
            at=at,
            old=member.status,
            new=status,
        )
        member.status = status
        member.save(update_fields=["status", "updated_at"])
    return member


@transaction.atomic
def comp_member(
    *,
    member: Member,
    tier: Tier,
    ends_at: datetime | None = None,
    note: str = "",
    actor: Actor = None,
) -> Membership:
    """Give a member a paid tier for free, replacing any complimentary one they had."""
    now = timezone.now()
    member.memberships.active(now).filter(source=Membership.Source.COMP).update(ends_at=now)
    membership = Membership.objects.create(
        member=member,
        tier=tier,
        source=Membership.Source.COMP,
        starts_at=now,
        ends_at=ends_at,
        note=note,
        granted_by=_staff(actor),
    )
    record_event(
        member,
        MemberEvent.Kind.COMPED,
        actor=actor,
        tier=tier.name,
        until=ends_at.isoformat() if ends_at else None,
    )
    refresh_status(member=member, actor=actor)
    return membership


@transaction.atomic
def remove_comp(*, member: Member, actor: Actor = None) -> Member:
    now = timezone.now()
    ended = member.memberships.active(now).filter(source=Membership.Source.COMP).update(ends_at=now)
    if ended:
        record_event(member, MemberEvent.Kind.COMP_REMOVED, actor=actor)
    return refresh_status(member=member, actor=actor)


def expire_memberships(
    *, now: datetime | None = None, lookback: timedelta = timedelta(days=7)
) -> int:
    """Bring stored statuses up to date as memberships start and end; safe to run any time.

    Checks members who have paid access but no active paid membership, and members with
    a membership that started or ended within ``lookback`` (a gift ending under a comp, a
    membership set to start later), so a worker that was down for days still catches up.
    """
    now = now or timezone.now()
    stale = Member.objects.exclude(status=MemberStatus.FREE).exclude(
        pk__in=Membership.objects.active(now).exclude(tier__kind=Tier.Kind.FREE).values("member")
    )
    changed_lately = Membership.objects.filter(
        Q(starts_at__gt=now - lookback, starts_at__lte=now)
        | Q(ends_at__gt=now - lookback, ends_at__lte=now)
    ).values("member")
    count = 0
    for member in Member.objects.filter(Q(pk__in=stale.values("pk")) | Q(pk__in=changed_lately)):
        before = member.status
        refresh_status(member=member, at=now)
        count += member.status != before
    return count


# --- Metering ---------------------------------------------------------------------------


def month_start(when: datetime) -> date:
    local = timezone.localtime(when)
    return local.date().replace(day=1)


def record_metered_read(*, member: Member, page_id: int, now: datetime | None = None) -> bool:
    """Count a gated article against a free member's month; re-reading it is free."""
    now = now or timezone.now()
    _, created = MeteredRead.objects.get_or_create(
        member=member, page_id=page_id, month=month_start(now), defaults={"read_at": now}
    )
    return created


def purge_expired_sign_in_requests(*, now: datetime | None = None) -> int:
    """Forget sign-in requests a day after they expired: they can no longer be used."""
    now = now or timezone.now()
    deleted, _ = SignInRequest.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted


# --- Payments ------------------------------------------------------------------------------

ENTITLED_STATUSES = {"trialing", "active", "past_due"}


def _member_for_subscription(state: SubscriptionState, provider: PaymentProvider) -> Member:
    """Find the member a subscription belongs to, creating one for a new buyer.

    Events can arrive before "checkout completed" (or without it), so every path that
    needs the member can find it: by the id put in the metadata at checkout, by the
    customer id, or by the customer's email address at the provider.
    """
    member_id = state.metadata.get("masthead_member_id", "")
    if member_id.isdigit() and (member := Member.objects.filter(pk=int(member_id)).first()):
        return member
    if state.customer_id and (
        member := Member.objects.filter(provider_customer_id=state.customer_id).first()
    ):
        return member
    customer = provider.fetch_customer(state.customer_id)
    email = normalise_email(customer.email)
    member = Member.objects.filter(email=email).first()
    if member is None:
        source = state.metadata.get("masthead_source", SignupSource.DIRECT)
        member = create_member(
            email=email,
            name=customer.name,
            source=source if source in SignupSource.values else SignupSource.DIRECT,
        )
    return member


def sync_subscription(*, state: SubscriptionState, provider: PaymentProvider) -> Subscription:
    """Make masthead's subscription, membership and status match the provider's state.

    Reads nothing from the event that triggered it: ``state`` is fetched fresh, so any
    number of events, in any order, end in the same place.

    The buyer's return page and several webhooks often arrive together for a brand-new
    subscription, when there is no row yet to lock: all of them try to create the member
    and the subscription, and the database's unique constraints let one win. The others
    roll back to their savepoint and run again, now finding (and locking) the winner's rows.
    """
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return _sync_subscription(state=state, provider=provider)
        except IntegrityError:
            if attempt == attempts:
                raise
            logger.info("subscription %s was created concurrently; syncing again", state.id)
    raise AssertionError("unreachable")


def _sync_subscription(*, state: SubscriptionState, provider: PaymentProvider) -> Subscription:
    now = timezone.now()
    existing = Subscription.objects.select_for_update().filter(provider_id=state.id).first()
    from .notifications import notify_subscription_change, snapshot

    before = snapshot(existing)
    member = existing.member if existing else _member_for_subscription(state, provider)
    if state.customer_id and member.provider_customer_id != state.customer_id:
        member.provider_customer_id = state.customer_id
        member.save(update_fields=["provider_customer_id", "updated_at"])
    tier = (
        Tier.objects.filter(
            Q(provider_monthly_price_id=state.price_id) | Q(provider_yearly_price_id=state.price_id)
        ).first()
        if state.price_id
        else None
    )
    if tier is None:
        tier_id = state.metadata.get("masthead_tier_id", "")
        tier = Tier.objects.filter(pk=int(tier_id)).first() if tier_id.isdigit() else None
    if tier is None and existing is not None:
        tier = existing.tier
    if tier is None:
        raise ValueError(f"subscription {state.id} has a price masthead does not know")
    subscription = existing or Subscription(provider_id=state.id, member=member, tier=tier)
    subscription.tier = tier
    subscription.cadence = Cadence.YEAR if state.interval == "year" else Cadence.MONTH
    subscription.status = state.status
    subscription.amount = state.amount
    subscription.currency = state.currency
    subscription.current_period_end = state.current_period_end
    subscription.cancel_at_period_end = state.cancel_at_period_end
    subscription.trial_end = state.trial_end
    subscription.ended_at = state.ended_at
    subscription.save()

    membership = subscription.membership
    if state.status in ENTITLED_STATUSES:
        # Access lasts to the end of the paid period plus the grace days, so a member
        # whose last event never arrives still loses access in time.
        ends_at = (
            state.current_period_end + timedelta(days=settings.MASTHEAD_PAYMENT_GRACE_DAYS)
            if state.current_period_end
            else None
        )
        if membership is not None and membership.tier_id != tier.pk:
            membership.ends_at = now
            membership.save(update_fields=["ends_at"])
            membership = None
        if membership is None:
            membership = Membership.objects.create(
                member=member,
                tier=tier,
                source=Membership.Source.PAYMENT,
                starts_at=now,
                ends_at=ends_at,
            )
            subscription.membership = membership
            subscription.save(update_fields=["membership", "updated_at"])
        elif membership.ends_at != ends_at:
            membership.ends_at = ends_at
            membership.save(update_fields=["ends_at"])
    elif membership is not None and (membership.ends_at is None or membership.ends_at > now):
        membership.ends_at = state.ended_at if state.ended_at and state.ended_at < now else now
        membership.save(update_fields=["ends_at"])
    refresh_status(member=member, at=now)
    notify_subscription_change(before=before, after=subscription)
    return subscription


@transaction.atomic
def record_payment(
    *,
    provider_id: str,
    kind: str,
    amount: int,
    currency: str,
    member: Member | None,
    subscription: Subscription | None = None,
    payment_intent_id: str = "",
    paid_at: datetime | None = None,
) -> Payment:
    """Record money received, once per provider id however often it is reported."""
    payment, created = _record_payment_once(
        provider_id=provider_id,
        payment_intent_id=payment_intent_id,
        kind=kind,
        amount=amount,
        currency=currency,
        member=member,
        subscription=subscription,
        paid_at=paid_at or timezone.now(),
    )
    from .notifications import notify_payment_recorded

    notify_payment_recorded(payment, created=created)
    return payment


@transaction.atomic
def record_refund(*, payment_intent_id: str, refunded_amount: int) -> int:
    """Note how much of a payment was refunded (the provider's running total)."""
    # The provider's running total only grows: a late event for an earlier partial
    # refund must not lower it.
    updated = Payment.objects.filter(payment_intent_id=payment_intent_id).update(
        refunded_amount=Greatest(F("refunded_amount"), refunded_amount)
    )
    # A gift paid back in full can no longer be sent or redeemed; a redeemed one stays
    # redeemed (its membership was given; staff decide whether to end it).
    Gift.objects.filter(
        payment__payment_intent_id=payment_intent_id,
        payment__refunded_amount__gte=F("payment__amount"),
        status__in=[Gift.Status.PAID, Gift.Status.SENT, Gift.Status.PENDING_PAYMENT],
    ).update(status=Gift.Status.REFUNDED)
    return updated


# --- Refunds ---------------------------------------------------------------------------------

# The refund itself is recorded by the provider's ``charge.refunded`` webhook
# (``record_refund``). Until it arrives, the request lives only in Wagtail's audit log, and
# counts against what is left to refund, so a second click cannot refund the money twice.
REFUND_REQUESTED = "masthead.refund_requested"
# A request whose webhook never came (webhooks switched off at Stripe, a refund that failed
# later) stops holding back the rest of the payment after this long.
REFUND_CONFIRMATION_WINDOW = timedelta(hours=24)


def pending_refunds(payments: Iterable[Payment], *, now: datetime | None = None) -> dict[int, int]:
    """Cents asked of the provider for each payment and not yet confirmed; one query.

    Each request notes the refunded total the payment should reach once it (and every
    request before it) is confirmed; what the webhooks have not brought yet is pending.
    """
    from wagtail.models import ModelLogEntry

    by_pk = {payment.pk: payment for payment in payments}
    if not by_pk:
        return {}
    since = (now or timezone.now()) - REFUND_CONFIRMATION_WINDOW
    expected: dict[int, int] = {}
    entries = ModelLogEntry.objects.filter(
        content_type__app_label=Payment._meta.app_label,
        content_type__model=Payment._meta.model_name,
        object_id__in=[str(pk) for pk in by_pk],
        action=REFUND_REQUESTED,
        timestamp__gte=since,
    ).values_list("object_id", "data")
    for object_id, data in entries:
        pk = int(object_id)
        expected[pk] = max(expected.get(pk, 0), int((data or {}).get("expected_refunded_total", 0)))
    pending = {pk: total - by_pk[pk].refunded_amount for pk, total in expected.items()}
    return {pk: cents for pk, cents in pending.items() if cents > 0}


def refundable_amount(payment: Payment, *, pending: int = 0) -> int:
    """Cents of ``payment`` that can still be refunded, given ``pending`` requested cents."""
    if not payment.payment_intent_id:
        return 0  # nothing at the provider to refund against
    return max(0, payment.amount - payment.refunded_amount - pending)


def refund_payment(*, payment: Payment, amount: int, actor: Actor) -> Payment:
    """Ask the provider to refund ``amount`` cents of ``payment``; record only the request.

    ``Payment.refunded_amount`` changes when the provider's ``charge.refunded`` webhook
    confirms the refund. Raises ``PaymentsNotConfigured`` or ``ProviderUnavailable`` when
    nothing was asked of the provider, and ``ValueError`` for an amount that is not left.
    """
    from wagtail.log_actions import log

    from .payments import get_provider

    provider = get_provider()
    with transaction.atomic():
        # The lock makes a double-submitted form wait, then see this request as pending.
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        pending = pending_refunds([locked]).get(locked.pk, 0)
        left = refundable_amount(locked, pending=pending)
        if not 0 < amount <= left:
            raise ValueError(f"payment {locked.pk}: {amount} cents asked, {left} left to refund")
        provider.refund(payment_intent_id=locked.payment_intent_id, amount=amount)
        log(
            instance=locked,
            action=REFUND_REQUESTED,
            user=_staff(actor),
            # The label and data name no member: the audit log outlives deleted members.
            title=f"{locked.get_kind_display()} {locked.pk}",
            data={
                "amount": amount,
                "currency": locked.currency,
                "expected_refunded_total": locked.refunded_amount + pending + amount,
                "member_id": locked.member_id,
            },
        )
    return locked


# --- Gifts ------------------------------------------------------------------------------------


def start_gift_purchase(
    *,
    tier: Tier,
    months: int,
    buyer_email: str,
    buyer: Member | None,
    buyer_name: str = "",
    recipient_email: str = "",
    recipient_name: str = "",
    message: str = "",
    send_at: datetime | None,
    provider: PaymentProvider,
    success_url: str,
    cancel_url: str,
) -> tuple[Gift, str]:
    """Record a gift waiting for payment and open the provider's checkout for it.

    Returns the gift and the checkout's address. The gift is committed before the
    provider is called (its id goes into the checkout's metadata) and deleted again if
    the provider cannot be reached, so a failed purchase leaves nothing behind. Not
    atomic as a whole on purpose: no transaction stays open during the provider call.
    """
    amount = gift_price(tier, months)
    if amount is None:
        raise ValueError(f"tier {tier.pk} has no price to sell as a gift")
    public_id = secrets.token_hex(16)
    code = gift_code_for(public_id)
    with transaction.atomic():
        gift = Gift.objects.create(
            public_id=public_id,
            tier=tier,
            months=months,
            amount=amount,
            currency=tier.currency.upper(),
            buyer_email=normalise_email(buyer_email),
            # Names go into subjects and greetings: one line, whatever was posted.
            buyer_name=" ".join(buyer_name.split())[:191],
            buyer=buyer,
            recipient_email=normalise_email(recipient_email) if recipient_email else "",
            recipient_name=" ".join(recipient_name.split())[:191],
            message=message.strip()[:500],
            send_at=send_at if recipient_email else None,
            code_hash=hash_secret(code),
            code_prefix=code[:4],
        )
    try:
        url = provider.start_payment_checkout(
            amount=amount,
            currency=gift.currency,
            description=ngettext(
                "Gift membership: %(tier)s for %(months)s month",
                "Gift membership: %(tier)s for %(months)s months",
                months,
            )
            % {"tier": tier.name, "months": months},
            customer_email=gift.buyer_email,
            success_url=success_url,
            cancel_url=cancel_url,
            metadata={
                "masthead_kind": "gift",
                "masthead_gift_id": str(gift.pk),
                "masthead_gift_ref": gift.public_id,
            },
        )
    except MembershipError:
        Gift.objects.filter(pk=gift.pk, status=Gift.Status.PENDING_PAYMENT).delete()
        raise
    return gift, url


@transaction.atomic
def confirm_gift_payment(
    *,
    gift_id: int,
    gift_ref: str,
    payment_intent_id: str,
    amount: int,
    currency: str,
    now: datetime | None = None,
) -> Gift | None:
    """Mark a gift paid, once, however often the provider or the return page reports it.

    ``gift_ref`` must be the gift's public id, as put in the checkout's metadata: a
    checkout from another installation sharing the Stripe account (a staging copy)
    names gift ids that mean something else here. Returns None for such a checkout.
    The status only moves forward: a gift already sent, redeemed or refunded stays so.
    """
    now = now or timezone.now()
    gift = Gift.objects.select_for_update().filter(pk=gift_id, public_id=gift_ref).first()
    if gift is None:
        return None
    payment, _created = _record_payment_once(
        payment_intent_id=payment_intent_id,
        kind=Payment.Kind.GIFT,
        amount=amount,
        currency=currency,
        member=gift.buyer,
        paid_at=now,
    )
    changed: list[str] = []
    if gift.payment_id is None:
        gift.payment = payment
        changed.append("payment")
    if gift.status == Gift.Status.PENDING_PAYMENT and payment.refunded_amount >= payment.amount:
        # The refund was reported before the payment (a delayed or retried event): the
        # gift was paid back before it was ever confirmed, so nothing is sent.
        gift.status = Gift.Status.REFUNDED
        gift.paid_at = now
        changed += ["status", "paid_at"]
    elif gift.status == Gift.Status.PENDING_PAYMENT:
        gift.status = Gift.Status.PAID
        gift.paid_at = now
        changed += ["status", "paid_at"]
        from .tasks import send_gift_purchased_email

        gift_id = gift.pk
        transaction.on_commit(lambda: send_gift_purchased_email.enqueue(gift_id=gift_id))
    if changed:
        gift.save(update_fields=changed)
    _send_gift_if_due(gift, now=now)
    return gift


def _send_gift_if_due(gift: Gift, *, now: datetime) -> bool:
    """Move a locked, paid gift whose day has come to ``sent`` and queue its email.

    The status changes in the same transaction as the email is queued (after commit), so
    two workers, or the job and the return page, never both send it.
    """
    if not (
        gift.status == Gift.Status.PAID
        and gift.is_redeemable
        and gift.recipient_email
        and gift.send_at is not None
        and gift.send_at <= now
    ):
        return False
    from .tasks import send_gift_received_email

    gift.status = Gift.Status.SENT
    gift.sent_at = now
    gift.save(update_fields=["status", "sent_at"])
    gift_id = gift.pk
    transaction.on_commit(lambda: send_gift_received_email.enqueue(gift_id=gift_id))
    return True


def send_due_gifts(*, now: datetime | None = None) -> int:
    """Queue the email of every paid gift whose send date has come; returns how many."""
    now = now or timezone.now()
    sent = 0
    for gift_id in Gift.objects.due(now).values_list("pk", flat=True):
        with transaction.atomic():
            gift = Gift.objects.select_for_update().filter(pk=gift_id).first()
            if gift is not None and _send_gift_if_due(gift, now=now):
                sent += 1
    return sent


def reveal_gift_code_once(*, gift: Gift) -> bool:
    """True the first time only: the return page may show the buyer the code then."""
    return bool(
        Gift.objects.filter(pk=gift.pk, code_shown_at__isnull=True).update(
            code_shown_at=timezone.now()
        )
    )


def note_gift_email_sent(*, gift: Gift, field: str) -> None:
    """Remember that the receipt (``receipt_emailed_at``) or the recipient's email went."""
    if field not in ("receipt_emailed_at", "recipient_emailed_at"):
        raise ValueError(field)
    Gift.objects.filter(pk=gift.pk).update(**{field: timezone.now()})


def look_up_gift(*, code: str, client_ip: str, member: Member | None = None) -> Gift:
    """The redeemable gift with this code, for a reader who typed or opened it.

    Every look-up counts against the reader's address, so codes cannot be guessed at
    speed (they are 128 bits; the limit keeps the logs and the database quiet too).
    A gift already redeemed by ``member`` is returned too: redeeming it again is a
    double-submitted form or a retry, which ``redeem_gift`` answers with the same result.
    """
    if not ratelimit.allow(
        "gift-ip",
        client_ip,
        limit=settings.MASTHEAD_CODE_ATTEMPTS_PER_IP_HOUR,
        window_seconds=3600,
    ):
        raise TooManyRequests
    return _redeemable_gift(Gift.objects.select_related("tier", "payment"), code, member=member)


def _redeemable_gift(gifts: QuerySet[Gift], code: str, *, member: Member | None = None) -> Gift:
    code = normalise_gift_code(code)
    gift = gifts.filter(code_hash=hash_secret(code)).first() if code else None
    if gift is None:
        raise GiftNotFound
    if gift.status == Gift.Status.REDEEMED:
        if member is not None and _redeemed_by(gift, member):
            return gift
        raise GiftAlreadyRedeemed
    if not gift.is_redeemable:
        raise GiftNotRedeemable
    return gift


def _redeemed_by(gift: Gift, member: Member) -> bool:
    return gift.redeemed_by_id == member.pk and gift.membership_id is not None


@transaction.atomic
def redeem_gift(*, member: Member, code: str, now: datetime | None = None) -> Membership:
    """Turn a gift into ``months`` of membership on its tier for ``member``.

    A member who already has access to that tier (a subscription, a comp with an end,
    an earlier gift) gets the gift added after it: it starts when their current access
    ends, so no month is wasted. For a subscription, that is the end of the period paid
    for. The subscription itself is left alone: if it renews, the two run side by side,
    and the member can cancel it to live on the gift. Access with no end date cannot be
    extended; the gift then starts now.
    """
    now = now or timezone.now()
    # The row lock makes a second redemption of the same code wait for the first, then
    # read it as redeemed: two readers at once can never both get the gift.
    gift = _redeemable_gift(
        Gift.objects.select_for_update(of=("self",)).select_related("tier", "payment"),
        code,
        member=member,
    )
    if gift.status == Gift.Status.REDEEMED and gift.membership is not None:
        # This member redeemed it already (a double click, a retried request): same result.
        return gift.membership
    # Two gifts redeemed at once by one member must queue one after the other.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    starts_at = _end_of_current_access(member=member, tier=gift.tier, now=now)
    membership = Membership.objects.create(
        member=member,
        tier=gift.tier,
        source=Membership.Source.GIFT,
        starts_at=starts_at,
        ends_at=add_months(starts_at, gift.months),
        note=f"Gift {gift.code_prefix}…",
    )
    gift.status = Gift.Status.REDEEMED
    gift.redeemed_by = member
    gift.redeemed_at = now
    gift.membership = membership
    gift.save(update_fields=["status", "redeemed_by", "redeemed_at", "membership"])
    refresh_status(member=member, at=now)
    from .tasks import send_gift_redeemed_email

    gift_id = gift.pk
    transaction.on_commit(lambda: send_gift_redeemed_email.enqueue(gift_id=gift_id))
    return membership


def _end_of_current_access(*, member: Member, tier: Tier, now: datetime) -> datetime:
    """When ``member``'s access to ``tier``, now and already queued, runs out (or ``now``)."""
    current = list(
        member.memberships.filter(tier=tier).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )
    if not current or any(m.ends_at is None for m in current):
        return now
    period_ends = dict(
        Subscription.objects.filter(
            membership__in=current, current_period_end__isnull=False
        ).values_list("membership_id", "current_period_end")
    )
    ends = [period_ends.get(m.pk) or m.ends_at for m in current]
    return max([now, *[end for end in ends if end is not None]])


# --- One-time support ---------------------------------------------------------------------

PAY_WHAT_YOU_WANT_SLUG = "pay-what-you-want"


def pay_what_you_want_tier(*, currency: str, minimum: int) -> Tier | None:
    """The hidden tier that monthly pay-what-you-want supporters belong to.

    Created on first use, not shown on the join page. A separate tier, rather than the
    cheapest public one, because a reader who gives 3.00 a month has not bought the
    5.00 tier, and because staff can then count and gate for these supporters on their
    own. Its monthly price is the minimum, so Tier's own rules hold; the amount each
    supporter pays is on their subscription.

    None when staff archived the tier (monthly support is paused) or the slug belongs to
    a free tier: a supporter paying every month must get paid access.
    """
    tier, _created = Tier.objects.get_or_create(
        slug=PAY_WHAT_YOU_WANT_SLUG,
        defaults={
            "name": "Supporter (pay what you want)",
            "kind": Tier.Kind.PAID,
            "currency": currency.upper(),
            "monthly_price": minimum,
            "is_public": False,
            "description": "Readers who chose their own monthly amount.",
        },
    )
    if not tier.is_active or tier.is_free:
        return None
    return tier


@transaction.atomic
def record_support(
    *,
    payment_intent_id: str,
    amount: int,
    currency: str,
    email: str,
    name: str = "",
    customer_id: str = "",
    now: datetime | None = None,
) -> Payment:
    """Record a one-time contribution once, making the supporter a member if they are new.

    New supporters join as members (sign-up source "direct"), so they count towards a
    drive counting new members. They do not count as new *paying* members: that count
    follows paid memberships, and a one-off contribution grants none. Only the first
    report of a payment queues the receipt.
    """
    now = now or timezone.now()
    email = normalise_email(email)
    member = Member.objects.filter(email=email).first()
    if member is None:
        try:
            with transaction.atomic():
                # A one-time contribution is not a request for newsletters.
                member = create_member(
                    email=email,
                    name=name[:191],
                    source=SignupSource.DIRECT,
                    created_at=now,
                    newsletters=[],
                )
        except IntegrityError:  # the webhook and the return page at the same moment
            member = Member.objects.get(email=email)
    if customer_id and not member.provider_customer_id:
        member.provider_customer_id = customer_id
        member.save(update_fields=["provider_customer_id", "updated_at"])
    payment, created = _record_payment_once(
        payment_intent_id=payment_intent_id,
        kind=Payment.Kind.ONE_TIME,
        amount=amount,
        currency=currency,
        member=member,
        paid_at=now,
    )
    if created:
        from .tasks import send_support_receipt_email

        payment_id = payment.pk
        transaction.on_commit(lambda: send_support_receipt_email.enqueue(payment_id=payment_id))
    return payment


def _record_payment_once(
    *,
    payment_intent_id: str,
    kind: str,
    amount: int,
    currency: str,
    member: Member | None,
    paid_at: datetime,
    provider_id: str = "",
    subscription: Subscription | None = None,
) -> tuple[Payment, bool]:
    """A payment by its provider id (a one-off's PaymentIntent), and whether it is new.

    ``record_payment`` adds the receipt email; gifts and contributions call this
    directly and send their own emails (the gift's receipt, the thank-you) on the first
    report only. Two reports at once are safe: the unique provider id makes the second
    one read the first one's row.

    Events arrive in any order: a refund reported before its payment (the payment's
    event failed and was retried later) found no row to update then. A new row starts
    with the largest refunded total already reported, so the money is not counted kept.
    """
    payment, created = Payment.objects.get_or_create(
        provider_id=provider_id or payment_intent_id,
        defaults={
            "kind": kind,
            "amount": amount,
            "currency": currency.upper(),
            "member": member,
            "subscription": subscription,
            "payment_intent_id": payment_intent_id,
            "paid_at": paid_at,
            "refunded_amount": _refunded_before_recorded(payment_intent_id)
            if payment_intent_id
            else 0,
        },
    )
    return payment, created


def _refunded_before_recorded(payment_intent_id: str) -> int:
    """The refunded total of ``payment_intent_id`` in refund events already received."""
    totals = ProviderEvent.objects.filter(
        type="charge.refunded", payload__data__object__payment_intent=payment_intent_id
    ).values_list("payload__data__object__amount_refunded", flat=True)
    return max((int(total or 0) for total in totals), default=0)
